"""Serve a project's API and browse pages of it with headless Chromium, all inside the current
network namespace: run under `unshare -n` there is no network but loopback, which this brings
up. Prints reports/scripts/browse.mjs's JSON report.

    unshare -n python -m tests.offline_browse CONFIG SCREENSHOT_DIR PATH...
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PORT = 8765  # a namespace of our own: nothing else listens


def main() -> None:
    config, shots, *paths = sys.argv[1:]
    subprocess.run(["ip", "link", "set", "lo", "up"], check=False, capture_output=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "--config", config, "serve", "--port", str(PORT)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{PORT}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/openapi.json", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"serve did not start: {server.stderr.read().decode()}")
                time.sleep(0.3)
        browsed = subprocess.run(
            ["node", "scripts/browse.mjs", base, shots, *paths],
            cwd=REPO / "reports", capture_output=True, text=True, timeout=300,
            env={**os.environ, "CHROMIUM": os.environ.get("CHROMIUM", "/usr/bin/chromium")},
        )  # fmt: skip
        sys.stderr.write(browsed.stderr)
        sys.stdout.write(browsed.stdout)
        sys.exit(browsed.returncode)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


if __name__ == "__main__":
    main()
