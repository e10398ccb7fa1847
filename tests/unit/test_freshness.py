"""Freshness has one judgement (pipelines/quality/freshness.py): the Soda contract, which sees
the due time as its "now", and the quality layer's own verdict (what /health reports) agree at
every moment of the calendar cases below, weekends, Labor Day and an early close included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import duckdb
import pytest

from pipelines.config import load_project
from pipelines.quality.contracts import run_contracts
from pipelines.quality.freshness import judge
from pipelines.run.options import run_moment
from tests.conftest import make_project

NY = ZoneInfo("America/New_York")
FRESH = {"providers": {"files": {"freshness": True}}}
# The latest daily bar in the warehouse, a moment, and whether it is fresh then (by hand: a
# daily bar is due two hours after its session's close; a minute 15 minutes behind the clock).
DAILY = [
    (date(2012, 8, 31), "2012-09-01T12:00", True),  # Saturday after a full Friday
    (date(2012, 8, 31), "2012-09-04T10:00", True),  # Tuesday after Labor Day, before the close
    (date(2012, 8, 31), "2012-09-04T18:30", False),  # Tuesday's bar was due at 18:00
    (date(2012, 8, 31), "2012-09-05T10:00", False),  # Wednesday: Tuesday's is missing
    (date(2012, 11, 21), "2012-11-23T14:30", True),  # Black Friday closes 13:00: due 15:00
    (date(2012, 11, 21), "2012-11-23T15:30", False),
]
# The latest minute bar (a start, exchange time) of 2012-11-26, a moment, fresh?
MINUTES = [
    ("10:39", "2012-11-26T10:50", True),  # 10:34 is due
    ("10:39", "2012-11-26T11:00", False),  # 10:44 is due
    ("10:39", "2012-11-26T09:35", True),  # before the open: Friday's 12:59 (early close)
]


def warehouse(tmp_path, daily: date | None, minute: datetime | None):
    project = make_project(tmp_path, FRESH)
    path = project.warehouse
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA bronze")
        con.execute("CREATE TABLE bronze.bars (ticker TEXT, interval TEXT, ts TIMESTAMPTZ)")
        if daily:
            ts = datetime.combine(daily, time(0), NY).astimezone(UTC)
            con.execute("INSERT INTO bronze.bars VALUES ('IBM', '1d', ?)", [ts])
        if minute:
            con.execute("INSERT INTO bronze.bars VALUES ('IBM', '1m', ?)", [minute.astimezone(UTC)])
    return load_project(project.config)


def soda(project, as_of: str, name: str) -> str:
    checks = run_contracts(project, run_moment(project, as_of), only=["bronze/freshness.yml"])
    return next(c.status for c in checks if c.name == name)


@pytest.mark.parametrize(("latest", "as_of", "fresh"), DAILY)
def test_daily_freshness_contract_and_judgement_agree(tmp_path, latest, as_of, fresh) -> None:
    project = warehouse(tmp_path, latest, None)
    assert judge(project, "1d", latest, run_moment(project, as_of)).fresh is fresh
    assert soda(project, as_of, "daily bars are fresh") == ("pass" if fresh else "fail")


@pytest.mark.parametrize(("latest", "as_of", "fresh"), MINUTES)
def test_minute_freshness_contract_and_judgement_agree(tmp_path, latest, as_of, fresh) -> None:
    hour, minute = map(int, latest.split(":"))
    start = datetime(2012, 11, 26, hour, minute, tzinfo=NY)
    project = warehouse(tmp_path, None, start)
    assert judge(project, "1m", start, run_moment(project, as_of)).fresh is fresh
    assert soda(project, as_of, "1-minute bars are fresh") == ("pass" if fresh else "fail")


def test_a_historical_drop_folder_is_not_judged(tmp_path) -> None:
    project = load_project(make_project(tmp_path).config)  # freshness: false (the demo)
    verdict = judge(project, "1d", date(2012, 8, 31), run_moment(project, "2026-11-20"))
    assert verdict.fresh is None and "historical drop folder" in verdict.skipped
