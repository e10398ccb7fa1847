"""The serving copy: what the API, the report and the client read when the warehouse computes
elsewhere (the lakehouse pattern: Spark does the heavy work, a small DuckDB file serves).

`publish` copies every silver and gold model tagged `published` (the outside contract) or
`served` (read by the API or the report though not part of the contract) from the warehouse to
its serving store: each through Parquet files in a staging folder, then all of them replaced in
one transaction, so a reader sees one run's tables or the next run's, never a mix. The run log
lives in the serving store itself (SparkWarehouse.append_run).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.warehouse.spark_warehouse import SparkWarehouse
from pipelines.warehouse.sqlmesh import schema_table

SERVED_TAGS = ("published", "served")
SERVED_SCHEMAS = ("silver", "gold")


@dataclass(frozen=True)
class Published:
    tables: dict[str, int]  # rows of each table published
    seconds: float
    target: str  # the serving store, as displayed

    def __str__(self) -> str:
        rows = sum(self.tables.values())
        return (
            f"{len(self.tables)} tables ({rows:,} rows) published to {self.target} in "
            f"{self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class Served:
    columns: tuple[str, ...]  # in the model's order (Spark moves partition columns last)
    grain: tuple[str, ...]  # the copy's sort order


def served_tables(models: Mapping[str, Any], extra: Collection[str] = ()) -> dict[str, Served]:
    """schema.table of each served model, and of the models named in `extra` (what the as-of
    reads replay the models from: bronze's versions, the calendar): its columns and grain."""
    found = {}
    for model in models.values():
        name = schema_table(model.fqn)
        served = name.split(".")[0] in SERVED_SCHEMAS and set(SERVED_TAGS) & set(model.tags)
        if served or name in extra:
            grain = tuple(c.sql() for g in model.grains for c in g.flatten())
            found[name] = Served(tuple(model.columns_to_types or ()), grain)
    return dict(sorted(found.items()))


def publish(
    warehouse: SparkWarehouse,
    models: Mapping[str, Any],
    staging: Path,
    progress: Callable[[str], None] = lambda _: None,
    extra: Collection[str] = (),
) -> Published:
    """Copy the served tables (and `extra`) from `warehouse` to its serving store (staging:
    where the Parquet files wait; emptied afterwards)."""
    serving = warehouse.serving_store
    started = time.perf_counter()
    tables = served_tables(models, extra)
    shutil.rmtree(staging, ignore_errors=True)
    try:
        folders, rows = {}, {}
        for table in tables:
            began = time.perf_counter()
            folders[table] = staging / table
            rows[table] = warehouse.export_parquet(table, tables[table].columns, folders[table])
            progress(f"{table}: {rows[table]:,} rows staged ({time.perf_counter() - began:.1f} s)")
        serving.replace_tables(folders, {t: served.grain for t, served in tables.items()})
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Published(rows, time.perf_counter() - started, serving.display)
