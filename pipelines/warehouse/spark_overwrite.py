"""Restating an interval on Spark without leaving stale days behind.

SQLMesh writes an INCREMENTAL_BY_TIME_RANGE model on Spark with INSERT OVERWRITE in Spark's
dynamic partition mode (its Spark session sets `partitionOverwriteMode=dynamic`): only the
partitions the new rows fall in are replaced. A day of the restated interval that now has no row
(a missing session filled, a quarantined bar corrected) keeps its old rows, where DuckDB and
PostgreSQL, which delete the interval first, keep none. This drops the partitions inside the
interval before SQLMesh's INSERT OVERWRITE, so an incremental run on Spark equals a rebuild.

Installed by pipelines/warehouse/sqlmesh.py before it creates a SQLMesh context, like
postgres_copy.py. A crash between the drop and the insert leaves the interval unfinished in
SQLMesh's state: the next run computes it again.
"""

from __future__ import annotations

import typing as t
from urllib.parse import unquote

from sqlglot import exp
from sqlmesh.core.engine_adapter.spark import SparkEngineAdapter

_installed = False
_original = SparkEngineAdapter._insert_overwrite_by_condition


def install() -> None:
    global _installed
    if _installed:
        return
    SparkEngineAdapter._insert_overwrite_by_condition = _clear_then_overwrite  # type: ignore[method-assign]
    _installed = True


def partitions(adapter: t.Any, table: exp.Table) -> list[dict[str, str]]:
    """The partitions of a table, each as {column: value} (none: not partitioned, or new)."""
    name = table.sql(dialect="spark", identify=True)
    if not adapter.table_exists(table):
        return []
    try:
        rows = adapter.fetchall(f"SHOW PARTITIONS {name}")
    except Exception:  # Spark: "SHOW PARTITIONS is not allowed on a table that is not partitioned"
        return []
    return [
        {unquote(k): unquote(v) for k, v in (part.split("=", 1) for part in str(row[0]).split("/"))}
        for row in rows
    ]


def drop_partitions_where(adapter: t.Any, table: exp.Table, where: exp.Expression) -> int:
    """Drop the partitions whose values satisfy `where` (a condition on partition columns
    only: anything else is left to the INSERT OVERWRITE). The number dropped."""
    found = partitions(adapter, table)
    if not found:
        return 0
    columns = list(found[0])
    if {c.name for c in where.find_all(exp.Column)} - set(columns):
        return 0
    values = exp.values(
        [exp.tuple_(*[exp.Literal.string(p[c]) for c in columns]) for p in found],
        alias="p",
        columns=columns,
    )
    query = exp.select(*columns).from_(values).where(where.copy())
    chosen = adapter.fetchall(query.sql(dialect="spark"))
    if not chosen:
        return 0
    name = table.sql(dialect="spark", identify=True)
    specs = ", ".join(
        "PARTITION ("
        + ", ".join(
            f"`{c}` = {exp.Literal.string(str(v)).sql('spark')}"
            for c, v in zip(columns, row, strict=True)
        )
        + ")"
        for row in chosen
    )
    adapter.execute(f"ALTER TABLE {name} DROP IF EXISTS {specs}")
    return len(chosen)


def _clear_then_overwrite(
    self: t.Any,
    table_name: t.Any,
    source_queries: list[t.Any],
    target_columns_to_types: dict[str, t.Any] | None = None,
    where: exp.Condition | None = None,
    **kwargs: t.Any,
) -> None:
    if where is not None:
        drop_partitions_where(self, exp.to_table(table_name), where)
    _original(self, table_name, source_queries, target_columns_to_types, where, **kwargs)
