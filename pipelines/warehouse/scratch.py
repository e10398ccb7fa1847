"""An in-memory DuckDB to compute in, apart from the warehouse: the as-of reads
(pipelines/transform/as_of.py) load what the warehouse knew at a moment into one and evaluate
the models there. It reads like the API's readers (rows, arrow), so the same reads
(pipelines/warehouse/series.py) answer from it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
from sqlglot import exp
from sqlmesh import ExecutionContext

from pipelines.warehouse.sqlmesh import schema_table

# A scratch database holds a few tickers' history; bounded so that many at once cannot take
# the machine (DuckDB spills to disk beyond it).
MEMORY_LIMIT = "1GB"


class Scratch:
    """One private in-memory DuckDB (UTC session), closed with the object."""

    def __init__(self) -> None:
        self.connection = duckdb.connect(":memory:", config={"memory_limit": MEMORY_LIMIT})
        self.connection.execute("SET TimeZone = 'UTC'")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.connection.execute(sql, list(params))

    def create_schema(self, schema: str) -> None:
        self.connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')

    def load(self, name: str, table: pa.Table | pd.DataFrame) -> None:
        """Create table `name` (schema.table, quoted) holding `table`."""
        self.connection.register("__incoming", table)
        try:
            self.connection.execute(f"CREATE TABLE {name} AS SELECT * FROM __incoming")
        finally:
            self.connection.unregister("__incoming")

    def append(self, name: str, frame: pd.DataFrame) -> None:
        """Insert `frame`'s columns, by name, into table `name`."""
        self.connection.register("__incoming", frame)
        try:
            columns = ", ".join(f'"{c}"' for c in frame.columns)
            self.connection.execute(
                f"INSERT INTO {name} ({columns}) SELECT {columns} FROM __incoming"
            )
        finally:
            self.connection.unregister("__incoming")

    def frame(self, sql: str) -> pd.DataFrame:
        return self.connection.execute(sql).df()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        result = self.connection.execute(sql, list(params))
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def arrow(self, sql: str, params: Sequence[Any], schema: pa.Schema) -> pa.Table:
        table = self.connection.execute(sql, list(params)).to_arrow_table()
        return table.rename_columns(schema.names).cast(schema)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def quoted(name: str) -> str:
    """schema.table, each part quoted."""
    return ".".join(f'"{part}"' for part in name.split("."))


class _DuckDBDialect:
    """What a Python model asks of its engine adapter: the dialect."""

    dialect = "duckdb"


class ScratchContext(ExecutionContext):
    """SQLMesh's execution context for a Python model evaluated in a scratch database: model
    names resolve to the scratch's tables of the same name, queries run there."""

    def __init__(
        self,
        scratch: Scratch,
        variables: dict[str, Any] | None = None,
        blueprint_variables: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            _DuckDBDialect(),  # type: ignore[arg-type]
            {},
            default_dialect="duckdb",
            variables=variables,
            blueprint_variables=blueprint_variables,
        )
        self.scratch = scratch

    def resolve_table(self, model_name: str) -> str:
        return quoted(schema_table(model_name))

    def fetchdf(self, query: exp.Expression | str, quote_identifiers: bool = False) -> pd.DataFrame:
        sql = query if isinstance(query, str) else query.sql(dialect="duckdb")
        return self.scratch.frame(sql)

    def with_variables(
        self, variables: dict[str, Any], blueprint_variables: dict[str, Any] | None = None
    ) -> ScratchContext:
        return ScratchContext(self.scratch, variables, blueprint_variables)
