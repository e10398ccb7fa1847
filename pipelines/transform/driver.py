"""Silver and gold: run the SQLMesh project on the selected gateway.

Landings that bronze has but silver and gold do not yet reflect are those in bronze.raw_loads
with no `transformed_at`. Their earliest session is where the incremental models must be
restated from (a late bar, a backfill, a new corporate action); SQLMesh restates their
downstream models too. The landings are marked only once the run's verdict is out
(pipelines/run/execute.py calls mark_transformed after its checks, run log and alert), so a
run killed anywhere before that is redone by the next one, checks included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmesh import Context
from sqlmesh.core.console import TerminalConsole
from sqlmesh.utils.errors import SQLMeshError

from pipelines.checkpoints import checkpoint
from pipelines.config import Project
from pipelines.config.constants import BRONZE_DATASET, RAW_LOADS_TABLE
from pipelines.warehouse.engines import Warehouse
from pipelines.warehouse.sqlmesh import sqlmesh_context


class TransformError(RuntimeError):
    pass


@dataclass
class TransformResult:
    restated_from: date | None
    end: date
    planned: bool
    load_ids: list[str] = field(default_factory=list)  # to mark once the verdict is out


class PipelineConsole(TerminalConsole):
    """SQLMesh's terminal console (progress bars, model errors) without the model-by-model
    plan diffs, which are noise in a pipeline run; a crash point after each batch."""

    def show_environment_difference_summary(self, *args: Any, **kwargs: Any) -> None:
        pass

    def update_snapshot_evaluation_progress(self, *args: Any, **kwargs: Any) -> None:
        super().update_snapshot_evaluation_progress(*args, **kwargs)
        checkpoint("sqlmesh.batch")

    def show_model_difference_summary(self, *args: Any, **kwargs: Any) -> None:
        pass


def progress_console(rich_console: Any) -> PipelineConsole:
    return PipelineConsole(console=rich_console)


def restated_models(context: Context) -> list[str]:
    """The models that read bronze: when new landings arrive they are restated from the
    landings' earliest date, and SQLMesh restates everything downstream of them. Read from
    SQLMesh's own model graph, so a new model is restated without a list kept by hand."""
    external = {name for name, model in context.models.items() if model.kind.is_external}
    return sorted(
        name
        for name, model in context.models.items()
        if not model.kind.is_external and model.depends_on & external
    )


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


def mark_transformed(project: Project, load_ids: list[str]) -> None:
    """Silver, gold and the checks reflect these landings: the next run need not redo them."""
    if not load_ids:
        return
    marks = ", ".join("?" for _ in load_ids)
    Warehouse.of(project).execute(
        f"UPDATE {BRONZE_DATASET}.{RAW_LOADS_TABLE} SET transformed_at = ? "
        f"WHERE load_id IN ({marks})",
        [datetime.now(UTC), *load_ids],
    )


def has_prod(context: Any) -> bool:
    return context.state_reader.get_environment("prod") is not None


def transform(project: Project, end: date, console: Any | None = None) -> TransformResult:
    """Bring silver and gold up to date with bronze, through session `end`."""
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
                restate_models=restated_models(context),
                start=first,
                end=end,
                no_prompts=True,
                auto_apply=True,
                execution_time=exec_time,
                skip_tests=True,
            )
            restated = first
        checkpoint("sqlmesh.plan")  # plans applied, the run not started
        status = context.run("prod", execution_time=exec_time)
        if getattr(status, "is_failure", False):
            raise TransformError("SQLMesh run failed; see the model errors above")
        checkpoint("transform.done")
        return TransformResult(restated, end, planned, load_ids)
    except SQLMeshError as exc:
        raise TransformError(f"SQLMesh: {exc}") from None
    finally:
        context.close()
