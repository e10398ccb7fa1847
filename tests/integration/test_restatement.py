"""A new incremental model is restated when late data lands, with no Python touched: which
models are restated comes from SQLMesh's model graph (those that read bronze, and everything
downstream of them)."""

from __future__ import annotations

import re
import shutil
from datetime import date

import pandas as pd
import pytest
from sqlmesh.utils.date import to_date

from pipelines.analytics.bar_rules import reason_text
from pipelines.config import load_project
from pipelines.config.indices import index_members
from pipelines.ingest import demo_data as demo
from pipelines.transform.driver import execution_time, readers_of
from pipelines.warehouse.sqlmesh import sqlmesh_context
from tests.conftest import AS_OF, REPO, write_config

# What SQLMesh prints on its own: plan trees, per-model lines, "wait until tomorrow".
SQLMESH_TEXT = ("Models needing backfill", "ready to run", "Executing model batches", "WARNING")
NEW_MODEL = """MODEL (
  name silver.daily_bar_closes,
  kind INCREMENTAL_BY_TIME_RANGE (time_column session_date),
  cron '@daily',
  grain (ticker, session_date)
);

SELECT
  ticker, -- Ticker symbol
  @session_date(ts) AS session_date, -- Session
  close -- Close as bronze holds it
FROM bronze.bars
WHERE interval = '1d' AND @session_date(ts) BETWEEN @start_ds AND @end_ds
"""


def test_a_new_model_reading_bronze_is_restated_by_a_late_bar(new_project) -> None:
    project = new_project("duckdb")
    (project.root / "models").unlink()  # a copy of the models, with one more
    shutil.copytree(REPO / "models", project.root / "models")
    (project.root / "models" / "silver" / "daily_bar_closes.sql").write_text(NEW_MODEL)
    demo.stage(project.drop, tickers=["IBM"], start=date(2005, 1, 3), end=date(2005, 6, 30))
    project.cli("run", "--as-of", AS_OF)
    sql = "SELECT close FROM silver.daily_bar_closes WHERE session_date = DATE '2005-03-01'"
    before = project.scalar(sql)

    # The vendor restates 2005-03-01 in a later file: a late bar for a session long computed.
    bars = pd.read_csv(project.drop / demo.BAR_FILE)
    late = bars[bars["Date"] == "2005-03-01"].assign(Close=lambda d: d["Low"])  # still in range
    assert late["Close"].iloc[0] != before
    late.to_csv(project.drop / "1d" / "restated.csv", index=False)
    result = project.cli("run", "--as-of", AS_OF)
    assert "restated from 2005-03-01" in result.stdout
    assert project.scalar(sql) == late["Close"].iloc[0]
    silver = "SELECT close FROM silver.bars_daily WHERE session_date = DATE '2005-03-01'"
    assert project.scalar(silver) == late["Close"].iloc[0]


def test_a_universe_change_and_new_actions_take_effect_the_same_day(new_project) -> None:
    """A universe change lands nothing, yet silver must follow it in the same day's run, also
    when the run that wrote it was killed; new corporate actions restate silver and gold."""
    project = new_project("duckdb", {"universe": {"tickers": ["AAPL"], "indices": []}})
    # AAPL's and IBM's bars and actions: IBM is outside the universe, so only its actions land.
    demo.stage(project.drop, tickers=["AAPL", "IBM"], start=date(2005, 1, 3), end=date(2005, 6, 30))
    first = project.cli("run", "--as-of", AS_OF, check=False)
    assert first.returncode == 3 and "ticker not in the universe" in first.stdout
    tickers = "SELECT ticker, name, sector FROM silver.tickers ORDER BY ticker"
    assert project.query(tickers)["ticker"].tolist() == ["AAPL"]
    events = (
        "SELECT ex_date, rejected FROM silver.adjustment_events WHERE ticker = 'IBM' ORDER BY 1"
    )
    unknown = project.query(events)
    assert len(unknown) > 1 and set(unknown["rejected"]) == {reason_text("unknown_ticker")}

    # IBM joins, and an index brings names and sectors: nothing new lands. The run that wrote
    # the universe is killed right after; the rerun, still the same day, must finish the job.
    write_config(project.root, {"universe": {"tickers": ["AAPL", "IBM"], "indices": ["DOW JONES"]}})
    assert project.cli_killed_at("bronze.universe#1", "run", "--as-of", AS_OF).returncode < 0
    rerun = project.cli("run", "--as-of", AS_OF)
    assert f"restated from {unknown['ex_date'].min():%Y-%m-%d}" in rerun.stdout  # IBM's first
    # MarketFlow's account of the transform, none of SQLMesh's own text (only with --verbose).
    assert re.search(
        r"\d+ model batches, [\d.]+ s summed; slowest: \w+\.\w+", " ".join(rerun.stdout.split())
    )
    for sqlmesh_says in SQLMESH_TEXT:
        assert sqlmesh_says not in rerun.stdout + rerun.stderr, sqlmesh_says
    silver = project.query(tickers).set_index("ticker")
    members = {m.ticker for m in index_members("DOW JONES")} | {"AAPL", "IBM"}
    assert set(silver.index) == members
    assert silver.loc["IBM", "name"] and silver.loc["IBM", "sector"]
    ibm = project.query(events)
    assert ibm["ex_date"].tolist() == unknown["ex_date"].tolist() and ibm["rejected"].isna().all()

    # A dividend the vendor adds later: every earlier AAPL price moves by 1 - D / close(prev).
    gold = (
        "SELECT adj_close FROM gold.daily_features "
        "WHERE ticker = 'AAPL' AND session_date = DATE '2005-04-29'"
    )
    before = project.scalar(gold)
    actions = pd.read_csv(project.drop / demo.ACTIONS_FILE)
    added = pd.DataFrame(
        [{"ticker": "AAPL", "ex_date": "2005-05-02", "action": "dividend", "value": 0.36}]
    )
    pd.concat([actions, added]).to_csv(project.drop / demo.ACTIONS_FILE, index=False)
    verbose = project.cli("run", "--as-of", AS_OF, "--verbose")
    assert "Models selected for restatement" in verbose.stdout  # SQLMesh's own plan text
    assert "model batches," not in verbose.stdout
    multiplier = (
        "SELECT multiplier FROM silver.adjustment_events "
        "WHERE ticker = 'AAPL' AND ex_date = DATE '2005-05-02'"
    )
    assert project.scalar(multiplier) == pytest.approx(1 - 0.36 / 36.06)
    assert project.scalar(gold) == pytest.approx(before * (1 - 0.36 / 36.06))


def test_a_late_bar_restates_every_time_range_model_from_its_session_only(
    new_project, monkeypatch
) -> None:
    """SQLMesh widens a restatement to all history below an incremental model that can only be
    restated whole (INCREMENTAL_BY_UNIQUE_KEY): gold.features_windowed once read
    silver.ticker_sessions, so every incremental run recomputed it from the first session. The
    plan of a one-session restatement must restate each time-range model from that session."""
    project = new_project("duckdb")
    demo.stage(project.drop, tickers=["IBM"], start=date(2005, 1, 3), end=date(2005, 6, 30))
    project.cli("run", "--as-of", AS_OF)
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    context = sqlmesh_context(load_project(project.config))
    try:
        late = date(2005, 6, 1)
        plan = context.plan(
            "prod", restate_models=readers_of(context), start=late, end=late,
            execution_time=execution_time(date(2005, 6, 30)), no_prompts=True, skip_tests=True,
        )  # fmt: skip
        starts = {
            s_id.name: to_date(interval[0])
            for s_id, interval in plan.restatements.items()
            if context.get_model(s_id.name).kind.is_incremental_by_time_range
        }
        assert len(starts) >= 8, starts  # bars, continuous, windowed, recursive, crossovers...
        assert {name: start for name, start in starts.items() if start != late} == {}
    finally:
        context.close()
