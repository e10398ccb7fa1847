"""The whole market through Polygon's protocol: a universe of every listed ticker
(`universe.listed`, the reference tickers endpoint, 1,000 a page) and a year of daily bars by
session (`daily_requests: per_session`, Grouped Daily), on DuckDB. SYNTHETIC DATA (bench/
synthetic.py's SYN00001...), served by the local server that speaks Polygon's protocol
(tests/provider_servers.py); the machine has no internet.

    python bench/market_bench.py [--tickers 10000] [--years 1] [--out /tmp/marketflow-market]

Prints the requests by endpoint and the run's time by stage, then checks that every ticker the
server lists reached silver.tickers and silver.bars_daily, with every bar it served.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import one_ticker, sessions
from tests.conftest import write_config
from tests.provider_data import API_KEY
from tests.provider_servers import MarketServer

ENDPOINTS = {
    "/v3/reference/tickers": "listing (reference tickers)",
    "/v2/aggs/grouped/": "Grouped Daily",
    "/v3/reference/splits": "splits",
    "/v3/reference/dividends": "dividends",
    "/v2/aggs/ticker/": "per-ticker aggregates",
}


def synthetic_market(tickers: int, years: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bars (ticker, day, open..volume) and actions (ticker, ex_date, action, value)."""
    days = sessions(years)
    frames, actions = [], []
    for i in range(1, tickers + 1):
        bars, events = one_ticker(i, days, seed=7)
        frames.append(bars)
        actions += events
    bars = pd.concat(frames, ignore_index=True)
    bars["day"] = bars.pop("ts").dt.strftime("%Y-%m-%d")
    columns = ["ticker", "ex_date", "action", "value"]
    return bars.sort_values(["ticker", "day"]).reset_index(drop=True), pd.DataFrame(
        actions, columns=columns
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickers", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("/tmp/marketflow-market"))
    args = parser.parse_args()

    began = time.perf_counter()
    bars, actions = synthetic_market(args.tickers, args.years)
    drawn = time.perf_counter() - began
    print(f"SYNTHETIC market: {args.tickers:,} tickers, {len(bars):,} daily bars, "
          f"{len(actions):,} corporate actions ({drawn:.0f} s to draw)")  # fmt: skip
    server = MarketServer()
    server.bars, server.actions = bars, actions
    server.listing_page = 1000  # Polygon's own page
    server.start()
    shutil.rmtree(args.out, ignore_errors=True)
    first, last = bars["day"].min(), bars["day"].max()
    entry = {"type": "polygon", "base_url": server.url, "daily_requests": "per_session",
             "history_start": first,
             "pacing": {"requests_per_second": 100, "workers": 2, "retries": 1}}  # fmt: skip
    config = write_config(
        args.out,
        {
            "universe": {"tickers": [], "indices": [], "listed": {"provider": "polygon"}},
            "intervals": {"1d": "polygon"},
            "providers": {"polygon": entry},
        },
    )
    env = os.environ | {"POLYGON_API_KEY": API_KEY, "MARKETFLOW_GATEWAY": "local",
                        "MARKETFLOW_RAW_URL": "data/raw", "COLUMNS": "400"}  # fmt: skip
    command = [sys.executable, "-m", "pipelines.cli", "--config", str(config), "run",
               "--interval", "1d", "--as-of", last]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    server.stop()
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-3000:])
        print(f"FAILED: the run exited {result.returncode}")
        return 1

    counts = Counter()
    for path, _, _ in server.log:
        counts[next((n for p, n in ENDPOINTS.items() if path.startswith(p)), path)] += 1
    print(f"\n| requests ({first} .. {last}) | count |\n|---|---:|")
    for name in ENDPOINTS.values():
        print(f"| {name} | {counts.get(name, 0):,} |")
    print(f"| all | {sum(counts.values()):,} |")
    summary = [line.strip() for line in result.stdout.splitlines() if line.startswith("Summary")]
    files = sum(1 for p in (args.out / "data" / "raw").rglob("*.parquet"))
    print(f"\nrun wall time {wall:.1f} s, {files:,} raw files; {summary[0] if summary else ''}")

    with duckdb.connect(str(args.out / "data" / "warehouse.duckdb"), read_only=True) as con:
        listed = con.execute("SELECT COUNT(*) FROM silver.tickers").fetchone()[0]
        loaded = con.execute("SELECT COUNT(DISTINCT ticker), COUNT(*) FROM silver.bars_daily")
        with_bars, rows = loaded.fetchone()
    ok = listed == with_bars == args.tickers and rows == len(bars)
    print(f"\nsilver.tickers {listed:,}, tickers with bars {with_bars:,}, bars {rows:,} "
          f"(served {len(bars):,}): {'OK' if ok else 'MISMATCH'}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
