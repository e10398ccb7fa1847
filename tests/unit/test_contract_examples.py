"""A failed check names its first failing rows, by ticker and then date, whatever order the
engine stores them in: the same examples on every run and every engine."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb

from pipelines.config import load_project
from pipelines.quality.contracts import run_contracts
from pipelines.run.options import run_moment
from tests.conftest import make_project

ROWS = [  # stored newest first, MSFT before AAPL
    ("MSFT", date(2005, 7, 19), "high below low"),
    ("IBM", date(2005, 7, 12), "open outside low-high"),
    ("AAPL", date(2005, 3, 1), "missing price"),
    ("AAPL", date(2005, 2, 1), "high below low"),
]


def test_examples_are_the_first_rows_by_ticker_and_date(tmp_path) -> None:
    project = make_project(tmp_path)
    project.warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(project.warehouse)) as con:
        con.execute("CREATE SCHEMA silver")
        con.execute(
            "CREATE TABLE silver.quarantine (ticker TEXT, interval TEXT, ts TIMESTAMPTZ, "
            "bar_date DATE, reason TEXT)"
        )
        for ticker, day, reason in ROWS:
            ts = datetime(day.year, day.month, day.day, 5, tzinfo=UTC)
            con.execute(
                "INSERT INTO silver.quarantine VALUES (?, '1d', ?, ?, ?)", [ticker, ts, day, reason]
            )
    loaded = load_project(project.config)
    checks = run_contracts(loaded, run_moment(loaded, "2026-11-20"), only=["silver/quarantine.yml"])
    prices = next(c for c in checks if c.name == "no impossible prices")
    assert prices.status == "fail" and prices.value == 4
    assert prices.detail == (
        "e.g. AAPL, 2005-02-01, 1d, high below low; AAPL, 2005-03-01, 1d, missing price; "
        "IBM, 2005-07-12, 1d, open outside low-high"
    )
