"""The read queries that more than one caller needs (the API, the backtests, the report, the run's
summary and its row counts). Each takes a Reader: the API's read-only one, or the Warehouse.
Values are always bound parameters; only names from the lists below go into the SQL text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pipelines.warehouse.engines import Warehouse
from pipelines.warehouse.readers import Reader


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


# ---------------------------------------------------------------- the universe


def tickers(db: Reader) -> list[dict[str, Any]]:
    return db.rows(
        "SELECT ticker, name, sector, industry, first_session, last_session "
        "FROM silver.tickers ORDER BY ticker"
    )


def known_tickers(db: Reader, wanted: Sequence[str]) -> set[str]:
    """Which of `wanted` are tickers of the universe."""
    found = db.rows(f"SELECT ticker FROM silver.tickers WHERE ticker IN ({_marks(wanted)})", wanted)
    return {row["ticker"] for row in found}


# ---------------------------------------------------------------- bars and features


def latest_prices(db: Reader, chosen: Sequence[str] | None) -> list[dict[str, Any]]:
    sql = (
        "SELECT ticker, session_date, close, adj_close, return_1d, "
        "CAST(FLOOR(volume + 0.5) AS BIGINT) AS volume FROM gold.latest_prices"
    )
    if chosen is None:
        return db.rows(sql + " ORDER BY ticker")
    return db.rows(f"{sql} WHERE ticker IN ({_marks(chosen)}) ORDER BY ticker", chosen)


def signals(
    db: Reader, since: date, chosen: Sequence[str] | None, limit: int
) -> list[dict[str, Any]]:
    """Moving-average crosses on or after `since`, the newest first."""
    where, params = "session_date >= ?", [since]
    if chosen:
        where += f" AND ticker IN ({_marks(chosen)})"
        params += list(chosen)
    return db.rows(
        "SELECT ticker, session_date, signal, fast, slow, fast_window, slow_window "
        f"FROM gold.ma_crossovers WHERE {where} ORDER BY session_date DESC, ticker LIMIT ?",
        [*params, limit],
    )


def adjusted_bars(
    db: Reader, ticker: str | None, start: date | None, end: date | None
) -> list[dict[str, Any]]:
    """Adjusted opens and closes (silver.bars_daily) of one ticker, or with ticker None of
    every ticker (with a leading ticker column), in session order: what backtests run on."""
    window = [start or date(1, 1, 1), end or date(9999, 12, 31)]
    if ticker is None:
        return db.rows(
            "SELECT ticker, session_date, adj_open, adj_close FROM silver.bars_daily "
            "WHERE session_date >= ? AND session_date <= ? ORDER BY ticker, session_date",
            window,
        )
    return db.rows(
        "SELECT session_date, adj_open, adj_close FROM silver.bars_daily "
        "WHERE ticker = ? AND session_date >= ? AND session_date <= ? ORDER BY session_date",
        [ticker, *window],
    )


# ---------------------------------------------------------------- health and summaries

# The latest session (or minute) of the tables /health reports, and the interval each holds.
LATEST = {
    "silver.bars_daily": ("1d", "SELECT MAX(session_date) AS latest FROM silver.bars_daily"),
    "silver.bars_1m": ("1m", "SELECT MAX(ts) AS latest FROM silver.bars_1m"),
    "gold.daily_features": ("1d", "SELECT MAX(session_date) AS latest FROM gold.daily_features"),
}


def latest(db: Reader, table: str) -> Any:
    return db.rows(LATEST[table][1])[0]["latest"]


def last_run(db: Reader) -> dict[str, Any] | None:
    """The newest pipeline run (not a `check`) of ops.runs; None before the first one."""
    try:
        found = db.rows(
            "SELECT run_id, command, status, started_at, ended_at, exit_code FROM ops.runs "
            "WHERE command <> 'check' ORDER BY started_at DESC LIMIT 1"
        )
    except Exception:  # no run logged yet (the table appears with the first one)
        return None
    return found[0] if found else None


def provider_agreement(db: Reader) -> list[dict[str, Any]]:
    """How often each pair of providers agrees (gold.provider_agreement), per interval."""
    return db.rows(
        "SELECT interval, primary_source, secondary, compared, agreed, agreement_rate "
        "FROM gold.provider_agreement ORDER BY interval, primary_source, secondary"
    )


def row_count(db: Warehouse, table: str) -> int | None:
    """Rows in the table, None when it does not exist."""
    if not db.table_exists(table):
        return None
    return int(db.rows(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])


def has_rows(db: Warehouse, table: str) -> int | None:
    """1 if the table has a row, 0 if empty, None if missing: one row read."""
    if not db.table_exists(table):
        return None
    return len(db.rows(f"SELECT 1 AS x FROM {table} LIMIT 1"))


def has_daily_bars(db: Warehouse) -> bool:
    return db.table_exists("bronze.bars") and bool(
        db.rows("SELECT 1 AS x FROM bronze.bars WHERE interval = '1d' LIMIT 1")
    )


def latest_coverage(db: Reader) -> tuple[int, date | None]:
    """(tickers with a good daily bar, the latest such session): where the warehouse stands."""
    found = db.rows(
        "SELECT COUNT(*) AS n, MAX(last_session) AS last FROM silver.ticker_sessions "
        "WHERE last_session IS NOT NULL"
    )
    return (int(found[0]["n"]), found[0]["last"]) if found else (0, None)


def daily_coverage(db: Reader, since: date | None) -> list[tuple[str, int, date, date]]:
    """(ticker, bars, first session, last session) of the good daily bars, from `since` on."""
    where, params = ("WHERE session_date >= ?", [since]) if since else ("", [])
    found = db.rows(
        "SELECT ticker, COUNT(*) AS n, MIN(session_date) AS first, MAX(session_date) AS last "
        f"FROM silver.bars_daily_continuous {where} GROUP BY ticker ORDER BY ticker",
        params,
    )
    return [(r["ticker"], int(r["n"]), r["first"], r["last"]) for r in found]
