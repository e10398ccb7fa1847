"""Where bronze, silver and gold live, and every way the pipeline reaches them.

One class per engine (duckdb_warehouse.py, postgres_warehouse.py); each knows how to give the
rest of the code what it needs: a DB-API connection in a UTC session, dlt's destination, Soda's
data source, Evidence's source, the API's read-only reader, and the checks before a run writes
anything. Nothing outside this package asks which engine it has; an engine's differences are its
methods. `Warehouse.of(project)` picks the class by the gateway's connection type.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pipelines.config import ConfigError, Project
from pipelines.warehouse import ops_tables
from pipelines.warehouse.readers import Reader


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be reached or written; the message says where and what to check."""


@dataclass(frozen=True)
class EvidenceSource:
    """An Evidence data source: its connection.yaml, and the environment its secrets go in."""

    connection: dict[str, Any]
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
    engines: ClassVar[dict[str, type[Warehouse]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Warehouse.engines[cls.engine] = cls

    @staticmethod
    def of(project: Project) -> Warehouse:
        """The warehouse config.yaml's gateway declares."""
        gateway = project.gateway_config
        kind = getattr(gateway.connection, "type_", None)
        if kind not in Warehouse.engines:
            raise ConfigError(
                f"{project.config_path}: gateways.{project.gateway}.connection.type: {kind!r} "
                f"is not supported (use {' or '.join(sorted(Warehouse.engines))})"
            )
        return Warehouse.engines[kind].from_gateway(project.gateway, gateway)

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

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        """(column names, rows) of one query; `?` marks parameters."""
        with self.connect() as con:
            cursor = self._cursor(con)
            # Without parameters psycopg takes the text as is (a LIKE 'x%' stays a literal).
            text = sql.replace("?", self.paramstyle) if params else sql
            cursor.execute(text, list(params) or None)
            return [d[0] for d in cursor.description], cursor.fetchall()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """One query's rows as dicts; `?` marks parameters."""
        names, found = self.fetch(sql, params)
        return [dict(zip(names, row, strict=True)) for row in found]

    def append_run(self, tables: Sequence[tuple[str, dict[str, str], list[tuple]]]) -> None:
        """Append rows to ops tables, creating them on first use (the run log)."""
        with self.connect() as con:
            cursor = self._cursor(con)
            ops_tables.create_tables(cursor)
            for table, columns, rows in tables:
                marks = ", ".join(self.paramstyle for _ in columns)
                names = ", ".join(columns)
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    @abstractmethod
    def dlt_destination(self) -> Any:
        """dlt's destination for the bronze pipeline."""

    @abstractmethod
    def soda_data_source(self, name: str) -> Any:
        """Soda's data source named `name`, for verifying contracts."""

    @abstractmethod
    def evidence_source(self, name: str, folder: Path, scratch: Path) -> EvidenceSource:
        """The report site's source `name` in `folder` (scratch: where a copy may be staged)."""

    @abstractmethod
    def reader(self, snapshot_dir: Path) -> Reader:
        """A read-only reader for the API, which must never block a run."""

    @abstractmethod
    def preflight(self) -> None:
        """Raise WarehouseUnavailable unless the warehouse (and SQLMesh's state) can be
        written."""
