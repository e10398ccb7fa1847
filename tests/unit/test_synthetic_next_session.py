"""The benchmark's next sessions continue each SYNTHETIC ticker's series: the price moves like
a trading day from the history's last close, so the run's step checks pass (`make bench` used
to stop with exit 3 when the next session's price was drawn at random)."""

from __future__ import annotations

import sys
from pathlib import Path

import exchange_calendars as xcals
import pandas as pd

from pipelines.config.schema import Checks

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import synthetic

TICKERS = 40


def test_the_next_sessions_continue_every_series(tmp_path: Path) -> None:
    synthetic.write(tmp_path, TICKERS, years=2)
    synthetic.next_session_file(tmp_path, TICKERS, "next-1.parquet", nth=1)
    synthetic.next_session_file(tmp_path, TICKERS, "next-2.parquet", nth=2)
    bars = pd.concat(pd.read_parquet(f) for f in sorted((tmp_path / "1d").glob("*.parquet")))
    bars = bars.sort_values(["ticker", "ts"])
    last = pd.Timestamp(synthetic.LAST_SESSION)
    after = xcals.get_calendar("XNYS").sessions_in_range("2025-01-01", "2025-01-31")[:2]
    new = bars[bars["ts"] > last]
    assert sorted(new["ts"].unique()) == list(after.tz_localize(None))
    assert new.groupby("ticker").size().eq(2).all() and new["ticker"].nunique() == TICKERS

    limits = Checks()
    tail = bars.groupby("ticker").tail(3)  # the history's last session and the two new ones
    step = (tail["close"] / tail.groupby("ticker")["close"].shift() - 1).abs().dropna()
    assert len(step) == 2 * TICKERS and step.max() < limits.price_step, step.max()
    volume = tail["volume"] / tail.groupby("ticker")["volume"].shift()
    assert volume.dropna().max() <= limits.volume_step, volume.max()
    assert (new["high"] >= new[["open", "close"]].max(axis=1)).all()
    assert (new["low"] <= new[["open", "close"]].min(axis=1)).all() and (new["low"] > 0).all()
