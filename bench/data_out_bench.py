"""Getting data out: a year of daily bars as Parquet over the API and through the client, and
`marketflow export` of gold, on the demo warehouse (5 real tickers) and on SYNTHETIC data (500
tickers named SYN00001..., two years on the XNYS calendar; nothing there is a real price).

    python bench/data_out_bench.py [--tickers 500] [--repeat 5] [--skip-synthetic]

DuckDB backend. Each timing is the median of `--repeat` runs after one warm-up (the first read
of a fresh process takes the DuckDB snapshot; its time is shown apart as "first"). The server
is `marketflow serve` with its default settings on 127.0.0.1, sharing the machine's cores with
the client. Prints a Markdown table (docs/benchmarks.md's) and writes bench/work/data-out.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import synthetic  # noqa: E402
from bench.pipeline_bench import configure  # noqa: E402
from marketflow import client  # noqa: E402
from tests.conftest import AS_OF, make_project  # noqa: E402

WORK = ROOT / "bench" / "work" / "data-out"
BIN = Path(sys.executable).parent
LOCAL_ENV = {"MARKETFLOW_GATEWAY": "local", "MARKETFLOW_RAW_URL": "data/raw"}


def cli(config: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "marketflow"), "--config", str(config), *args],
        env={**os.environ, **LOCAL_ENV}, check=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def demo_project() -> tuple[Path, tuple[str, str]]:
    root = WORK / "demo"
    shutil.rmtree(root, ignore_errors=True)
    config = make_project(root).config
    print("building the demo warehouse", flush=True)
    cli(config, "demo", "--as-of", AS_OF)
    return config, ("2012-01-01", "2012-12-31")


def synthetic_project(tickers: int) -> tuple[Path, tuple[str, str]]:
    root = WORK / f"synthetic-{tickers}"
    shutil.rmtree(root, ignore_errors=True)
    (root / "data" / "drop").mkdir(parents=True)
    print(f"generating {tickers} SYNTHETIC tickers x 2 years, building the warehouse", flush=True)
    synthetic.write(root / "data" / "drop", tickers, 2)
    configure(root, tickers)
    subprocess.run(
        [
            str(BIN / "marketflow"),
            "--config",
            str(root / "config.yaml"),
            "run",
            "--as-of",
            synthetic.LAST_SESSION.isoformat(),
        ],
        env={**os.environ, **LOCAL_ENV},
        check=False,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip  (exit 3 on a warned check still leaves the warehouse built)
    return root / "config.yaml", ("2024-01-01", "2024-12-31")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(config: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "marketflow"), "--config", str(config), "serve", "--port", str(port)],
        env={**os.environ, **LOCAL_ENV}, cwd=config.parent, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/v1/tickers", timeout=30):
                return server, base
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("marketflow serve did not start") from None
            time.sleep(0.3)


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """(first, median of `repeat` after it, the last result)."""
    started = time.perf_counter()
    result = action()
    first = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return first, statistics.median(times), result


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=600) as response:
        return response.read()


def measure(name: str, config: Path, year: tuple[str, str], repeat: int) -> list[list[str]]:
    os.environ.update(LOCAL_ENV)
    server, base = serve(config)
    rows = []
    start, end = year
    try:
        url = f"{base}/v1/bars?start={start}&end={end}&adjusted=true&format=parquet"
        first, median, body = timed(lambda: fetch(url), repeat)
        frame = client.connect(base).bars(None, start, end, adjusted=True)
        size = f"{len(frame):,} rows, {len(body) / 1e6:.1f} MB"
        rows.append([name, "API, Parquet (GET /v1/bars, adjusted)", size, first, median])
        with client.connect(base) as remote:
            first, median, _ = timed(lambda: remote.bars(None, start, end, adjusted=True), repeat)
        rows.append([name, "client over HTTP -> pandas", f"{len(frame):,} rows", first, median])
        with client.connect(config) as local:
            first, median, _ = timed(lambda: local.bars(None, start, end, adjusted=True), repeat)
        rows.append([name, "client, local DuckDB -> pandas", f"{len(frame):,} rows", first, median])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    out = config.parent / "exports"
    seconds = [
        cli(config, "export", "--tables", "gold.daily_features", "--out", str(out))
        for _ in range(max(1, repeat // 2))
    ]
    files = [f for f in (out / "gold" / "daily_features").rglob("*.parquet")]
    megabytes = sum(f.stat().st_size for f in files) / 1e6
    rows.append([name, "marketflow export gold.daily_features (whole, CLI start-up included)",
                 f"{len(files)} files, {megabytes:.1f} MB", seconds[0],
                 statistics.median(seconds)])  # fmt: skip
    return rows


def render(rows: list[list]) -> str:
    lines = [
        "| data | path | answer | first s | median s |",
        "|---|---|---|---:|---:|",
    ]
    for name, path, size, first, median in rows:
        lines.append(f"| {name} | {path} | {size} | {first:.2f} | {median:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickers", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    rows = measure("demo, 5 tickers, 2012", *demo_project(), args.repeat)
    if not args.skip_synthetic:
        name = f"SYNTHETIC, {args.tickers} tickers, 2024"
        rows += measure(name, *synthetic_project(args.tickers), args.repeat)
    table = render(rows)
    print(table)
    (WORK.parent / "data-out.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
