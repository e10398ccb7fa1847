"""Seeded synthetic daily bars on the real XNYS calendar, with splits and dividends, written as
drop files for the files provider. SYNTHETIC DATA: tickers are named SYN00001..., the provider
is called `synthetic`, and nothing here is a real price.

    python bench/synthetic.py OUT_DIR --tickers 500 --years 20 [--first 1] [--seed 7]

Writes OUT_DIR/1d/SYN00001.parquet ... (as-traded OHLCV) and OUT_DIR/corporate_actions.csv.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.analytics.exchange_calendar import session_dates
from pipelines.ingest.demo_data import synthetic_minutes

LAST_SESSION = date(2024, 12, 31)


def sessions(years: int, end: date = LAST_SESSION) -> list[date]:
    return session_dates("XNYS", date(end.year - years + 1, 1, 1), end)


def ticker_name(i: int) -> str:
    return f"SYN{i:05d}"


def one_ticker(i: int, days: list[date], seed: int) -> tuple[pd.DataFrame, list[tuple]]:
    """Bars (as traded) and corporate actions of ticker i, deterministic in (seed, i)."""
    rng = np.random.default_rng([seed, i])
    n = len(days)
    log_returns = rng.normal(0.0003, 0.018, n)
    # Splits: a 2:1 or 3:1 about once a decade, when the price has run up.
    traded_factor = np.ones(n)
    split_ratios: dict[int, float] = {}  # two splits drawn on one session are one action
    for _ in range(rng.poisson(n / 2520)):
        k = int(rng.integers(50, n))
        ratio = float(rng.choice([2.0, 3.0]))
        traded_factor[k:] /= ratio
        split_ratios[k] = split_ratios.get(k, 1.0) * ratio
    actions = [(ticker_name(i), days[k].isoformat(), "split", r) for k, r in split_ratios.items()]
    close = 20 * np.exp(np.cumsum(log_returns)) * rng.uniform(0.5, 5)
    close_traded = close * traded_factor
    # Quarterly dividends for about half of the tickers: ~0.4 % of the price.
    if rng.random() < 0.5:
        for k in range(int(rng.integers(20, 63)), n, 63):
            cash = round(float(close_traded[k - 1]) * 0.004, 4)
            actions.append((ticker_name(i), days[k].isoformat(), "dividend", cash))
    spread = np.abs(rng.normal(0, 0.01, n)) + 0.002
    open_ = close_traded * np.exp(rng.normal(0, 0.006, n))
    high = np.maximum(open_, close_traded) * (1 + spread)
    low = np.minimum(open_, close_traded) * (1 - spread)
    volume = rng.lognormal(13, 0.6, n).round() / traded_factor
    bars = pd.DataFrame(
        {
            "ticker": ticker_name(i),
            "ts": pd.to_datetime(days),
            "open": open_.round(4),
            "high": high.round(4),
            "low": low.round(4),
            "close": close_traded.round(4),
            "volume": volume.round(),
        }
    )
    return bars, actions


def write(out: Path, tickers: int, years: int, first: int = 1, seed: int = 7) -> dict[str, int]:
    days = sessions(years)
    (out / "1d").mkdir(parents=True, exist_ok=True)
    actions: list[tuple] = []
    rows = 0
    for i in range(first, first + tickers):
        bars, events = one_ticker(i, days, seed)
        table = pa.Table.from_pandas(bars, preserve_index=False)
        pq.write_table(table, out / "1d" / f"{ticker_name(i)}.parquet")
        actions += events
        rows += len(bars)
    frame = pd.DataFrame(actions, columns=["ticker", "ex_date", "action", "value"])
    path = out / "corporate_actions.csv"
    if path.exists():  # several batches share one actions file
        frame = pd.concat([pd.read_csv(path), frame]).drop_duplicates()
    frame.to_csv(path, index=False)
    return {"bars": rows, "actions": len(actions), "sessions": len(days)}


def next_session_file(
    out: Path, tickers: int, name: str, nth: int = 1, first: int = 1, seed: int = 7
) -> int:
    """The nth session of 2025 for tickers first..first+tickers-1, in one file: each ticker's
    series goes on from the last bar of its history file in out/1d (one trading day's move a
    session, the same draws whichever nth is asked for), so the run's step checks pass."""
    day = session_dates("XNYS", date(2025, 1, 1), date(2025, 1, 31))[nth - 1]
    rows = []
    for i in range(first, first + tickers):
        history = pq.read_table(out / "1d" / f"{ticker_name(i)}.parquet").to_pandas()
        last = history.sort_values("ts").iloc[-1]
        # One stream per quantity, so session k's draws are the same whatever nth is asked.
        moves = np.exp(np.random.default_rng([seed, 10**6, i, 0]).normal(0.0003, 0.018, nth))
        volumes = np.exp(np.random.default_rng([seed, 10**6, i, 1]).normal(0, 0.2, nth))
        day_rng = np.random.default_rng([seed, 10**6, i, 2, nth])
        close = float(last["close"]) * float(np.prod(moves))  # the history's daily returns
        open_ = close / moves[-1] * float(np.exp(day_rng.normal(0, 0.006)))
        spread = 1.002 + abs(float(day_rng.normal(0, 0.01)))
        volume = float(last["volume"]) * float(np.prod(volumes))
        high, low = max(open_, close) * spread, min(open_, close) / spread
        values = (round(open_, 4), round(high, 4), round(low, 4), round(close, 4), round(volume))
        rows.append((ticker_name(i), pd.Timestamp(day), *values))
    frame = pd.DataFrame(rows, columns=["ticker", "ts", "open", "high", "low", "close", "volume"])
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), out / "1d" / name)
    return len(frame)


def write_minutes(out: Path, daily: Path, tickers: int, days: list[date]) -> dict[date, int]:
    """1-minute bars of tickers 1..n for each session in `days`, derived from their daily bars
    in daily/1d (the demo's SYNTHETIC minute generator: the minutes open at the day's open,
    touch its high and low and close at its close), one file per session in out/1m."""
    (out / "1m").mkdir(parents=True, exist_ok=True)
    vendor = {"ticker": "Ticker", "open": "Open", "high": "High", "low": "Low", "close": "Close",
              "volume": "Volume"}  # fmt: skip
    frames = []
    for i in range(1, tickers + 1):
        bars = pq.read_table(daily / "1d" / f"{ticker_name(i)}.parquet").to_pandas()
        frames.append(bars[bars["ts"].dt.date.isin(days)])
    daily_bars = pd.concat(frames).rename(columns=vendor)
    daily_bars["Date"] = daily_bars.pop("ts").dt.strftime("%Y-%m-%d")
    written = {}
    for day, bars in daily_bars.groupby("Date"):
        minutes = synthetic_minutes(bars).drop(columns=["Adj Close"])
        minutes = minutes.rename(columns={v: k for k, v in vendor.items()} | {"Date": "ts"})
        minutes["ts"] = pd.to_datetime(minutes["ts"], utc=True)
        table = pa.Table.from_pandas(minutes, preserve_index=False)
        pq.write_table(table, out / "1m" / f"{day}.parquet")
        written[date.fromisoformat(day)] = len(minutes)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--tickers", type=int, default=500)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(write(args.out, args.tickers, args.years, args.first, args.seed))


if __name__ == "__main__":
    main()
