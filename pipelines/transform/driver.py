"""Silver and gold: run the SQLMesh project on the selected gateway.

What bronze holds that silver and gold do not reflect yet (pipelines/transform/pending.py) is
restated: the models that read bronze from the landings' earliest session (a late bar, a
backfill, a new corporate action), the models that read bronze.tickers from the earliest
action a universe change affects (or just the latest session: silver.tickers is rebuilt
whole); SQLMesh restates their downstream models too. `context.run` alone would not: a
daily model whose interval is done waits for tomorrow's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlmesh import Context
from sqlmesh.utils.errors import SQLMeshError

from pipelines.checkpoints import checkpoint
from pipelines.config import Project
from pipelines.transform.pending import UNIVERSE, Pending, pending_changes
from pipelines.warehouse.sqlmesh import schema_table, sqlmesh_context

REPAIRS = "silver.repairs"
EVERY_SESSION = date(1900, 1, 1)


class TransformError(RuntimeError):
    pass


@dataclass
class TransformResult:
    restated_from: date | None
    end: date
    planned: bool
    pending: Pending = field(default_factory=Pending)  # to mark once the verdict is out

    @property
    def changed_from(self) -> date | None:
        """The first session whose silver or gold this run may have changed: every session
        when a plan rebuilt models (a model or a setting they read changed), else the
        restatement's first (None: nothing changed)."""
        return EVERY_SESSION if self.planned else self.restated_from


def readers_of(context: Context, of: set[str] | None = None) -> list[str]:
    """The models that read the external (bronze) tables `of` (default: any of them), from
    SQLMesh's own model graph, so a new model is restated without a list kept by hand."""
    external = {name for name, model in context.models.items() if model.kind.is_external}
    wanted = external if of is None else {context.get_model(name).fqn for name in of}
    return sorted(
        name
        for name, model in context.models.items()
        if not model.kind.is_external and model.depends_on & wanted
    )


def restatements(context: Context, pending: Pending, end: date) -> list[tuple[list[str], date]]:
    """(models, from) to restate through `end`; a universe change that an earlier restatement
    of the landings already covers is left out."""
    plans = []
    if pending.landings_from is not None and pending.landings_from <= end:
        plans.append((readers_of(context), pending.landings_from))
    if pending.universe:
        first = min(pending.universe_from or end, end)
        if not plans or first < plans[0][1]:
            plans.append((readers_of(context, {UNIVERSE}), first))
    return plans


def execution_time(end: date) -> datetime:
    """SQLMesh processes a daily interval once it has closed: to include session `end`, the
    execution time is the next midnight UTC."""
    return datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)


def missing_inputs(context: Context) -> list[str]:
    """The bronze tables the models read that do not exist yet (dlt creates each with its first
    landing), as schema.table."""
    adapter = context.engine_adapter
    return sorted(
        schema_table(name)
        for name, model in context.models.items()
        if model.kind.is_external and not adapter.table_exists(name)
    )


def repaired_before(context: Context, since: date) -> date | None:
    """The first session before `since` that a repair found since then reaches back to."""
    found = context.fetchdf(
        f"SELECT MIN(session_date) AS first_session FROM {REPAIRS} "
        f"WHERE detected_on >= '{since.isoformat()}' AND session_date < '{since.isoformat()}'"
    )
    first = found["first_session"].iloc[0] if len(found) else None
    return None if first is None or pd.isna(first) else pd.Timestamp(first).date()


def has_prod(context: Any) -> bool:
    return context.state_reader.get_environment("prod") is not None


def transform(project: Project, end: date, console: Any | None = None) -> TransformResult:
    """Bring silver and gold up to date with bronze, through session `end`."""
    context = sqlmesh_context(project, console)
    try:
        if missing := missing_inputs(context):
            raise TransformError(
                f"{', '.join(missing)} do not exist yet: no landing has brought any (a first "
                "run needs files in the drop folder, or bars and corporate actions from a "
                "provider; see what ingest said above)"
            )
        pending = pending_changes(context.engine_adapter)
        exec_time = execution_time(end)
        existed = has_prod(context)
        # Apply model changes; on the first run this builds everything from bronze.
        plan = context.plan(
            "prod", no_prompts=True, auto_apply=True, execution_time=exec_time, skip_tests=True
        )
        planned = bool(plan.has_changes) or not existed
        # The first build covers every landing: report it from the earliest one.
        restated = pending.landings_from if not existed else None
        for models, first in restatements(context, pending, end) if existed else []:
            context.plan(
                "prod",
                restate_models=models,
                start=first,
                end=end,
                no_prompts=True,
                auto_apply=True,
                execution_time=exec_time,
                skip_tests=True,
            )
            restated = min(restated or first, first)
        checkpoint("sqlmesh.plan")  # plans applied, the run not started
        status = context.run("prod", execution_time=exec_time)
        if getattr(status, "is_failure", False):
            raise TransformError("SQLMesh run failed; see the model errors above")
        # A unit error is repaired once it steps back, up to a week after it began: what the
        # repair changes before this run's sessions is restated from where it began.
        if existed and restated is not None and (back := repaired_before(context, restated)):
            context.plan(
                "prod",
                restate_models=[REPAIRS],
                start=back,
                end=end,
                no_prompts=True,
                auto_apply=True,
                execution_time=exec_time,
                skip_tests=True,
            )
            restated = back
        checkpoint("transform.done")
        return TransformResult(restated, end, planned, pending)
    except SQLMeshError as exc:
        raise TransformError(f"SQLMesh: {exc}") from None
    finally:
        context.close()
