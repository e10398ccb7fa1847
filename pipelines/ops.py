"""Operations: the run log (ops.runs in the warehouse) and alerts to a webhook.

Every `run`, `backfill`, `demo` and `check` writes one row to ops.runs when it ends, whatever
the outcome: the API's /health and the report site read it. A failed run or a failed
fail-level check POSTs a Slack-compatible message to the webhook of ALERTS__WEBHOOK_URL or
.dlt/secrets.toml [alerts] webhook_url, if one is set. Neither may fail the command: a
warehouse that cannot take the row or a webhook that does not answer is reported and the
command's own exit code stands.
"""

from __future__ import annotations

import json
import secrets as token
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from pipelines.config import Project
from pipelines.secrets import lookup

RUNS_TABLE = "ops.runs"
COLUMNS = {
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


@dataclass
class RunRecord:
    command: str
    arguments: list[str]
    run_id: str = field(
        default_factory=lambda: datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + token.token_hex(3)
    )
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended_at: datetime | None = None
    status: str = "failed"
    exit_code: int = 1
    rows: dict[str, int] = field(default_factory=dict)
    failed_tickers: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    check_results: list[Any] = field(default_factory=list)
    error: str | None = None

    def finish(self, exit_code: int, error: str | None = None) -> None:
        self.ended_at = datetime.now(UTC)
        self.exit_code = exit_code
        self.error = error
        self.status = {0: "ok", 3: "checks_failed"}.get(exit_code, "failed")

    def add_checks(self, results: list[Any]) -> None:
        self.check_results = list(results)
        statuses = [r.status for r in results]
        self.checks = {
            "passed": statuses.count("pass"),
            "warned": statuses.count("warn"),
            "failed": statuses.count("fail"),
            "skipped": statuses.count("skip"),
            "failed_checks": [f"{r.name} ({r.table})" for r in results if r.status == "fail"],
        }

    def row(self) -> tuple:
        return (
            self.run_id,
            self.command,
            json.dumps(self.arguments),
            self.started_at,
            self.ended_at or datetime.now(UTC),
            self.status,
            self.exit_code,
            json.dumps(self.rows, sort_keys=True),
            json.dumps(self.failed_tickers),
            json.dumps(self.checks, sort_keys=True),
            self.error,
        )

    def check_rows(self) -> list[tuple]:
        at = self.ended_at or datetime.now(UTC)
        return [
            (
                self.run_id,
                at,
                r.name,
                r.table,
                r.severity,
                r.status,
                None if r.value is None else float(r.value),
                str(r.threshold),
                r.detail or "",
            )
            for r in self.check_results
        ]


def write_run(project: Project, record: RunRecord) -> None:
    """Append the run to ops.runs and its checks to ops.check_results (created on first use)."""
    tables = [(RUNS_TABLE, COLUMNS, [record.row()])]
    if record.check_results:
        tables.append((CHECKS_TABLE, CHECK_COLUMNS, record.check_rows()))
    wh = project.warehouse
    if wh.engine == "duckdb":
        import duckdb

        assert wh.duckdb_path is not None
        wh.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(wh.duckdb_path)) as con:
            _append(con, tables, "?")
        return
    with wh.connect_postgres() as con, con.cursor() as cur:
        _append(cur, tables, "%s")


def create_tables(cursor: Any) -> None:
    """ops.runs and ops.check_results, if missing (DuckDB or PostgreSQL)."""
    cursor.execute("CREATE SCHEMA IF NOT EXISTS ops")
    for table, columns in ((RUNS_TABLE, COLUMNS), (CHECKS_TABLE, CHECK_COLUMNS)):
        spec = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} ({spec})")


def _append(cursor: Any, tables: list[tuple[str, dict[str, str], list[tuple]]], mark: str) -> None:
    create_tables(cursor)
    for table, columns, rows in tables:
        marks = ", ".join(mark for _ in columns)
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def alert_message(project: Project, record: RunRecord) -> dict[str, Any] | None:
    """The webhook payload for this run, or None when nothing needs saying."""
    wanted = project.settings.alerts.notify_on
    reasons = []
    if record.status == "failed" and "failed_run" in wanted:
        reasons.append(f"the run failed (exit {record.exit_code})")
        if record.error:
            reasons.append(record.error.splitlines()[0][:300])
        if record.failed_tickers:
            reasons.append("failed tickers: " + ", ".join(record.failed_tickers[:10]))
    failed_checks = record.checks.get("failed_checks") or []
    if failed_checks and "failed_check" in wanted:
        reasons.append(f"{len(failed_checks)} check(s) failed: " + "; ".join(failed_checks[:10]))
    if not reasons:
        return None
    text = f"MarketFlow {record.command} {record.run_id} on {project.warehouse.gateway}: " + (
        ". ".join(reasons)
    )
    return {
        "text": text,
        "run_id": record.run_id,
        "command": record.command,
        "status": record.status,
        "exit_code": record.exit_code,
        "failed_checks": failed_checks,
        "failed_tickers": record.failed_tickers,
    }


def webhook_url(project: Project) -> str | None:
    return lookup(project.root, "alerts", "webhook_url")


def send_alert(project: Project, record: RunRecord) -> str | None:
    """POST the alert if there is one and a webhook is set. Returns what happened, for the
    console ('sent', or why not); never raises, never shows the URL (it is a secret)."""
    payload = alert_message(project, record)
    url = webhook_url(project)
    if payload is None or not url:
        return None
    try:
        response = requests.post(url, json=payload, timeout=project.settings.alerts.timeout_seconds)
    except requests.RequestException as exc:
        return f"alert webhook unreachable ({type(exc).__name__}); alert not delivered"
    if not response.ok:
        return f"alert webhook answered HTTP {response.status_code}; alert not delivered"
    return "alert sent to the webhook"
