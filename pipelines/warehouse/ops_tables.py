"""The ops schema: the run log (ops.runs) and every check of every run (ops.check_results).
Written by the run layer (pipelines/run/runlog.py), read by the API's /health and the report."""

from __future__ import annotations

from typing import Any

RUNS_TABLE = "ops.runs"
RUN_COLUMNS = {
    "run_id": "TEXT PRIMARY KEY",
    "command": "TEXT NOT NULL",
    "arguments": "TEXT NOT NULL",  # JSON list, as typed
    "started_at": "TIMESTAMPTZ NOT NULL",
    "ended_at": "TIMESTAMPTZ NOT NULL",
    "status": "TEXT NOT NULL",  # ok | checks_failed | failed
    "exit_code": "INTEGER NOT NULL",
    "rows": "TEXT NOT NULL",  # JSON {stage: rows}
    "failed_tickers": "TEXT NOT NULL",  # JSON list of "TICKER: reason"
    "checks": "TEXT NOT NULL",  # JSON {passed, warned, failed, skipped, failed_checks}
    "error": "TEXT",
}
CHECKS_TABLE = "ops.check_results"  # one row per check of a run: the report's data-quality page
CHECK_COLUMNS = {
    "run_id": "TEXT NOT NULL",
    "checked_at": "TIMESTAMPTZ NOT NULL",
    "name": "TEXT NOT NULL",
    "dataset": "TEXT NOT NULL",
    "severity": "TEXT NOT NULL",  # fail | warn
    "status": "TEXT NOT NULL",  # pass | warn | fail | skip
    "value": "DOUBLE PRECISION",
    "threshold": "TEXT NOT NULL",
    "detail": "TEXT NOT NULL",  # failing examples or why it was skipped
}


def create_tables(cursor: Any) -> None:
    """ops.runs and ops.check_results, if missing (DuckDB or PostgreSQL: the DDL is the same)."""
    cursor.execute("CREATE SCHEMA IF NOT EXISTS ops")
    for table, columns in ((RUNS_TABLE, RUN_COLUMNS), (CHECKS_TABLE, CHECK_COLUMNS)):
        spec = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} ({spec})")
