"""API benchmark: wrk against `marketflow serve` on 127.0.0.1, on the demo warehouse.

    python bench/api_bench.py [--duration 15] [--connections 4,8,32] [--workers 1]

Routes: /v1/prices/latest for the demo's 5 tickers and /v1/bars/{ticker} for one year of daily
bars. wrk is the Debian
package (`apt-get install wrk`). Prints a Markdown table: requests/s, p50/p99 latency, errors.
Target on a 2-core machine (issue 18): >= 3,000 requests/s and p99 <= 20 ms with 0 errors for
/v1/prices/latest at 32 connections, with `marketflow serve`'s default settings.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROUTES = {
    "/v1/prices/latest (5 tickers)": "/v1/prices/latest?tickers=AAPL,MSFT,IBM,GOOG,FB",
    "/v1/bars/AAPL (one year, 1d)": "/v1/bars/AAPL?start=2012-01-01&end=2012-12-31",
}
# wrk prints the latency distribution with --latency; done() adds exact percentiles.
REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"p50\\": %f, \\"p99\\": %f, \\"requests\\": %d, " ..
    "\\"seconds\\": %f, \\"errors\\": %d, \\"non2xx\\": %d}\\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.duration / 1e6, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.errors.status))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the API did not answer {url} within {seconds:.0f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", default="4,8,32", help="comma-separated")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=None, help="default: serve's own")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    marketflow = [sys.executable, "-m", "pipelines.cli"]
    if not (ROOT / "data" / "warehouse.duckdb").exists():
        print("no demo warehouse: running marketflow demo first", flush=True)
        subprocess.run([*marketflow, "demo"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(
        [*marketflow, "serve", "--port", str(port)]
        + ([] if args.workers is None else ["--workers", str(args.workers)]),
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    results = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/health")
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(REPORT)
        for label, path in ROUTES.items():
            urllib.request.urlopen(base + path, timeout=10).read()  # warm the snapshot
            for connections in map(int, args.connections.split(",")):
                out = subprocess.run(
                    ["wrk", f"-t{args.threads}", f"-c{connections}", f"-d{args.duration}s",
                     "-s", script.name, base + path],
                    capture_output=True, text=True, check=True,
                ).stdout  # fmt: skip
                stats = json.loads(re.search(r"^JSON (.*)$", out, re.M).group(1))
                results.append((label, connections, stats))
                print(f"{label} c={connections}: {stats}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"\nwrk -t{args.threads} -d{args.duration}s, marketflow serve "
        + ("(default workers), " if args.workers is None else f"--workers {args.workers}, ")
        + "DuckDB demo warehouse, 127.0.0.1 (wrk shares the two cores)\n"
    )
    print("| route | connections | requests/s | p50 ms | p99 ms | errors | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, connections, s in results:
        rate = s["requests"] / s["seconds"]
        target = "≥ 3,000/s, p99 ≤ 20 ms" if "latest" in label and connections == 32 else "–"
        errors = s["errors"] + s["non2xx"]
        print(
            f"| {label} | {connections} | {rate:,.0f} | {s['p50']:.1f} | {s['p99']:.1f} "
            f"| {errors} | {target} |"
        )


if __name__ == "__main__":
    main()
