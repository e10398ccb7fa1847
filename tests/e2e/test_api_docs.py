"""/docs and /redoc render from bundled assets: `marketflow serve` and headless Chromium run in
a network namespace with no network but loopback (`unshare -n`), and the pages show the API's
operations with every request answered by 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO, Project

CHROMIUM = shutil.which("chromium")
ARTIFACTS = REPO / "test-artifacts" / "api-docs"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="make test installs Debian's chromium")


def no_network() -> list[str]:
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    return ["unshare", "-n"] if probe.returncode == 0 else []


def test_docs_and_redoc_render_with_no_network(demos) -> None:
    project: Project = demos["duckdb"]
    prefix = no_network()
    if os.environ.get("CI") and not prefix:
        pytest.fail("unshare -n is not allowed here: the offline check cannot cut the network")
    browsed = subprocess.run(
        [*prefix, sys.executable, "-m", "tests.offline_browse", str(project.config),
         str(ARTIFACTS), "/docs", "/redoc"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, **project.env, "CHROMIUM": CHROMIUM or ""},
    )  # fmt: skip
    assert browsed.returncode == 0, browsed.stderr
    pages = {p["path"]: p for p in json.loads(browsed.stdout)["pages"]}
    for path, page in pages.items():
        assert page["outside"] == [], path  # nothing asked of a CDN
        assert page["failedRequests"] == [] and page["pageErrors"] == [], (path, page)
        # The operations as each renders them: the schema was fetched and drawn.
        for summary in ("Bars of many tickers", "Daily features of one ticker", "The universe"):
            assert summary in page["text"], (path, summary)
    assert "/v1/bars/{ticker}" in pages["/docs"]["text"]  # Swagger UI lists the paths
    assert "format" in pages["/redoc"]["text"]  # ReDoc lists the parameters
