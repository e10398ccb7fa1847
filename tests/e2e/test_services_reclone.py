"""The development PostgreSQL of a clone made where a deleted clone was.

A clone under a directory the postgres user cannot enter keeps its cluster under /var/tmp, in a
folder named after the clone's path. A new clone at the path of a deleted one generates new
credentials and must not adopt the old cluster, whose superuser password died with the old
clone (it failed at `make test`'s setup with "password authentication failed").
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import psycopg

from dev import postgres_dir
from dev.services import postgres_bindir

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clone(path: Path) -> None:
    """The dev package alone is what `python -m dev.services` needs."""
    path.mkdir(parents=True)
    shutil.copytree(ROOT / "dev", path / "dev", ignore=shutil.ignore_patterns("__pycache__"))


def _in_clone(clone: Path, code: str, port: int) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=clone,
        env={**os.environ, "MARKETFLOW_SERVICES_PG_PORT": str(port), "PYTHONPATH": str(clone)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


UP = (
    "from dev import services as s\n"
    "creds = s.Credentials.load_or_create(s.SERVICES)\n"
    "s.postgres_up(creds)\n"
    "print('PASSWORD=' + creds.pg_superuser_password)\n"
)
DOWN = "from dev import services as s\ns.postgres_down()\n"


def _superuser_can_connect(port: int, password: str) -> str:
    dsn = f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"
    with psycopg.connect(dsn, connect_timeout=10) as conn:
        return conn.execute("SELECT current_user").fetchone()[0]


def _password(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("PASSWORD="))[9:]


def test_a_clone_where_a_deleted_clone_was_gets_a_cluster_of_its_own(tmp_path: Path) -> None:
    clone, port = tmp_path / "clone", _free_port()
    folder = postgres_dir.fallback_for(clone)
    assert not postgres_dir.postgres_can_reach(tmp_path)  # pytest's 0700 folder: the fallback
    try:
        _clone(clone)
        first = _password(_in_clone(clone, UP, port))
        assert _superuser_can_connect(port, first) == "postgres"
        shutil.rmtree(clone)  # deleted with its server still running, as a killed CI leaves it

        _clone(clone)
        output = _in_clone(clone, UP, port)
        second = _password(output)
        assert second != first  # the new clone's own credentials
        assert (folder / "data" / "PG_VERSION").exists()
        assert _superuser_can_connect(port, second) == "postgres"
        assert "other credentials" in output  # said, not done silently
    finally:
        if clone.exists():
            _in_clone(clone, DOWN, port)
        data = folder / "data"
        if (data / "postmaster.pid").exists():  # the first clone's server, when the fix is absent
            subprocess.run(
                [
                    "runuser",
                    "-u",
                    "postgres",
                    "--",
                    "pg_ctl",
                    "-D",
                    str(data),
                    "-m",
                    "immediate",
                    "stop",
                ],
                capture_output=True,
                env={**os.environ, "PATH": f"{postgres_bindir()}:{os.environ['PATH']}"},
            )
        shutil.rmtree(folder.parent, ignore_errors=True)
