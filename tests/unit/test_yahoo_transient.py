"""Which yfinance failures the Yahoo source retries."""

from __future__ import annotations

import sqlite3

import peewee
import pytest
from yfinance.exceptions import YFTickerMissingError

from pipelines.ingest.sources.web import PermanentError
from pipelines.ingest.sources.yahoo.client import is_transient


def locked_error(tmp_path) -> peewee.OperationalError:
    """The error yfinance's time-zone cache (SQLite through peewee) raises when another
    thread's fetch holds its write lock: provoked for real, not constructed."""
    path = str(tmp_path / "tkr-tz.db")
    holder = sqlite3.connect(path, check_same_thread=False)
    holder.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT)")
    holder.commit()
    holder.execute("BEGIN IMMEDIATE")
    db = peewee.SqliteDatabase(path, timeout=0)
    try:
        db.execute_sql("INSERT INTO kv VALUES ('IBM', 'America/New_York')")
    except peewee.OperationalError as exc:
        return exc
    finally:
        holder.rollback()
        holder.close()
        db.close()
    raise AssertionError("the write was not refused")


def test_a_locked_time_zone_cache_is_retried(tmp_path):
    # Seen in CI: "failed IBM (yahoo 1d): OperationalError: database is locked" while
    # several tickers were fetched at once: the next attempt succeeds, so it is transient.
    error = locked_error(tmp_path)
    assert "locked" in str(error)
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [PermanentError("no such symbol"), YFTickerMissingError("XYZ", "no data")],
)
def test_permanent_failures_are_not_retried(error):
    assert not is_transient(error)


def test_other_database_errors_are_not_retried():
    assert not is_transient(peewee.IntegrityError("UNIQUE constraint failed"))
