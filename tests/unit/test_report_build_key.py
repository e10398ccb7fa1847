"""The report's bundles are reused only while what they are compiled from is unchanged: the
key moves with a page, a patch or the lockfile, never with the data (sources/, static/data)."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipelines.report.site import BUILD_KEY, BUNDLES, build_key, bundles_current

REPO = Path(__file__).resolve().parents[2]


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "reports"
    for name in ("pages", "patches", "sources"):
        shutil.copytree(REPO / "reports" / name, site / name)
    for name in ("package-lock.json", "evidence.config.yaml"):
        shutil.copy(REPO / "reports" / name, site / name)
    return site


def test_the_key_follows_the_pages_and_packages_not_the_data(tmp_path: Path) -> None:
    site = _site(tmp_path)
    key = build_key(site)
    (site / "sources" / "warehouse" / "connection.yaml").write_text("type: postgres\n")
    (site / ".evidence/template/static/data").mkdir(parents=True)
    (site / ".evidence/template/static/data/manifest.json").write_text("{}")
    assert build_key(site) == key
    for changed in ("pages/index.md", "package-lock.json", "patches/new.patch"):
        before = build_key(site)
        with (site / changed).open("a") as f:
            f.write("\n")
        assert build_key(site) != before, changed


def test_bundles_count_as_current_only_with_their_key_and_their_files(tmp_path: Path) -> None:
    site = _site(tmp_path)
    key = build_key(site)
    assert not bundles_current(site, key)  # never built
    (site / BUNDLES).parent.mkdir(parents=True)
    (site / BUNDLES).write_text("export const manifest = {};\n")
    assert not bundles_current(site, key)  # bundles without a key: a build that did not finish
    (site / BUILD_KEY).write_text(key)
    assert bundles_current(site, key)
    (site / BUILD_KEY).write_text("another")
    assert not bundles_current(site, key)
