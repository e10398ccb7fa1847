"""Bronze's history: which landed copies are a new version of their bar. Hand-checkable cases
on real DuckDB: a re-sent bar is no version, a revision is, a revert to the first value is a
third, a landing's conflicting copies are none, and splitting the same landings into loads
(each compared with what bronze then holds) gives the same versions as one load."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from pipelines.analytics.bar_rules import BAR_VALUES
from pipelines.config.constants import BAR_KEY
from pipelines.ingest.bronze.schemas import BRONZE_BARS_SCHEMA
from pipelines.ingest.bronze.versions import new_versions

DAY1, DAY2 = datetime(2024, 1, 2, 5, tzinfo=UTC), datetime(2024, 1, 3, 5, tzinfo=UTC)
FETCHED = datetime(2024, 2, 1, tzinfo=UTC)


FIXED = {"interval": "1d", "open": 10.0, "high": 12.0, "low": 9.0, "volume": 100.0,
         "provider_adj_close": None, "price_basis": "raw", "source": "files",
         "fetched_at": FETCHED}  # fmt: skip


def bars(*rows: tuple[str, datetime, float, str]) -> pa.Table:
    """(ticker, ts, close, load_id) rows; the other values FIXED."""
    return pa.Table.from_pylist(
        [FIXED | {"ticker": t, "ts": ts, "close": c, "load_id": load} for t, ts, c, load in rows],
        schema=BRONZE_BARS_SCHEMA,
    )


def versions(landed: pa.Table, held: pa.Table | None = None, conflicts=None) -> list[tuple]:
    held = held if held is not None else BRONZE_BARS_SCHEMA.empty_table()
    table = new_versions(landed, held, BAR_KEY, BAR_VALUES, conflicts)
    return [(r["ticker"], r["ts"].day, r["close"], r["load_id"]) for r in table.to_pylist()]


def test_a_resent_bar_is_no_version_and_a_revision_and_a_revert_are():
    landed = bars(
        ("AAA", DAY1, 11.0, "L1"), ("AAA", DAY1, 11.0, "L2"),  # sent again: no version
        ("AAA", DAY1, 11.5, "L3"),  # revised
        ("AAA", DAY1, 11.0, "L4"),  # back to the first value: a third version
        ("AAA", DAY2, 11.2, "L1"), ("BBB", DAY1, 50.0, "L2"),
    )  # fmt: skip
    assert versions(landed) == [
        ("AAA", 2, 11.0, "L1"), ("AAA", 2, 11.5, "L3"), ("AAA", 2, 11.0, "L4"),
        ("AAA", 3, 11.2, "L1"), ("BBB", 2, 50.0, "L2"),
    ]  # fmt: skip


def test_what_bronze_holds_comes_first():
    held = bars(("AAA", DAY1, 11.0, "L1"), ("AAA", DAY2, 11.2, "L1"))
    landed = bars(("AAA", DAY1, 11.0, "L2"), ("AAA", DAY2, 11.3, "L2"))
    assert versions(landed, held) == [("AAA", 3, 11.3, "L2")]


def test_a_landings_last_copy_counts_and_conflicting_copies_are_no_version():
    landed = bars(
        ("AAA", DAY1, 11.0, "L1"), ("AAA", DAY1, 11.0, "L1"),  # identical copies: one bar
        ("AAA", DAY2, 11.2, "L1"), ("AAA", DAY2, 99.0, "L1"),  # conflicting copies
    )  # fmt: skip
    conflicts = bars(("AAA", DAY2, 11.2, "L1"), ("AAA", DAY2, 99.0, "L1"))
    assert versions(landed, conflicts=conflicts) == [("AAA", 2, 11.0, "L1")]


def test_a_nan_or_null_equals_itself_and_nothing_else():
    landed = bars(
        ("AAA", DAY1, float("nan"), "L1"), ("AAA", DAY1, float("nan"), "L2"),
        ("AAA", DAY1, None, "L3"), ("AAA", DAY1, None, "L4"), ("AAA", DAY1, 1.0, "L5"),
    )  # fmt: skip
    assert [v[3] for v in versions(landed)] == ["L1", "L3", "L5"]


def test_the_same_landings_in_one_load_or_in_three_give_the_same_versions():
    landings = [
        bars(("AAA", DAY1, 11.0, "L1"), ("AAA", DAY2, 11.2, "L1")),
        bars(("AAA", DAY1, 11.0, "L2"), ("AAA", DAY2, 11.4, "L2")),
        bars(("AAA", DAY1, 10.0, "L3"), ("AAA", DAY2, 11.4, "L3")),
    ]
    at_once = versions(pa.concat_tables(landings))
    one_by_one, held = [], BRONZE_BARS_SCHEMA.empty_table()
    for landed in landings:
        one_by_one += versions(landed, held)
        held = landed  # bronze then holds this landing's rows (every key re-sent here)
    assert sorted(one_by_one) == sorted(at_once) == [
        ("AAA", 2, 10.0, "L3"), ("AAA", 2, 11.0, "L1"), ("AAA", 3, 11.2, "L1"),
        ("AAA", 3, 11.4, "L2"),
    ]  # fmt: skip
