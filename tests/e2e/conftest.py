"""What the report tests share: the demo site, built once per session by `marketflow report`
with no network, served on 127.0.0.1 and driven through every page by headless Chromium
(Debian's, through playwright-core: reports/scripts/browse.mjs). Screenshots go to
test-artifacts/report/."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import AS_OF, REPO, make_project

PAGES = ["/", "/tickers/AAPL/", "/returns/", "/crossovers/", "/data-quality/", "/intraday/",
         "/backtests/", "/compare/"]  # fmt: skip
ARTIFACTS = REPO / "test-artifacts" / "report"
CHROMIUM = shutil.which("chromium")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def offline_prefix() -> list[str]:
    """`unshare -n`: run the build in a namespace with no network at all, where allowed."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    return ["unshare", "-n"] if probe.returncode == 0 else []


# Session scope: the site is built once per worker even if that worker runs other modules'
# tests between these (xdist_group pins them to one worker, not to one stretch of it).
@pytest.fixture(scope="session")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    build_dir = root / "site"
    project = make_project(root, {"report": {"build_dir": str(build_dir)}})
    project.cli("demo", "--as-of", AS_OF)
    # A full check after the run: the data-quality page shows both.
    checked = json.loads(project.cli("check", "--as-of", AS_OF, "--json").stdout)
    (root / "check.json").write_text(json.dumps(checked))
    prefix = offline_prefix()
    dead_proxy = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    # --full: this build is the one the data-only rebuilds (test_report_rebuild.py and the
    # PostgreSQL report test) are compared with, whatever an earlier session left bundled.
    result = subprocess.run(
        [
            *prefix,
            str(REPO / ".venv/bin/marketflow"),
            "--config",
            str(project.config),
            "report",
            "--full",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **project.env, **dead_proxy},
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pages" in result.stdout and (build_dir / "index.html").is_file()
    assert "evidence build:" in result.stdout, result.stdout

    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(build_dir))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    browsed = subprocess.run(
        ["node", "scripts/browse.mjs", base, str(ARTIFACTS), *PAGES],
        cwd=REPO / "reports",
        capture_output=True,
        text=True,
        env={**os.environ, "CHROMIUM": CHROMIUM or ""},
        timeout=600,
    )
    server.shutdown()
    assert browsed.returncode == 0, browsed.stderr
    pages = {p["path"]: p for p in json.loads(browsed.stdout)["pages"]}
    return project, build_dir, base, pages, result.stdout + ("\noffline" if prefix else "")


def stale_results(build_dir: Path) -> list[str]:
    """Query results of an earlier build in a site: Evidence keeps each query's result under
    data/<source>/<query>/<hash>/, and merges its output into an existing build/."""
    return [
        str(query.relative_to(build_dir))
        for query in build_dir.glob("data/*/*")
        if query.is_dir() and len([d for d in query.iterdir() if d.is_dir()]) != 1
    ]
