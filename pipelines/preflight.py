"""Checks before a run touches anything: the warehouse and the raw store must be reachable and
writable, or the run stops with a message naming the host:port or bucket and what to check.
Nothing is half-written because nothing is written before these pass."""

from __future__ import annotations

from pipelines.config import Project
from pipelines.raw_store import RawStore


class WarehouseUnavailable(RuntimeError):
    pass


def check_warehouse(project: Project) -> None:
    wh = project.warehouse
    if wh.engine == "duckdb":
        _check_duckdb(project)
        return
    state = project.sqlmesh_config.gateways[project.gateway].state_connection
    _check_postgres(wh.host, wh.port, wh.database, wh.user, wh.password, "warehouse")
    if state is not None and getattr(state, "type_", None) == "postgres":
        _check_postgres(
            state.host, int(state.port), state.database, state.user, state.password, "SQLMesh state"
        )


def _check_postgres(
    host: str | None,
    port: int | None,
    database: str | None,
    user: str | None,
    password: str | None,
    role: str,
) -> None:
    import psycopg2

    where = f"PostgreSQL {role} at {host}:{port} (database {database!r}, user {user!r})"
    try:
        conn = psycopg2.connect(
            host=host,
            port=port,
            dbname=database,
            user=user,
            password=password or None,
            connect_timeout=5,
            application_name="marketflow-preflight",
        )
    except psycopg2.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        if "password" in reason or "authentication" in reason:
            hint = "check MARKETFLOW_PG_USER and MARKETFLOW_PG_PASSWORD (or .env)"
        elif "does not exist" in reason:
            hint = "create it, or check MARKETFLOW_PG_DATABASE / MARKETFLOW_PG_STATE_DATABASE"
        else:
            hint = (
                "is the server running (make services-up)? Check MARKETFLOW_PG_HOST and "
                "MARKETFLOW_PG_PORT"
            )
        raise WarehouseUnavailable(f"{where}: {reason}; {hint}") from None
    conn.close()


def _check_duckdb(project: Project) -> None:
    import duckdb

    path = project.warehouse.duckdb_path
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        duckdb.connect(str(path)).close()
    except duckdb.IOException as exc:
        raise WarehouseUnavailable(
            f"DuckDB warehouse {path} cannot be opened for writing: {exc}. Another process "
            "(a run, `marketflow serve`, a notebook) may hold it; DuckDB allows one writer."
        ) from None


def preflight(project: Project, store: RawStore) -> None:
    check_warehouse(project)
    store.preflight()
