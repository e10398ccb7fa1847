"""A new incremental model is restated when late data lands, with no Python touched: which
models are restated comes from SQLMesh's model graph (those that read bronze, and everything
downstream of them)."""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd

from pipelines.ingest import demo_data as demo
from tests.conftest import AS_OF, REPO

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
