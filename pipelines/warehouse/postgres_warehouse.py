"""The PostgreSQL warehouse: bronze, silver and gold in one database, SQLMesh's state in another
(the `postgres` gateway)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import dlt
import psycopg
import psycopg2

# Soda's data-source plugins must load after its contracts module (a circular import otherwise).
import soda_core.contracts  # noqa: F401
from dlt.common.configuration.specs import ConnectionStringCredentials
from psycopg import sql as pgsql
from soda_postgres.common.data_sources.postgres_data_source import PostgresDataSourceImpl
from soda_postgres.common.data_sources.postgres_data_source_connection import PostgresDataSource

from pipelines.config import ConfigError
from pipelines.warehouse.engines import EvidenceSource, Warehouse, WarehouseUnavailable
from pipelines.warehouse.locks import advisory_lock
from pipelines.warehouse.readers import PostgresReader, Reader

# Who reads the warehouse without writing (the API, the report site): a role that may only
# SELECT from silver, gold and ops (docs/operations.md).
READER_USER, READER_PASSWORD = "MARKETFLOW_PG_READER_USER", "MARKETFLOW_PG_READER_PASSWORD"


@dataclass(frozen=True)
class PostgresWarehouse(Warehouse):
    """bronze, silver and gold in one database; SQLMesh's state in another (`state`)."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str = ""
    password: str | None = field(default=None, repr=False)
    database: str = ""
    state: PostgresWarehouse | None = None
    engine: ClassVar[str] = "postgres"
    dialect: ClassVar[str] = "postgres"
    needs_indexes: ClassVar[bool] = True
    paramstyle: ClassVar[str] = "%s"

    @classmethod
    def from_gateway(cls, name: str, gateway: Any) -> PostgresWarehouse:
        conn, state = gateway.connection, getattr(gateway, "state_connection", None)
        state_db = None
        if state is not None and getattr(state, "type_", None) == "postgres":
            state_db = cls(
                name, state.host, int(state.port), state.user, state.password, state.database
            )
        return cls(
            name, conn.host, int(conn.port), conn.user, conn.password, conn.database, state_db
        )

    @property
    def display(self) -> str:
        return f"postgres://{self.user}@{self.host}:{self.port}/{self.database}"

    @property
    def catalog(self) -> str:
        return self.database

    @property
    def reader_credentials(self) -> tuple[str, str]:
        """(user, password) of the read-only role. Readers never fall back to the owner's
        credentials: without the role they refuse to start, saying so."""
        user, password = os.environ.get(READER_USER), os.environ.get(READER_PASSWORD)
        missing = [READER_USER] if not user else []
        missing += [READER_PASSWORD] if password is None else []  # empty: a role without one
        if missing:
            raise ConfigError(
                f"{' and '.join(missing)}: not set. The API and the report read PostgreSQL as "
                "the read-only role only, never with the owner's credentials (docs/operations.md: "
                "reader role; make services-up writes both to .env)"
            )
        return user, password

    def _as_reader(self) -> PostgresWarehouse:
        """This warehouse seen through the read-only role (no SQLMesh state)."""
        user, password = self.reader_credentials
        return replace(self, user=user, password=password, state=None)

    def _connect_args(self, user: str | None = None, password: str | None = None) -> dict:
        return {
            "host": self.host,
            "port": self.port,
            "dbname": self.database,
            "user": user or self.user,
            "password": password if user else self.password,
        }

    @contextmanager
    def connect(self) -> Iterator[Any]:
        with psycopg.connect(
            **self._connect_args(), connect_timeout=10, options="-c TimeZone=UTC"
        ) as con:
            yield con

    def _cursor(self, connection: Any) -> Any:
        return connection.cursor()

    def dlt_destination(self) -> Any:
        credentials = ConnectionStringCredentials()
        credentials.drivername = "postgresql"
        credentials.host, credentials.port = self.host, self.port
        credentials.username, credentials.password = self.user, self.password
        credentials.database = self.database
        return dlt.destinations.postgres(credentials=credentials)

    def soda_data_source(self, name: str) -> Any:
        connection = {
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "user": self.user,
            "password": self.password,
        }
        model = PostgresDataSource(name=name, connection=connection)
        return PostgresDataSourceImpl(data_source_model=model)

    def check_readable(self, tables: Sequence[str]) -> None:
        """As the reader role (never the owner): each table must exist and be granted to it.
        The report creates nothing: the ops tables, silver and gold are the pipeline's, written
        by the owner."""
        reader = self._as_reader()
        where = (
            f"PostgreSQL warehouse at {self.host}:{self.port} (database {self.database!r}, "
            f"reader role {reader.user!r})"
        )
        try:
            con = psycopg.connect(**reader._connect_args(), autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise _unavailable(where, exc, f"{READER_USER} and {READER_PASSWORD}") from None
        missing, refused = [], []
        with con:
            for table in tables:
                query = pgsql.SQL("SELECT 1 FROM {} LIMIT 0").format(
                    pgsql.Identifier(*table.split("."))
                )
                try:
                    con.execute(query)
                except psycopg.errors.UndefinedTable:
                    missing.append(table)
                except psycopg.errors.InsufficientPrivilege:
                    refused.append(table)
        if missing:
            raise WarehouseUnavailable(
                f"{where}: {', '.join(missing)} not found. The pipeline creates them as the "
                "database's owner (its first `marketflow run` or `demo` writes silver, gold and "
                "the run log, ops.runs); the report reads as the reader role and creates nothing"
            )
        if refused:
            raise WarehouseUnavailable(
                f"{where}: the reader role may not read {', '.join(refused)}; grant it SELECT "
                "(docs/operations.md: reader role)"
            )

    def evidence_source(self, name: str, folder: Path, scratch: Path) -> EvidenceSource:
        """The database itself, through the reader role; its credentials go in the
        environment of the Evidence build, never into a file."""
        reader = self._as_reader()
        prefix = f"EVIDENCE_SOURCE__{name}__"
        return EvidenceSource(
            {
                "name": name,
                "type": "postgres",
                "options": {
                    "host": self.host,
                    "port": int(self.port),
                    "database": self.database,
                    "ssl": False,
                },
            },
            reader=reader,
            env={prefix + "user": reader.user, prefix + "password": reader.password or ""},
        )

    def reader(self, snapshot_dir: Path) -> Reader:
        return PostgresReader(**self._connect_args(*self.reader_credentials))

    @contextmanager
    def run_lock(self, holder: dict[str, Any], wait_seconds: float) -> Iterator[None]:
        self.preflight()  # an unreachable server is said as such, before the lock's connection
        with advisory_lock(self._connect_args() | {"connect_timeout": 10}, holder, wait_seconds):
            yield

    def preflight(self) -> None:
        self._check("warehouse")
        if self.state is not None:
            self.state._check("SQLMesh state")

    def _check(self, role: str) -> None:
        where = (
            f"PostgreSQL {role} at {self.host}:{self.port} (database {self.database!r}, "
            f"user {self.user!r})"
        )
        try:
            conn = psycopg2.connect(
                host=self.host,
                port=self.port,
                dbname=self.database,
                user=self.user,
                password=self.password or None,
                connect_timeout=5,
                application_name="marketflow-preflight",
            )
        except psycopg2.OperationalError as exc:
            owner = "MARKETFLOW_PG_USER and MARKETFLOW_PG_PASSWORD"
            raise _unavailable(where, exc, owner) from None
        conn.close()


def _unavailable(where: str, exc: Exception, credentials: str) -> WarehouseUnavailable:
    """What a failed connection means and what to check (`credentials`: their variables)."""
    text = str(exc).strip()
    reason = text.splitlines()[-1] if text else type(exc).__name__
    if "password" in reason or "authentication" in reason:
        hint = f"check {credentials} (or .env)"
    elif "does not exist" in reason:
        hint = "create it, or check MARKETFLOW_PG_DATABASE / MARKETFLOW_PG_STATE_DATABASE"
    else:
        hint = (
            "is the server running (make services-up)? Check MARKETFLOW_PG_HOST and "
            "MARKETFLOW_PG_PORT"
        )
    return WarehouseUnavailable(f"{where}: {reason}; {hint}")
