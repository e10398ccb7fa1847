"""gold.ma_crossovers with windows from config.yaml, against crosses found independently with
pandas on the adjusted closes of the real demo data."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.ingest import demo_data as demo
from tests.conftest import AS_OF, Project, make_project


def crosses(closes: pd.DataFrame, fast: int, slow: int) -> pd.DataFrame:
    rows = []
    for ticker, g in closes.groupby("ticker"):
        g = g.sort_values("session_date")
        f = g["adj_close"].rolling(fast).mean()
        s = g["adj_close"].rolling(slow).mean()
        up = (f > s) & (f.shift() <= s.shift())
        down = (f < s) & (f.shift() >= s.shift())
        for date_, is_up in zip(g["session_date"][up | down], up[up | down], strict=True):
            rows.append((ticker, date_, "golden" if is_up else "death"))
    return pd.DataFrame(rows, columns=["ticker", "session_date", "signal"])


def check(project: Project, fast: int, slow: int) -> None:
    closes = project.query("SELECT ticker, session_date, adj_close FROM silver.bars_daily")
    got = project.query(
        "SELECT ticker, session_date, signal, fast_window, slow_window FROM gold.ma_crossovers"
    )
    assert set(got["fast_window"]) == {fast} and set(got["slow_window"]) == {slow}
    expected = crosses(closes, fast, slow).sort_values(["ticker", "session_date"])
    got = got.sort_values(["ticker", "session_date"])[["ticker", "session_date", "signal"]]
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )


def test_default_golden_and_death_crosses(demo_project: Project) -> None:
    check(demo_project, 50, 200)


@pytest.mark.slow
def test_windows_come_from_config(tmp_path) -> None:
    project = make_project(tmp_path, variables={"crossovers": {"fast": 10, "slow": 30}})
    demo.stage(project.drop, tickers=["IBM"])
    project.cli("run", "--as-of", AS_OF)
    check(project, 10, 30)
