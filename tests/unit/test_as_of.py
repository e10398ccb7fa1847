"""The as-of reads' parts that need no pipeline: which tables the reads answer from, and the
query that picks bronze as of a moment (on a real DuckDB, hand-checkable versions)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa

from pipelines.transform.as_of import ANSWERED, HISTORY, Source, _source_query, tables_read
from pipelines.warehouse import series

T1, T2, T3 = (datetime(2024, 1, day, 22, tzinfo=UTC) for day in (2, 3, 4))


def test_the_reads_answer_from_the_tables_the_replay_serves() -> None:
    window = series.Window(("AAPL",), date(2024, 1, 2), date(2024, 1, 5))
    read = {
        *tables_read(series.bars("1d", True, window).sql),
        *tables_read(series.bars("1m", True, window).sql),
    }
    features = "SELECT ticker, session_date FROM gold.daily_features"  # series.features' table
    assert read | set(tables_read(features)) == set(ANSWERED)


def test_bronze_as_of_a_moment_is_the_latest_version_landed_by_then() -> None:
    """AAPL's bar of 01-02 landed at T1 (close 10), revised at T3 (close 11); MSFT's bar landed
    at T2. As of a moment between T2 and T3: AAPL's close is 10 and MSFT's bar is there; as of
    one before T2, MSFT has none; the versions of a landing after the moment never count."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA bronze")
    con.execute(
        "CREATE TABLE bronze.raw_loads AS SELECT * FROM (VALUES ('l1', TIMESTAMPTZ "
        f"'{T1.isoformat()}'), ('l2', TIMESTAMPTZ '{T2.isoformat()}'), ('l3', TIMESTAMPTZ "
        f"'{T3.isoformat()}')) AS t(load_id, landed_at)"
    )
    con.execute(
        "CREATE TABLE bronze.bar_versions AS SELECT * FROM (VALUES "
        "('AAPL', '1d', TIMESTAMPTZ '2024-01-02 05:00:00+00', 10.0, 'l1'), "
        "('MSFT', '1d', TIMESTAMPTZ '2024-01-02 05:00:00+00', 20.0, 'l2'), "
        "('AAPL', '1d', TIMESTAMPTZ '2024-01-02 05:00:00+00', 11.0, 'l3')"
        ") AS t(ticker, interval, ts, close, load_id)"
    )
    source = Source(
        "bronze.bars",
        {"ticker": "TEXT", "interval": "TEXT", "ts": "TIMESTAMPTZ", "close": "DOUBLE",
         "load_id": "TEXT"},
    )  # fmt: skip
    assert "bronze.bars" in HISTORY

    def closes(moment: datetime, tickers=None) -> dict[str, float]:
        sql, params = _source_query(source, moment, tickers, None)
        rows = con.execute(sql, params).fetchall()
        return {ticker: close for ticker, _, _, close, _ in rows}

    between = datetime(2024, 1, 3, 23, tzinfo=UTC)
    assert closes(between) == {"AAPL": 10.0, "MSFT": 20.0}
    assert closes(datetime(2024, 1, 2, 23, tzinfo=UTC)) == {"AAPL": 10.0}
    assert closes(T3) == {"AAPL": 11.0, "MSFT": 20.0}
    assert closes(between, ["MSFT"]) == {"MSFT": 20.0}
    assert pa.schema(source.schema).names == list(source.columns)
