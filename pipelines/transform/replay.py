"""The project's models, rendered once per process as DuckDB SQL by SQLMesh (the SQL a run
executes) and evaluated in a scratch DuckDB from tables read out of the warehouse: how the as-of
reads (as_of.py) recompute silver and gold on what the warehouse knew at a moment. Which models
a table needs is SQLMesh's graph, up to bronze; a model that reads no bronze table (the exchange
calendar) is a source too, read as the warehouse holds it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa

from pipelines.config import Project
from pipelines.warehouse.scratch import Scratch, ScratchContext, quoted
from pipelines.warehouse.series import arrow_type
from pipelines.warehouse.sqlmesh import rendering_context, schema_table

# What a project's models are made of (beside config.yaml's model variables).
MODEL_SOURCES = ("models", "macros", "audits", "external_models.yaml")
# The models are evaluated over every interval they can hold: from the project's model start
# to a day no data reaches.
RENDER_END = date(2099, 12, 31)


@dataclass(frozen=True)
class Source:
    """A table the evaluation starts from, read from the warehouse (as of T where it has a
    history or landings)."""

    name: str  # schema.table
    columns: dict[str, str]  # name -> SQL type

    @property
    def quoted_columns(self) -> list[str]:
        return [f'"{c}"' for c in self.columns]

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([(c, arrow_type(t)) for c, t in self.columns.items()])


@dataclass(frozen=True)
class Step:
    """One model to evaluate: a view, a table from its rendered query, or a Python model."""

    name: str  # schema.table
    kind: str  # view | table | python
    sql: str | None
    columns: dict[str, str] | None  # declared columns: the table is created first (a model
    model: Any  # that reads itself, a Python model)


@dataclass(frozen=True)
class Plan:
    sources: tuple[Source, ...]
    steps: tuple[Step, ...]
    start: date  # the first interval evaluated (the project's model start)


class _Models:
    """A project's models as SQLMesh loads them for DuckDB, each rendered once, when first
    needed."""

    def __init__(self, project: Project) -> None:
        self.context = rendering_context(project)
        self.dag = self.context.dag
        start = project.sqlmesh_config.model_defaults.start or "1990-01-01"
        self.start = date.fromisoformat(str(start))
        self.external = {n for n, m in self.context.models.items() if m.kind.is_external}
        self._nodes: dict[str, Source | Step] = {}

    def plan(self, outputs: Sequence[str]) -> Plan:
        wanted = [self.context.get_model(name).fqn for name in outputs]
        needed = set(wanted).union(*(self.dag.upstream(name) for name in wanted))
        nodes = [self._node(name) for name in self.dag.sorted if name in needed]
        sources = tuple(n for n in nodes if isinstance(n, Source))
        steps = tuple(n for n in nodes if isinstance(n, Step))
        return Plan(sources, steps, self.start)

    def _node(self, name: str) -> Source | Step:
        if name not in self._nodes:
            self._nodes[name] = self._render(name)
        return self._nodes[name]

    def _render(self, name: str) -> Source | Step:
        model = self.context.get_model(name)
        table = schema_table(name)
        types = {c: t.sql(dialect="duckdb") for c, t in (model.columns_to_types or {}).items()}
        if name in self.external or not set(self.dag.upstream(name)) & self.external:
            return Source(table, types)
        if not model.is_sql:
            return Step(table, "python", None, types, model)
        window = {
            "start": self.start,
            "end": RENDER_END,
            "execution_time": RENDER_END + timedelta(1),
        }
        sql = model.render_query_or_raise(**window).sql(dialect="duckdb")
        if model.kind.is_view:
            return Step(table, "view", sql, None, None)
        declared = types if getattr(model, "depends_on_self", False) else None
        return Step(table, "table", sql, declared, None)


_models: dict[tuple[str, ...], _Models] = {}
_lock = threading.Lock()


def plan(project: Project, outputs: Sequence[str]) -> Plan:
    """What evaluating `outputs` (schema.table) takes. Projects with the same model files and
    model variables share one loading per process."""
    config = project.sqlmesh_config
    variables = {k: v for k, v in (config.variables or {}).items() if k != "marketflow"}
    key = (
        *(str((project.root / name).resolve()) for name in MODEL_SOURCES),
        json.dumps(variables, sort_keys=True, default=str),
        str(config.model_defaults.start),
    )
    with _lock:
        if key not in _models:
            _models[key] = _Models(project)
        return _models[key].plan(outputs)


def evaluate(scratch: Scratch, step: Step, first: date) -> None:
    """Create `step`'s table (or view) in the scratch database from the tables before it."""
    name = quoted(step.name)
    if step.kind == "view":
        scratch.execute(f"CREATE VIEW {name} AS {step.sql}")
        return
    if step.columns is None:
        scratch.execute(f"CREATE TABLE {name} AS {step.sql}")
        return
    columns = ", ".join(f'"{c}" {t}' for c, t in step.columns.items())
    scratch.execute(f"CREATE TABLE {name} ({columns})")
    if step.kind == "table":
        scratch.execute(f"INSERT INTO {name} BY NAME {step.sql}")
        return
    start = datetime.combine(first, time(), UTC)
    end = datetime.combine(RENDER_END, time(), UTC)
    frames = step.model.render(
        context=ScratchContext(scratch), start=start, end=end, execution_time=end
    )
    for frame in _frames(frames):
        scratch.append(name, frame)


def _frames(found: Iterable[Any]) -> Iterable[pd.DataFrame]:
    for frame in found:
        if isinstance(frame, pd.DataFrame) and len(frame):
            yield frame
