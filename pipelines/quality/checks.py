"""Data-quality checks: row counts of the published tables, then the Soda contracts of checks/
(duplicates on each grain, missing keys, OHLC sanity, ranges, the quarantine, missing sessions,
health checks and calendar-aware freshness; contracts.py runs them).

`marketflow check` runs them all. A run checks less, because SQLMesh has just audited every
interval it computed (its audits block a bad build) and a run must cost the same on any length
of history: there, the physical tables behind the published ones must exist and hold a row,
and the contracts that declare themselves windowed or freshness checks run over what it restated.

Which tables count, and which may be empty, is declared on each model (SQLMesh tags):
`published` (part of the outside contract, docs/tables.md), `may_be_empty` (no rejected bar, no
gap, no cross, no corporate action yet, no 1-minute provider), `daily` (built from daily bars:
empty while only 1-minute bars were loaded).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pipelines.config import Project
from pipelines.quality.contracts import run_contracts
from pipelines.quality.results import CheckResult
from pipelines.warehouse import queries
from pipelines.warehouse.engines import Warehouse
from pipelines.warehouse.sqlmesh import project_models, schema_table

LAYERS = ("bronze", "silver", "gold")


def model_name(model: Any) -> str:
    """schema.table of a SQLMesh model (without the catalog and quotes)."""
    return schema_table(model.fqn)


def tagged(models: Mapping[str, Any]) -> dict[str, Any]:
    """The published models (of SQLMesh's models by name), by schema.table, bronze then silver
    then gold."""
    found = {model_name(m): m for m in models.values() if "published" in m.tags}
    return dict(sorted(found.items(), key=lambda kv: (LAYERS.index(kv[0].split(".")[0]), kv[0])))


def physical_tables(models: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """The tables behind the published models, with the tags that say whether each must hold
    rows: a published table itself, or for a view the tables it reads (through other views).
    One row read from each is cheap on any history. A table has its own tags; one without any
    (an external table behind bronze's views on Spark) gets the tags every published model
    reaching it shares, so one that must hold rows makes it must (the raw action files, behind
    corporate actions that may be empty, may be empty too)."""
    by_fqn = {m.fqn: m for m in models.values()}
    found: dict[str, frozenset[str]] = {}

    def visit(model: Any, tags: frozenset[str]) -> None:
        if model.kind.is_view:
            for parent in sorted(model.depends_on):
                visit(by_fqn[parent], tags)
        elif model.tags:  # its own say
            found[model_name(model)] = frozenset(model.tags)
        else:
            name = model_name(model)
            found[name] = found[name] & tags if name in found else tags

    for model in tagged(models).values():
        visit(model, frozenset(model.tags))
    return dict(sorted(found.items(), key=lambda kv: (LAYERS.index(kv[0].split(".")[0]), kv[0])))


def run_checks(
    project: Project,
    now: datetime,
    full: bool = True,
    since: date | None = None,
    fresh_intervals: list[str] | None = None,
) -> list[CheckResult]:
    """Every check over the whole history (`full`), or what a run ends with: the tables hold
    rows, the bars are fresh, and the windowed contracts over the sessions it restated
    (`since`; None when it restated nothing). As of `now`, an aware datetime: freshness
    depends on the time of day."""
    models = project_models(project)
    counted = (
        {name: frozenset(m.tags) for name, m in tagged(models).items()}
        if full
        else physical_tables(models)
    )
    warehouse = Warehouse.of(project)
    # Dozens of small queries and a connection per contract: with one connection held, the
    # others open the file already open (tens of milliseconds each otherwise).
    with warehouse.reusing():
        daily = queries.has_daily_bars(warehouse)
        count = queries.row_count if full else queries.has_rows
        results = [_row_count(t, count(warehouse, t), tags, daily) for t, tags in counted.items()]
        if any(r.value is None for r in results if r.table == "bronze.bars"):
            return results  # nothing loaded yet: the contracts would only repeat it
        if full:
            contracts = run_contracts(project, now, fresh_intervals=fresh_intervals)
        elif since is None:
            contracts = run_contracts(project, now, "freshness", fresh_intervals=fresh_intervals)
        else:
            contracts = run_contracts(project, now, "run", since, fresh_intervals)
    return results + contracts


def row_counts(project: Project) -> dict[str, int | None]:
    """Rows of every published table (None when it does not exist yet)."""
    tables = list(tagged(project_models(project)))
    warehouse = Warehouse.of(project)
    with warehouse.reusing():
        return {table: queries.row_count(warehouse, table) for table in tables}


def _row_count(table: str, n: int | None, tags: frozenset[str], daily: bool) -> CheckResult:
    must_have_rows = "may_be_empty" not in tags and (daily or "daily" not in tags)
    return CheckResult(
        name="row_count",
        table=table,
        severity="fail" if must_have_rows else "warn",
        passed=n is not None and (n > 0 or not must_have_rows),
        value=n,
        threshold="> 0" if must_have_rows else "exists",
        detail="" if n is not None else "table does not exist: has the pipeline run?",
    )
