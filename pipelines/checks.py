"""Data-quality checks: every SQLMesh audit over the whole history, plus row counts.

`marketflow check` runs them all. A run checks less, because SQLMesh has just audited every
interval it computed and a run must cost the same on any length of history: there, each table
must simply exist and hold rows.

Each check has a severity: a failing `fail` check makes `marketflow check` (and `run`) exit 3,
a failing `warn` check is reported only. SQLMesh's blocking audits are `fail`, its
non-blocking ones `warn`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from pipelines.config import Project
from pipelines.settings import RUN_CHECK_TABLES, SUMMARY_TABLES

HISTORY_START = date(1990, 1, 1)  # model_defaults.start in config.yaml


@dataclass(frozen=True)
class CheckResult:
    name: str
    table: str
    severity: str  # fail | warn
    passed: bool
    value: float | int | None
    threshold: str
    detail: str = ""

    @property
    def status(self) -> str:
        return "pass" if self.passed else self.severity

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}


def failed(results: list[CheckResult]) -> list[CheckResult]:
    return [r for r in results if not r.passed and r.severity == "fail"]


def row_counts(context: Any, tables: tuple[str, ...] = SUMMARY_TABLES) -> dict[str, int | None]:
    adapter = context.engine_adapter
    counts: dict[str, int | None] = {}
    for table in tables:
        counts[table] = (
            adapter.fetchone(f"SELECT COUNT(*) FROM {table}")[0]
            if adapter.table_exists(table)
            else None
        )
    return counts


def run_checks(
    project: Project, as_of: date, context: Any | None = None, full: bool = True
) -> list[CheckResult]:
    """Every check (`full`), or the cheap ones a run ends with."""
    from pipelines.transform import execution_time, sqlmesh_context

    own = context is None
    context = context or sqlmesh_context(project)
    try:
        daily = _has_daily_bars(context)
        if not full:
            return [_row_count(t, n, daily) for t, n in has_rows(context, RUN_CHECK_TABLES).items()]
        results = [_row_count(table, n, daily) for table, n in row_counts(context).items()]
        results += _audits(context, as_of, execution_time(as_of))
        return results
    finally:
        if own:
            context.close()


def has_rows(context: Any, tables: tuple[str, ...] = SUMMARY_TABLES) -> dict[str, int | None]:
    """1 if the table has a row, 0 if empty, None if missing: one row read per table."""
    adapter = context.engine_adapter
    return {
        table: (
            len(adapter.fetchall(f"SELECT 1 FROM {table} LIMIT 1"))
            if adapter.table_exists(table)
            else None
        )
        for table in tables
    }


def _has_daily_bars(context: Any) -> bool:
    adapter = context.engine_adapter
    return adapter.table_exists("bronze.bars") and bool(
        adapter.fetchall("SELECT 1 FROM bronze.bars WHERE interval = '1d' LIMIT 1")
    )


# May legitimately be empty: no rejected bar, no gap, no crossover, no split or dividend yet.
MAY_BE_EMPTY = (
    "silver.quarantine",
    "silver.missing",
    "gold.ma_",
    "bronze.corporate_actions",
    "silver.corporate_actions",
)
# Built from daily bars: empty while only 1-minute bars were loaded.
FROM_DAILY_BARS = ("silver.bars_daily", "silver.ticker_sessions", "gold.")


def _row_count(table: str, n: int | None, daily: bool = True) -> CheckResult:
    must_have_rows = not table.startswith(MAY_BE_EMPTY) and (
        daily or not table.startswith(FROM_DAILY_BARS)
    )
    return CheckResult(
        name="row_count",
        table=table,
        severity="fail" if must_have_rows else "warn",
        passed=n is not None and (n > 0 or not must_have_rows),
        value=n,
        threshold="> 0" if must_have_rows else "exists",
        detail="" if n is not None else "table does not exist: has the pipeline run?",
    )


def _audits(context: Any, as_of: date, exec_time: Any) -> list[CheckResult]:
    results = []
    for snapshot in sorted(context.snapshots.values(), key=lambda s: s.name):
        if not snapshot.is_model or not snapshot.node.audits_with_args:
            continue
        table = snapshot.node.name
        for audit in context.snapshot_evaluator.audit(
            snapshot=snapshot,
            start=HISTORY_START,
            end=as_of,
            execution_time=exec_time,
            snapshots=context.snapshots,
        ):
            if audit.skipped:
                continue
            results.append(
                CheckResult(
                    name=f"audit:{audit.audit.name}",
                    table=table,
                    severity="fail" if audit.blocking else "warn",
                    passed=not audit.count,
                    value=audit.count or 0,
                    threshold="= 0 rows",
                    detail=_audit_args(snapshot, audit.audit.name),
                )
            )
    return results


def _audit_args(snapshot: Any, name: str) -> str:
    for audit_name, args in snapshot.node.audits:
        if audit_name == name and args:
            return ", ".join(f"{k}={v.sql() if hasattr(v, 'sql') else v}" for k, v in args.items())
    return ""
