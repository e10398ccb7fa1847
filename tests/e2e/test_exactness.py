"""Incremental runs produce exactly what a one-shot build produces, every cell, on both
backends: a build through D, then D+1, D+2, D+3 as separate runs (the AAPL 2:1 split of
2005-02-28 arriving among them, so it restates all earlier adjusted values), then the rest."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.ingest import demo_data as demo
from tests.conftest import AS_OF
from tests.tables import GOLD_TABLES, SILVER_TABLES, assert_same_tables, snapshot

NEXT_SESSIONS = [date(2005, 2, 28), date(2005, 3, 1), date(2005, 3, 2)]


@pytest.mark.slow
def test_day_by_day_runs_equal_the_one_shot_build(new_project, demo_project) -> None:
    project = new_project(demo_project.backend)
    demo.stage(project.drop, end=date(2005, 2, 25))
    project.cli("run", "--as-of", AS_OF)
    before_split = project.scalar(
        "SELECT adj_close FROM silver.bars_daily "
        "WHERE ticker = 'AAPL' AND session_date = DATE '2005-02-25'"
    )
    for day in NEXT_SESSIONS:
        demo.stage(project.drop, start=day, end=day, bar_file=f"1d/stocks-{day}.csv")
        result = project.cli("run", "--as-of", AS_OF)
        assert "restated from" in result.stdout
    # The split restated the adjusted history before it: halved, on the next run.
    after_split = project.scalar(
        "SELECT adj_close FROM silver.bars_daily "
        "WHERE ticker = 'AAPL' AND session_date = DATE '2005-02-25'"
    )
    assert after_split / before_split == pytest.approx(0.5, rel=1e-12)

    demo.stage(project.drop, start=date(2005, 3, 3), bar_file="1d/stocks-rest.csv")
    demo.stage_minutes(project.drop)
    project.cli("run", "--as-of", AS_OF)
    tables = {**SILVER_TABLES, **GOLD_TABLES}
    assert_same_tables(snapshot(project, tables), snapshot(demo_project, tables), rtol=1e-9)
