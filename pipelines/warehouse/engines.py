"""Where bronze, silver and gold live, and every way the pipeline reaches them.

One class per engine (duckdb_warehouse.py, postgres_warehouse.py); each knows how to give the
rest of the code what it needs: a DB-API connection in a UTC session, dlt's destination, Soda's
data source, Evidence's source, the API's read-only reader, and the checks before a run writes
anything. Nothing outside this package asks which engine it has; an engine's differences are its
methods. `Warehouse.of(project)` picks the class by the gateway's connection type.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from pipelines.config import ConfigError, Project
from pipelines.warehouse import ops_tables
from pipelines.warehouse.readers import Reader

# The connections held by Warehouse.reusing(), per thread, by warehouse.
_HELD = threading.local()


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be reached or written; the message says where and what to check."""


@dataclass(frozen=True)
class EvidenceSource:
    """An Evidence data source: its connection.yaml, a reader of exactly what the site reads
    (for the report's own queries: the backtests), and the environment its secrets go in."""

    connection: dict[str, Any]
    reader: Reader
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Warehouse(ABC):
    """The warehouse of a project's gateway."""

    gateway: str
    engine: ClassVar[str]  # the gateway connection type this class serves
    dialect: ClassVar[str]  # sqlglot's name for its SQL
    # PostgreSQL needs explicit indexes for the range reads of incremental models and dlt's
    # merge; DuckDB prunes with zone maps.
    needs_indexes: ClassVar[bool]
    # dlt writes bronze, except where models/bronze/ builds it from the raw store (Spark).
    bronze_from_raw_store: ClassVar[bool] = False
    # The API, the report and the client read a serving copy this engine publishes (Spark),
    # not the engine itself: `serving` is that copy's warehouse.
    publishes: ClassVar[bool] = False
    serves: ClassVar[bool] = False  # can hold such a copy (replace_tables)
    engines: ClassVar[dict[str, type[Warehouse]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Warehouse.engines[cls.engine] = cls

    @staticmethod
    def of(project: Project) -> Warehouse:
        """The warehouse config.yaml's gateway declares (with its serving store, for an engine
        that publishes one)."""
        warehouse = Warehouse._of_gateway(project, project.gateway)
        if not warehouse.publishes:
            return warehouse
        target = project.settings.serving.get(project.gateway)
        where = f"{project.config_path}: variables.marketflow.serving.{project.gateway}"
        if target is None:
            raise ConfigError(
                f"{where}: missing: the {warehouse.engine} gateway publishes a serving copy for "
                "the API, the report and the client; name a duckdb gateway"
            )
        if target not in project.sqlmesh_config.gateways:
            raise ConfigError(
                f"{where}: {target!r} is not a gateway of the file "
                f"(defined: {sorted(project.sqlmesh_config.gateways)})"
            )
        serving = Warehouse._of_gateway(project, target)
        if not serving.serves:
            raise ConfigError(
                f"{where}: {target!r} is a {serving.engine} gateway: the serving copy is a "
                "DuckDB file (name a duckdb gateway)"
            )
        return replace(warehouse, serving=serving)  # type: ignore[call-arg]

    @staticmethod
    def _of_gateway(project: Project, name: str) -> Warehouse:
        gateway = project.sqlmesh_config.gateways[name]
        kind = getattr(gateway.connection, "type_", None)
        if kind not in Warehouse.engines:
            raise ConfigError(
                f"{project.config_path}: gateways.{name}.connection.type: {kind!r} "
                f"is not supported (use {' or '.join(sorted(Warehouse.engines))})"
            )
        return Warehouse.engines[kind].from_gateway(name, gateway)

    def table_exists(self, table: str) -> bool:
        """Whether schema.table exists (a table or a view)."""
        schema, name = table.split(".")
        return bool(
            self.rows(
                "SELECT 1 AS x FROM information_schema.tables WHERE table_schema = ? "
                "AND table_name = ?",
                [schema, name],
            )
        )

    @classmethod
    @abstractmethod
    def from_gateway(cls, name: str, gateway: Any) -> Warehouse:
        """This engine's warehouse from a SQLMesh gateway's settings."""

    @property
    @abstractmethod
    def display(self) -> str:
        """A description safe to print: never contains a password."""

    @property
    @abstractmethod
    def catalog(self) -> str:
        """The database name queries qualify tables with (Soda's `dataset` prefix)."""

    @abstractmethod
    @contextmanager
    def connect(self) -> Iterator[Any]:
        """A DB-API connection in a UTC session, committed when the block ends."""

    paramstyle: ClassVar[str]  # what marks a parameter in the engine's driver

    @abstractmethod
    def _cursor(self, connection: Any) -> Any:
        """What runs statements on a connection of connect()."""

    @contextmanager
    def reusing(self) -> Iterator[None]:
        """Inside the block, this thread's reads through fetch() share one connection: opening
        a DuckDB file costs tens of milliseconds, and a run counts the rows of dozens of
        tables. For reads: what execute() writes is committed when the block ends."""
        held = _HELD.__dict__.setdefault("connections", {})
        if self.display in held:
            yield
            return
        with self.connect() as con:
            held[self.display] = con
            try:
                yield
            finally:
                del held[self.display]

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        held = getattr(_HELD, "connections", {}).get(self.display)
        if held is not None:
            yield held
            return
        with self.connect() as con:
            yield con

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        """(column names, rows) of one query; `?` marks parameters."""
        with self._connection() as con:
            cursor = self._cursor(con)
            # Without parameters psycopg takes the text as is (a LIKE 'x%' stays a literal).
            text = sql.replace("?", self.paramstyle) if params else sql
            cursor.execute(text, list(params) or None)
            return [d[0] for d in cursor.description], cursor.fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """One statement, committed; `?` marks parameters."""
        with self._connection() as con:
            text = sql.replace("?", self.paramstyle) if params else sql
            self._cursor(con).execute(text, list(params) or None)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """One query's rows as dicts; `?` marks parameters."""
        names, found = self.fetch(sql, params)
        return [dict(zip(names, row, strict=True)) for row in found]

    def append_run(self, tables: Sequence[tuple[str, dict[str, str], list[tuple]]]) -> None:
        """Append rows to ops tables, creating them on first use (the run log). Rows are keyed
        by their first column, the run id: a run already logged is not logged again, so rows
        kept for later (pipelines/run/runlog.py) may be offered twice."""
        with self.connect() as con:
            cursor = self._cursor(con)
            ops_tables.create_tables(cursor)
            ids = sorted({row[0] for _, _, rows in tables for row in rows})
            logged: set[str] = set()
            if ids:
                marks = ", ".join(self.paramstyle for _ in ids)
                cursor.execute(
                    f"SELECT run_id FROM {ops_tables.RUNS_TABLE} WHERE run_id IN ({marks})", ids
                )
                logged = {r[0] for r in cursor.fetchall()}
            for table, columns, offered in tables:
                rows = [row for row in offered if row[0] not in logged]
                if not rows:
                    continue
                marks = ", ".join(self.paramstyle for _ in columns)
                names = ", ".join(columns)
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def set_transformed(self, table: str, now: datetime, load_ids: Sequence[str] | None) -> None:
        """transformed_at = now on the rows of a bronze bookkeeping table (bronze.raw_loads,
        bronze.tickers) with these load ids, or (None) on every row not transformed yet."""
        if load_ids is None:
            self.execute(
                f"UPDATE {table} SET transformed_at = ? WHERE transformed_at IS NULL", [now]
            )
            return
        marks = ", ".join("?" for _ in load_ids)
        self.execute(
            f"UPDATE {table} SET transformed_at = ? WHERE load_id IN ({marks})", [now, *load_ids]
        )

    @abstractmethod
    def dlt_destination(self) -> Any:
        """dlt's destination for the bronze pipeline."""

    @abstractmethod
    def soda_data_source(self, name: str) -> Any:
        """Soda's data source named `name`, for verifying contracts."""

    @abstractmethod
    def check_readable(self, tables: Sequence[str]) -> None:
        """Before the report builds: raise ConfigError when its reader's settings are missing,
        WarehouseUnavailable (naming them) when it cannot read each of `tables`."""

    @abstractmethod
    def evidence_source(self, name: str, folder: Path, scratch: Path) -> EvidenceSource:
        """The report site's source `name` in `folder` (scratch: where a copy may be staged),
        read the way check_readable checked; it creates nothing in the warehouse."""

    @abstractmethod
    def reader(self, snapshot_dir: Path) -> Reader:
        """A read-only reader for the API, which must never block a run."""

    @abstractmethod
    @contextmanager
    def run_lock(self, holder: dict[str, Any], wait_seconds: float) -> Iterator[None]:
        """Held for a whole run (locks.py), once the warehouse is known to be writable
        (preflight): raises locks.WarehouseBusy, naming the holder, when another run keeps the
        warehouse for longer than `wait_seconds`."""

    @abstractmethod
    def preflight(self) -> None:
        """Raise WarehouseUnavailable unless the warehouse (and SQLMesh's state) can be
        written."""
