"""Silver and gold: run the SQLMesh project on the selected gateway.

Landings that bronze has but silver and gold do not yet reflect are those in bronze.raw_loads
with no `transformed_at`. Their earliest session is where the incremental models must be
restated from (a late bar, a backfill, a new corporate action); SQLMesh restates their
downstream models too. Only after SQLMesh succeeds are the landings marked, so a killed
transform is simply redone by the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pipelines.config import Project
from pipelines.faults import checkpoint
from pipelines.settings import BRONZE_DATASET, INCREMENTAL_MODELS, RAW_LOADS_TABLE

# Models that read bronze (or everything) and must be refreshed when bronze changes; SQLMesh
# restates what is downstream of them.
RESTATED_MODELS = (
    "silver.corporate_actions",
    "silver.adjustment_totals",
    *INCREMENTAL_MODELS,
)


class TransformError(RuntimeError):
    pass


@dataclass
class TransformResult:
    restated_from: date | None
    end: date
    planned: bool


def progress_console(rich_console: Any) -> Any:
    """SQLMesh's terminal console (progress bars, model errors) without the model-by-model
    plan diffs, which are noise in a pipeline run."""
    from sqlmesh.core.console import TerminalConsole

    class PipelineConsole(TerminalConsole):
        def show_environment_difference_summary(self, *args: Any, **kwargs: Any) -> None:
            pass

        def update_snapshot_evaluation_progress(self, *args: Any, **kwargs: Any) -> None:
            super().update_snapshot_evaluation_progress(*args, **kwargs)
            checkpoint("sqlmesh.batch")

        def show_model_difference_summary(self, *args: Any, **kwargs: Any) -> None:
            pass

    return PipelineConsole(console=rich_console)


def sqlmesh_context(project: Project, console: Any | None = None) -> Any:
    """A SQLMesh context on the project's gateway; silent unless given a console."""
    from sqlmesh import Context
    from sqlmesh.core.console import NoopConsole, set_console

    from pipelines import sqlmesh_postgres

    sqlmesh_postgres.install()
    set_console(console if console is not None else NoopConsole())  # SQLMesh's is global
    return Context(paths=str(project.root), config=project.sqlmesh_config, gateway=project.gateway)


def execution_time(end: date) -> datetime:
    """SQLMesh processes a daily interval once it has closed: to include session `end`, the
    execution time is the next midnight UTC."""
    return datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)


def pending_landings(context: Any) -> tuple[list[str], date | None]:
    """Landings bronze holds that silver/gold do not reflect yet, and their earliest date."""
    table = f"{BRONZE_DATASET}.{RAW_LOADS_TABLE}"
    adapter = context.engine_adapter
    if not adapter.table_exists(table):
        return [], None
    rows = adapter.fetchall(f"SELECT load_id, first_date FROM {table} WHERE transformed_at IS NULL")
    dates = [r[1] for r in rows if r[1] is not None]
    first = min(dates) if dates else None
    if isinstance(first, datetime):
        first = first.date()
    return [r[0] for r in rows], first


def mark_transformed(context: Any, load_ids: list[str]) -> None:
    if not load_ids:
        return
    table = f"{BRONZE_DATASET}.{RAW_LOADS_TABLE}"
    now = datetime.now(UTC).isoformat()
    ids = ", ".join("'" + i.replace("'", "''") + "'" for i in load_ids)
    context.engine_adapter.execute(
        f"UPDATE {table} SET transformed_at = CAST('{now}' AS TIMESTAMPTZ) WHERE load_id IN ({ids})"
    )


def has_prod(context: Any) -> bool:
    return context.state_reader.get_environment("prod") is not None


def transform(project: Project, end: date, console: Any | None = None) -> TransformResult:
    """Bring silver and gold up to date with bronze, through session `end`."""
    from sqlmesh.utils.errors import SQLMeshError

    context = sqlmesh_context(project, console)
    try:
        load_ids, first = pending_landings(context)
        exec_time = execution_time(end)
        existed = has_prod(context)
        # Apply model changes; on the first run this builds everything from bronze.
        plan = context.plan(
            "prod", no_prompts=True, auto_apply=True, execution_time=exec_time, skip_tests=True
        )
        planned = bool(plan.has_changes) or not existed
        # The first build covers every landing: report it from the earliest one.
        restated = first if not existed and first is not None else None
        if first is not None and first <= end and existed:
            context.plan(
                "prod",
                restate_models=list(RESTATED_MODELS),
                start=first,
                end=end,
                no_prompts=True,
                auto_apply=True,
                execution_time=exec_time,
                skip_tests=True,
            )
            restated = first
        status = context.run("prod", execution_time=exec_time)
        if getattr(status, "is_failure", False):
            raise TransformError("SQLMesh run failed; see the model errors above")
        mark_transformed(context, load_ids)
        return TransformResult(restated, end, planned)
    except SQLMeshError as exc:
        raise TransformError(f"SQLMesh: {exc}") from None
    finally:
        context.close()
