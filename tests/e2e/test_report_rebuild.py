"""The data-only rebuild `marketflow report` does once the bundles are built: it publishes
what a full build of the same data does (the same files, page text, data tables and query
results; tests/e2e/built_site.py says what is allowed to differ between two builds)."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from tests.conftest import REPO
from tests.e2e.built_site import differences, published
from tests.e2e.conftest import CHROMIUM, stale_results

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="make test installs Debian's chromium"),
    # With the demo site's tests: one worker, and the bundles of its full build are reused.
    pytest.mark.xdist_group("report"),
]


def test_a_data_only_rebuild_publishes_what_the_full_build_of_the_same_data_does(site) -> None:
    project, full_site = site[0], site[1]
    # The same project (same warehouse, same relative paths), another build folder.
    config = yaml.safe_load(project.config.read_text())
    rebuilt = project.root / "rebuilt-site"
    config["variables"]["marketflow"]["report"]["build_dir"] = str(rebuilt)
    other = project.config.with_name("rebuild.yaml")
    other.write_text(yaml.safe_dump(config, sort_keys=False, default_style='"', width=1 << 20))
    result = subprocess.run(
        [str(REPO / ".venv/bin/marketflow"), "--config", str(other), "report"],
        capture_output=True, text=True, env={**os.environ, **project.env}, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rebuild (data only):" in result.stdout, result.stdout
    assert "evidence build" not in result.stdout, result.stdout
    assert differences(published(rebuilt), published(full_site)) == []
    assert not stale_results(rebuilt)
