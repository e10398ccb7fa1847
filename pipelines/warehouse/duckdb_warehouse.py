"""The DuckDB warehouse: one file, SQLMesh's state in it too (the `local` gateway)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import dlt
import duckdb

# Soda's data-source plugins must load after its contracts module (a circular import otherwise).
import soda_core.contracts  # noqa: F401
from soda_duckdb.common.data_sources.duckdb_data_source import DuckDBDataSourceImpl
from soda_duckdb.common.data_sources.duckdb_data_source_connection import DuckDBDataSource

from pipelines.warehouse import ops_tables
from pipelines.warehouse.engines import EvidenceSource, Warehouse, WarehouseUnavailable
from pipelines.warehouse.locks import file_lock
from pipelines.warehouse.readers import DuckDBSnapshot, Reader
from pipelines.warehouse.snapshot import copy_duckdb


@dataclass(frozen=True)
class DuckDBWarehouse(Warehouse):
    """One DuckDB file; SQLMesh keeps its state in it too."""

    path: Path = Path("data/warehouse.duckdb")
    engine: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = "duckdb"
    needs_indexes: ClassVar[bool] = False
    paramstyle: ClassVar[str] = "?"
    serves: ClassVar[bool] = True

    @classmethod
    def from_gateway(cls, name: str, gateway: Any) -> DuckDBWarehouse:
        return cls(name, Path(gateway.connection.database))

    @property
    def display(self) -> str:
        return f"duckdb:{self.path}"

    @property
    def catalog(self) -> str:
        return self.path.stem  # DuckDB names the catalog after the file

    @contextmanager
    def connect(self) -> Iterator[Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(self.path)) as con:
            con.execute("SET TimeZone = 'UTC'")  # not the machine's zone
            yield con

    def _cursor(self, connection: Any) -> Any:
        return connection  # a DuckDB cursor would be a new connection, without the SET

    def replace_tables(
        self, folders: Mapping[str, Path], order: Mapping[str, Sequence[str]]
    ) -> None:
        """Make each schema.table of `folders` exactly the Parquet files in its folder, sorted
        by its `order` columns (DuckDB's zone maps then prune by ticker and date), all in one
        transaction: a reader sees the old tables or the new ones, never a mix."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            for table, folder in folders.items():
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.split('.')[0]}")
                by = ", ".join(order.get(table, ()))
                source = str(folder / "*.parquet").replace("'", "''")
                con.execute(
                    f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_parquet('{source}')"
                    + (f" ORDER BY {by}" if by else "")
                )
            con.execute("COMMIT")

    def dlt_destination(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return dlt.destinations.duckdb(credentials=str(self.path))

    def soda_data_source(self, name: str) -> Any:
        # The process's own configuration (not read_only), so it can share the file with a
        # connection SQLMesh or dlt still holds; Soda closes it when done.
        connection = duckdb.connect(str(self.path))
        connection.execute("SET TimeZone = 'UTC'")
        model = DuckDBDataSource(name=name, connection={"duckdb_connection": connection})
        return DuckDBDataSourceImpl(data_source_model=model)

    def evidence_source(self, name: str, folder: Path, scratch: Path) -> EvidenceSource:
        """A consistent copy of the file, checkpointed (no WAL beside it) and holding the ops
        tables, moved into the source folder whole: the pipeline's own file stays free."""
        scratch.mkdir(parents=True, exist_ok=True)
        folder.mkdir(parents=True, exist_ok=True)
        copy = copy_duckdb(self.path, scratch / "copy")
        with duckdb.connect(str(copy)) as con:
            # The pages read the ops tables, which exist from a project's first logged run
            # on: a warehouse without them still gets a site (with empty tables).
            ops_tables.create_tables(con)
            con.execute("CHECKPOINT")
        final = folder / self.path.name
        os.replace(copy, final)
        for stale in folder.glob("*.duckdb*"):
            if stale != final:
                stale.unlink()
        connection = {"name": name, "type": "duckdb", "options": {"filename": final.name}}
        return EvidenceSource(connection, reader=DuckDBWarehouse(self.gateway, final))

    def check_readable(self, tables: Sequence[str]) -> None:
        """Nothing to check before: the site reads a copy taken under a read-only connection,
        and the copy is given the ops tables when the project has not logged a run yet."""

    def reader(self, snapshot_dir: Path) -> Reader:
        return DuckDBSnapshot(self.path, snapshot_dir)

    @contextmanager
    def run_lock(self, holder: dict[str, Any], wait_seconds: float) -> Iterator[None]:
        with file_lock(self.path, holder, wait_seconds):
            # After the lock: a file another run holds is waited for, not refused.
            self.preflight()
            yield

    def preflight(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            duckdb.connect(str(self.path)).close()
        except duckdb.IOException as exc:
            raise WarehouseUnavailable(
                f"DuckDB warehouse {self.path} cannot be opened for writing: {exc}. Another "
                "process (a run, `marketflow serve`, a notebook) may hold it; DuckDB allows one "
                "writer."
            ) from None
