"""Operations: the run log (ops.runs in the warehouse) and alerts to a webhook.

Every `run`, `backfill`, `demo` and `check` writes one row to ops.runs when it ends, whatever
the outcome: the API's /health and the report site read it. A failed run or a failed
fail-level check POSTs a Slack-compatible message to the webhook of ALERTS__WEBHOOK_URL or
.dlt/secrets.toml [alerts] webhook_url, if one is set. Neither may fail the command: a
warehouse that cannot take the row or a webhook that does not answer is reported and the
command's own exit code stands.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets as token
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from pipelines.config import Project
from pipelines.config.secrets import lookup
from pipelines.run.outcome import ExitCode, describe
from pipelines.warehouse.engines import Warehouse
from pipelines.warehouse.ops_tables import CHECK_COLUMNS, CHECKS_TABLE, RUN_COLUMNS, RUNS_TABLE


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
        self.status = {ExitCode.OK: "ok", ExitCode.DATA_QUALITY: "checks_failed"}.get(
            exit_code, "failed"
        )

    def holder(self) -> dict[str, Any]:
        """Who holds the warehouse while this run does (warehouse/locks.py)."""
        return {
            "run_id": self.run_id,
            "command": self.command,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": self.started_at.isoformat(timespec="seconds"),
        }

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


PENDING_FILE = "ops-runs-pending.jsonl"


class RunLogPending(RuntimeError):
    """The row could not be written now; it is kept for the next command to write."""


def write_run(project: Project, record: RunRecord, also: list[list] | None = None) -> None:
    """Append the run to ops.runs and its checks to ops.check_results (created on first use);
    `also`: rows of runs that could not log themselves (shards: encoded_row), for ops.runs.

    A row the warehouse cannot take now (another run holds the DuckDB file, the server is
    down) is kept in `pipelines_dir/ops-runs-pending.jsonl` and written, with any others kept
    there, by the next command that logs a run: every command gets its row, late at worst."""
    others = [_decode(row) for row in also or []]
    rows = {RUNS_TABLE: [*others, record.row()], CHECKS_TABLE: record.check_rows()}
    spool = project.pipelines_dir / PENDING_FILE
    spool.parent.mkdir(parents=True, exist_ok=True)
    with open(spool, "a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # against another command flushing it at once
        fh.seek(0)
        kept = [json.loads(line) for line in fh if line.strip()]
        tables = [
            (table, columns, [_decode(r) for k in kept for r in k[table]] + rows[table])
            for table, columns in ((RUNS_TABLE, RUN_COLUMNS), (CHECKS_TABLE, CHECK_COLUMNS))
        ]
        try:
            Warehouse.of(project).append_run(tables)
        except Exception as exc:
            encoded = {table: [_encode(r) for r in found] for table, found in rows.items()}
            fh.write(json.dumps(encoded) + "\n")
            raise RunLogPending(
                f"{describe(exc)}; the row is kept in {spool} for the next run to write"
            ) from None
        fh.truncate(0)


def encoded_row(record: RunRecord) -> list:
    """The run's ops.runs row as JSON values, for a run that cannot reach the warehouse."""
    return _encode(record.row())


def _encode(row: tuple) -> list:
    return [{"$ts": v.isoformat()} if isinstance(v, datetime) else v for v in row]


def _decode(row: list) -> tuple:
    return tuple(
        datetime.fromisoformat(v["$ts"]) if isinstance(v, dict) and "$ts" in v else v for v in row
    )


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
    text = f"MarketFlow {record.command} {record.run_id} on {project.gateway}: " + (
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
