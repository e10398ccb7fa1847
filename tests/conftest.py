"""Shared fixtures: throwaway MarketFlow projects (a folder with its own config.yaml, the
repository's models linked in) on either backend, and the real CLI to run against them.

Backends: "duckdb" (a DuckDB file and a local raw folder) and "postgres" (a PostgreSQL
database plus its own SQLMesh state database, and an S3 prefix on SeaweedFS). The session
starts PostgreSQL and SeaweedFS if they are not running and stops what it started.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import psycopg
import pytest
import yaml

from dev import services as svc
from pipelines.ingest.demo_data import bundled_bars

REPO = Path(__file__).resolve().parents[1]
PROJECT_FILES = (
    "models",
    "macros",
    "audits",
    "checks",
    "external_models.yaml",
    "tests",
    ".dlt",
    "reports",
)
# A fixed "now" for the pipeline: after the demo data ends, so every session is closed.
AS_OF = "2026-11-20"
BACKENDS = ("duckdb", "postgres")


def _deep_merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if value is None:  # removes the key
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """The same types whichever engine returned the rows: dates and timestamps as pandas
    timestamps (UTC when zoned), integers as int64, other numbers as float64."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        sample = values.dropna().iloc[0] if values.notna().any() else None
        if isinstance(sample, dt.datetime) or pd.api.types.is_datetime64_any_dtype(values):
            zoned = getattr(sample, "tzinfo", None) is not None or getattr(values.dtype, "tz", None)
            out[column] = pd.to_datetime(values, utc=bool(zoned))
            if not zoned:
                out[column] = out[column].astype("datetime64[us]")
            else:
                out[column] = out[column].dt.tz_convert("UTC").astype("datetime64[us, UTC]")
        elif isinstance(sample, dt.date):
            out[column] = pd.to_datetime(values).astype("datetime64[us]")
        elif pd.api.types.is_integer_dtype(values):
            out[column] = values.astype("int64")
        elif pd.api.types.is_float_dtype(values) or isinstance(sample, float):
            out[column] = values.astype("float64")
    return out


@dataclass
class Project:
    root: Path
    config: Path
    backend: str = "duckdb"
    env: dict[str, str] = field(default_factory=dict)

    @property
    def warehouse(self) -> Path:
        """The DuckDB file queries read: on Spark, the serving copy."""
        if self.backend == "spark":
            return self.root / "data" / "spark" / "serving.duckdb"
        return self.root / "data" / "warehouse.duckdb"

    @property
    def drop(self) -> Path:
        return self.root / "data" / "drop"

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    def cli(
        self, *args: str, check: bool = True, env: dict | None = None
    ) -> subprocess.CompletedProcess:
        return run_cli("--config", str(self.config), *args, check=check, env=self.env | (env or {}))

    def cli_killed_at(
        self, point: str, *args: str, env: dict | None = None
    ) -> subprocess.CompletedProcess:
        """The CLI with its checkpoints armed (dev/faults.py): it SIGKILLs itself at `point`."""
        return run_cli(
            "--config", str(self.config), *args, check=False,
            env=self.env | (env or {}) | {"MARKETFLOW_KILL_AT": point}, module="dev.faults",
        )  # fmt: skip

    def query(self, sql: str) -> pd.DataFrame:
        if self.backend == "postgres":
            with psycopg.connect(self.pg_dsn()) as conn:
                cursor = conn.execute(sql)
                columns = [c.name for c in cursor.description]
                return normalise(pd.DataFrame(cursor.fetchall(), columns=columns))
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return normalise(con.sql(sql).df())
        finally:
            con.close()

    def scalar(self, sql: str) -> Any:
        return self.query(sql).iloc[0, 0]

    def pg_dsn(self, user: str = "app") -> str:
        e = self.env
        name, password = (
            (e["MARKETFLOW_PG_USER"], e["MARKETFLOW_PG_PASSWORD"])
            if user == "app"
            else (e["MARKETFLOW_PG_READER_USER"], e["MARKETFLOW_PG_READER_PASSWORD"])
        )
        return (
            f"postgresql://{name}:{password}@{e['MARKETFLOW_PG_HOST']}:"
            f"{e['MARKETFLOW_PG_PORT']}/{e['MARKETFLOW_PG_DATABASE']}"
        )


def write_config(root: Path, overrides: dict | None = None, variables: dict | None = None) -> Path:
    """The repository's config.yaml with `overrides` merged into variables.marketflow and
    `variables` into the top-level variables (exchange, adjustment)."""
    root.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    if overrides:
        config["variables"]["marketflow"] = _deep_merge(
            config["variables"]["marketflow"], overrides
        )
    if variables:
        config["variables"] = _deep_merge(config["variables"], variables)
    # Double quotes (and no folding) keep the Jinja in strings intact ({{ env_var('X') }}).
    (root / "config.yaml").write_text(
        yaml.safe_dump(config, sort_keys=False, default_style='"', width=1 << 20)
    )
    for name in PROJECT_FILES:
        link = root / name
        if not link.exists():
            link.symlink_to(REPO / name)
    return root / "config.yaml"


def free_port() -> int:
    """A TCP port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_project(
    root: Path, overrides: dict | None = None, variables: dict | None = None
) -> Project:
    """A DuckDB + local-folder project (no services needed)."""
    env = {"MARKETFLOW_GATEWAY": "local", "MARKETFLOW_RAW_URL": "data/raw"}
    return Project(root, write_config(root, overrides, variables), "duckdb", env)


def make_spark_project(root: Path, overrides: dict | None = None) -> Project:
    """A Spark (local mode) + local-folder project; queries read its serving copy."""
    env = {"MARKETFLOW_GATEWAY": "spark", "MARKETFLOW_RAW_URL": "data/raw"}
    return Project(root, write_config(root, overrides), "spark", env)


def run_cli(
    *args: str, check: bool = True, env: dict | None = None, module: str = "pipelines.cli"
) -> subprocess.CompletedProcess:
    # A zone far from both UTC and New York: the pipeline must not depend on the machine's.
    full_env = {**os.environ, "COLUMNS": "200", "TZ": "Asia/Kolkata", **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO,  # where `dev` (the fault injector) is importable
        capture_output=True,
        text=True,
        env=full_env,
        timeout=900,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"marketflow {' '.join(args)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


# ------------------------------------------------------------------ services and backends


def _xdist_controller(config: pytest.Config) -> bool:
    """The main process of `pytest -n N` (make test), as opposed to one of its workers, when the
    run may need the services (tests/unit never does: `make test-unit` starts nothing)."""
    if not getattr(config.option, "numprocesses", None) or hasattr(config, "workerinput"):
        return False
    unit = REPO / "tests" / "unit"
    paths = [Path(a.split("::")[0]).resolve() for a in config.args] or [REPO / "tests"]
    return not all(p.is_relative_to(unit) for p in paths)


def pytest_configure(config: pytest.Config) -> None:
    # Under `-n N` the workers share one PostgreSQL and one SeaweedFS: the main process
    # starts them before the workers exist and stops them after the last one has finished, so
    # no worker stops what another still uses (a worker sees them running and leaves them).
    if _xdist_controller(config):
        config._marketflow_started_services = not svc.running()  # type: ignore[attr-defined]
        svc.up(log=lambda _: None, write_env=False)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _xdist_controller(config) and getattr(config, "_marketflow_started_services", False):
        svc.down(log=lambda _: None)


@dataclass
class Services:
    env: dict[str, str]
    superuser_dsn: str


class ProjectFactory:
    """Creates projects on a backend, starting PostgreSQL and SeaweedFS the first time a
    PostgreSQL project is asked for; removes the databases and stops what it started."""

    def __init__(self) -> None:
        self._services: Services | None = None
        self._started = False
        self.databases: list[str] = []

    @property
    def services(self) -> Services:
        if self._services is None:
            self._started = not svc.running()
            env = svc.up(log=lambda _: None, write_env=False)
            creds = svc.Credentials.load_or_create(svc.SERVICES)
            self._services = Services(env, svc.superuser_dsn(creds))
        return self._services

    def __call__(
        self,
        root: Path,
        backend: str,
        overrides: dict | None = None,
        variables: dict | None = None,
    ) -> Project:
        if backend == "duckdb":
            return make_project(root, overrides, variables)
        services = self.services
        names, overrides_env = svc.project_databases("mf")
        self.databases += names
        env = services.env | overrides_env
        return Project(root, write_config(root, overrides, variables), "postgres", env)

    def close(self) -> None:
        if self._services is None:
            return
        try:
            svc.drop_databases(self.databases)
        finally:
            if self._started:
                svc.down(log=lambda _: None)


@pytest.fixture(scope="session")
def session_projects() -> Iterator[ProjectFactory]:
    factory = ProjectFactory()
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def new_project(session_projects: ProjectFactory, tmp_path: Path):
    """new_project(backend, overrides=None, variables=None) -> a fresh project in tmp_path."""
    counter = iter(range(100))

    def create(
        backend: str, overrides: dict | None = None, variables: dict | None = None
    ) -> Project:
        return session_projects(tmp_path / f"p{next(counter)}", backend, overrides, variables)

    return create


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


class Demos(dict):
    """The bundled demo, run once per backend through the real CLI; tests only read it."""

    def __init__(self, factory: ProjectFactory, tmp: pytest.TempPathFactory) -> None:
        super().__init__()
        self.factory, self.tmp = factory, tmp

    def __missing__(self, backend: str) -> Project:
        project = self.factory(self.tmp.mktemp(f"demo-{backend}"), backend)
        project.cli("demo", "--as-of", AS_OF)
        self[backend] = project
        return project


@pytest.fixture(scope="session")
def demos(session_projects: ProjectFactory, tmp_path_factory: pytest.TempPathFactory) -> Demos:
    return Demos(session_projects, tmp_path_factory)


@pytest.fixture(scope="session")
def demo_project(backend: str, demos: Demos) -> Project:
    return demos[backend]


@pytest.fixture(scope="session")
def bundled() -> pd.DataFrame:
    return bundled_bars()
