"""Data-quality checks: row counts of every table, then the Soda contracts of checks/
(duplicates on each grain, missing keys, OHLC sanity, ranges, the quarantine, missing
sessions, health checks and calendar-aware freshness; pipelines/quality.py runs them).

`marketflow check` runs them all. A run checks less, because SQLMesh has just audited every
interval it computed (its audits block a bad build) and a run must cost the same on any length
of history: there, each table must exist and hold rows, and the bars must be fresh.

Each check has a severity: a failing `fail` check makes `marketflow check` (and `run`) exit 3,
a failing `warn` check is reported only. A check that does not apply (the freshness of a
historical drop folder, say) is reported as `skip` with the reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from pipelines.config import Project
from pipelines.settings import RUN_CHECK_TABLES, SUMMARY_TABLES


@dataclass(frozen=True)
class CheckResult:
    name: str
    table: str
    severity: str  # fail | warn
    passed: bool
    value: float | int | None
    threshold: str
    detail: str = ""
    skipped: bool = False

    @property
    def status(self) -> str:
        if self.skipped:
            return "skip"
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
    project: Project,
    now: datetime,
    context: Any | None = None,
    full: bool = True,
    since: date | None = None,
    fresh_intervals: list[str] | None = None,
) -> list[CheckResult]:
    """Every check over the whole history (`full`), or what a run ends with: the tables hold
    rows, the bars are fresh, and the run contracts over the sessions it restated (`since`;
    None when it restated nothing). As of `now`, an aware datetime: freshness depends on the
    time of day."""
    from pipelines.quality import FRESHNESS_CONTRACT, RUN_CONTRACTS, run_contracts
    from pipelines.transform import sqlmesh_context

    own = context is None
    context = context or sqlmesh_context(project)
    try:
        daily = _has_daily_bars(context)
        if not full:
            results = [
                _row_count(t, n, daily) for t, n in has_rows(context, RUN_CHECK_TABLES).items()
            ]
        else:
            results = [_row_count(table, n, daily) for table, n in row_counts(context).items()]
        if any(r.value is None for r in results if r.table.startswith("bronze.bars")):
            return results  # nothing loaded yet: the contracts would only repeat it
    finally:
        if own:
            context.close()
    if full:
        contracts = run_contracts(project, now, fresh_intervals=fresh_intervals)
    elif since is None:
        contracts = run_contracts(
            project, now, [FRESHNESS_CONTRACT], fresh_intervals=fresh_intervals
        )
    else:
        contracts = run_contracts(
            project, now, RUN_CONTRACTS, since=since, fresh_intervals=fresh_intervals
        )
    return results + [_from_contract(c) for c in contracts]


def _from_contract(check: Any) -> CheckResult:
    return CheckResult(
        name=check.name,
        table=check.table,
        severity=check.severity,
        passed=check.skipped or check.outcome == "PASSED",
        value=check.value,
        threshold=check.threshold,
        detail=check.detail,
        skipped=check.skipped,
    )


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


# May legitimately be empty: no rejected bar, no gap, no crossover, no split or dividend yet,
# no 1-minute bars (whether they are due is the 1-minute freshness check's call).
MAY_BE_EMPTY = (
    "silver.bars_1m",
    "gold.intraday_sessions",
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
