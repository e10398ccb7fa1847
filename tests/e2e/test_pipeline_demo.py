"""The bundled demo end to end through the real CLI, into throwaway DuckDB warehouses."""

from __future__ import annotations

from datetime import date

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest
import yaml

from pipelines.config import load_project
from pipelines.ingest import demo_data as demo
from pipelines.warehouse.sqlmesh import sqlmesh_context
from tests.conftest import AS_OF, Project, make_project
from tests.tables import GOLD_TABLES, SILVER_TABLES, assert_same_tables, snapshot

BAR_COLUMNS = ["open", "high", "low", "close", "volume"]


def test_bronze_equals_source(demo_project: Project, bundled: pd.DataFrame) -> None:
    bronze = demo_project.query(
        "SELECT ticker, CAST(ts AT TIME ZONE 'America/New_York' AS DATE) AS day, "
        "open, high, low, close, volume, provider_adj_close FROM bronze.bars WHERE interval = '1d'"
    )
    source = bundled.rename(
        columns={"Ticker": "ticker", "Date": "day", "Adj Close": "provider_adj_close"}
        | {c.title(): c for c in BAR_COLUMNS}
    )
    source["day"] = pd.to_datetime(source["day"]).dt.date
    bronze["day"] = pd.to_datetime(bronze["day"]).dt.date
    assert bronze.groupby("ticker").size().to_dict() == source.groupby("ticker").size().to_dict()
    merged = source.merge(bronze, on=["ticker", "day"], suffixes=("_src", "_bronze"))
    assert len(merged) == len(source)
    for column in [*BAR_COLUMNS, "provider_adj_close"]:
        np.testing.assert_array_equal(merged[f"{column}_src"], merged[f"{column}_bronze"])


def test_silver_sessions_are_exchange_sessions(demo_project: Project) -> None:
    days = demo_project.query("SELECT DISTINCT session_date FROM silver.bars_daily")
    days = set(pd.to_datetime(days["session_date"]).dt.date)
    # exchange_calendars directly, not the pipeline's calendar model.
    calendar = xcals.get_calendar("XNYS", start="1999-01-01", end="2014-12-31")
    sessions = set(calendar.sessions_in_range("2000-01-01", "2013-12-31").date)
    assert days <= sessions
    assert date(2001, 9, 11) not in days and date(2012, 10, 29) not in days  # closures
    per_ticker = demo_project.query(
        "SELECT ticker, MIN(session_date) AS first, MAX(session_date) AS last, COUNT(*) AS n "
        "FROM silver.bars_daily GROUP BY ticker"
    )
    for row in per_ticker.itertuples():
        expected = [d for d in sessions if row.first.date() <= d <= row.last.date()]
        assert row.n == len(expected), row.ticker  # no gaps in this dataset


def test_gold_has_every_ticker(demo_project: Project) -> None:
    tickers = demo_project.query("SELECT DISTINCT ticker FROM gold.daily_features")["ticker"]
    assert sorted(tickers) == ["AAPL", "FB", "GOOG", "IBM", "MSFT"]
    latest = demo_project.query("SELECT * FROM gold.latest_prices ORDER BY ticker")
    assert list(latest["session_date"].astype(str)) == ["2013-03-01"] * 5
    # The latest adjusted close equals the close: nothing after it adjusts it.
    assert (latest["adj_close"] == latest["close"]).all()


def test_split_keeps_adjusted_series_continuous(demo_project: Project) -> None:
    rows = demo_project.query(
        "SELECT session_date, close, adj_close FROM silver.bars_daily "
        "WHERE ticker = 'AAPL' AND session_date IN ('2005-02-25', '2005-02-28') "
        "ORDER BY session_date"
    )
    raw_move = rows["close"].iloc[1] / rows["close"].iloc[0]
    adjusted_move = rows["adj_close"].iloc[1] / rows["adj_close"].iloc[0]
    assert raw_move == pytest.approx(44.86 / 88.99)  # the 2:1 split, as traded
    # Adjusted, the day is an ordinary move: 2 x 44.86 / 88.99 - 1 = +0.8 %.
    assert adjusted_move == pytest.approx(2 * 44.86 / 88.99, rel=1e-12)
    returns = demo_project.query(
        "SELECT MIN(return_1d), MAX(return_1d) FROM gold.daily_features WHERE ticker = 'AAPL'"
    )
    assert returns.iloc[0, 0] > -0.55  # no -50 % day anywhere (AAPL's worst was -52 % in 2000)


def test_adjusted_prices_match_the_vendors_adj_close(new_project, backend) -> None:
    """Recomputing the adjustment from the derived splits and dividends reproduces Quandl's
    own Adj Close (up to one constant per ticker: Quandl also applied actions after 2013)."""
    project = new_project(backend, variables={"adjustment": {"dividend_method": "ex_close"}})
    project.cli("demo", "--as-of", AS_OF)
    ratio = project.query(
        "SELECT ticker, session_date, adj_close / provider_adj_close AS r FROM silver.bars_daily"
    )
    for ticker, g in ratio.groupby("ticker"):
        r = g.sort_values("session_date")["r"].to_numpy()
        np.testing.assert_allclose(r, r[-1], rtol=1e-9, err_msg=ticker)


def test_second_identical_run_changes_nothing(new_project, backend) -> None:
    project = new_project(backend)
    project.cli("demo", "--as-of", AS_OF)
    before = snapshot(project, {**SILVER_TABLES, **GOLD_TABLES})
    bronze_before = project.scalar("SELECT COUNT(*) FROM bronze.bars")
    landings = project.scalar("SELECT COUNT(*) FROM bronze.raw_loads")
    result = project.cli("run", "--as-of", AS_OF)
    assert "nothing new" in result.stdout
    # The summary says where the warehouse stands, read from silver here independently.
    coverage = project.query(
        "SELECT COUNT(DISTINCT ticker) AS n, MAX(session_date) AS last FROM silver.bars_daily"
    ).iloc[0]
    said = f"Summary: up to date: {coverage['n']} tickers through {coverage['last']:%Y-%m-%d}"
    assert said in " ".join(result.stdout.split()), result.stdout[-1500:]
    assert project.scalar("SELECT COUNT(*) FROM bronze.bars") == bronze_before
    assert project.scalar("SELECT COUNT(*) FROM bronze.raw_loads") == landings
    assert_same_tables(before, snapshot(project, {**SILVER_TABLES, **GOLD_TABLES}), rtol=0)


def test_a_later_slice_adds_exactly_that_slice(new_project, demo_project: Project) -> None:
    project = new_project(demo_project.backend)
    first = demo.stage(project.drop, end=date(2010, 12, 31))
    project.cli("run", "--as-of", AS_OF)
    assert project.scalar("SELECT COUNT(*) FROM bronze.bars") == first["bars"]
    last = project.scalar("SELECT MAX(session_date) FROM gold.daily_features")
    assert last.date() == date(2010, 12, 31)

    later = demo.stage(project.drop, start=date(2011, 1, 1), bar_file="1d/stocks-2011.csv")
    demo.stage_minutes(project.drop)  # as the demo does
    result = project.cli("run", "--as-of", AS_OF)
    assert f"files 1d: landed {later['bars']:,} bars" in result.stdout
    assert (
        project.scalar("SELECT COUNT(*) FROM bronze.bars WHERE interval = '1d'")
        == first["bars"] + later["bars"]
    )
    # The result is exactly the one-shot build of the whole dataset.
    tables = {**SILVER_TABLES, **GOLD_TABLES}
    assert_same_tables(snapshot(project, tables), snapshot(demo_project, tables))


def test_backfill_loads_the_window_and_a_later_run_the_rest(new_project, demo_project) -> None:
    project = new_project(demo_project.backend)
    demo.stage(project.drop)
    project.cli(
        "backfill",
        "--start",
        "2005-01-01",
        "--end",
        "2005-12-31",
        "--tickers",
        "AAPL",
        "--as-of",
        AS_OF,
    )
    per_ticker = project.query("SELECT ticker, COUNT(*) AS n FROM bronze.bars GROUP BY ticker")
    assert per_ticker.to_dict("records") == [{"ticker": "AAPL", "n": 252}]  # 2005's sessions
    assert project.scalar("SELECT COUNT(*) FROM gold.daily_features") == 252
    # The drop file was only partly loaded, so the next run reads all of it.
    demo.stage_minutes(project.drop)
    project.cli("run", "--as-of", AS_OF)
    tables = {**SILVER_TABLES, **GOLD_TABLES}
    assert_same_tables(snapshot(project, tables), snapshot(demo_project, tables))


def test_gold_is_identical_on_both_backends(demos) -> None:
    tables = {**SILVER_TABLES, **GOLD_TABLES}
    # Two engines round the last bit differently; a return of exactly 0 may be 2e-16 on one.
    assert_same_tables(
        snapshot(demos["duckdb"], tables), snapshot(demos["postgres"], tables), atol=1e-12
    )


def test_editing_the_universe_does_not_re_version_any_model(tmp_path) -> None:
    """Models read only the exchange and adjustment variables: adding a ticker must not make
    SQLMesh rebuild twenty years of history."""
    project = make_project(tmp_path)
    demo.stage(project.drop, end=date(2000, 12, 31))
    project.cli("run", "--as-of", AS_OF)
    config = yaml.safe_load(project.config.read_text())
    config["variables"]["marketflow"]["universe"]["tickers"].append("NVDA")
    config["variables"]["marketflow"]["storage"]["raw_url"] = "data/raw-elsewhere"
    project.config.write_text(yaml.safe_dump(config, default_style='"', width=1 << 20))
    context = sqlmesh_context(load_project(project.config, "local"))
    try:
        assert not context.plan_builder("prod").build().has_changes
    finally:
        context.close()
