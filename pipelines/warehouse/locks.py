"""One run at a time per warehouse: the lock a run holds from its first write to its last.

DuckDB: an exclusive `flock` on a file beside the warehouse (`<file>.run-lock`), which holds
the holder's description. PostgreSQL: a session advisory lock on a connection of its own, whose
`application_name` is the holder's description. Either is released by the kernel or the server
the moment the holding process dies, SIGKILL included: a killed run never leaves a stale lock.
A run that cannot take the lock within its wait gets WarehouseBusy naming the holder.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

POLL_SECONDS = 0.5
# The advisory lock's key: one per database, the same for every MarketFlow run.
ADVISORY_KEY = 0x4D46_5255  # "MFRU"


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse; the message names it."""


def _wait(try_take: Callable[[], bool], wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while not try_take():
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0.01)))
    return True


def _busy(where: str, holder: str, wait_seconds: float) -> WarehouseBusy:
    return WarehouseBusy(
        f"{where} is held by another run ({holder}); waited {wait_seconds:g} s "
        "(run_lock_wait_seconds). One run at a time per warehouse: try again when it ends."
    )


@contextmanager
def file_lock(warehouse: Path, holder: dict[str, Any], wait_seconds: float) -> Iterator[None]:
    """The DuckDB warehouse's run lock."""
    path = warehouse.with_name(warehouse.name + ".run-lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:

        def take() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False

        if not _wait(take, wait_seconds):
            raise _busy(f"DuckDB warehouse {warehouse}", _describe(path.read_text()), wait_seconds)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the flock


def _describe(text: str) -> str:
    try:
        holder = json.loads(text)
    except ValueError:
        return "a run that did not say which"
    return (
        f"run {holder.get('run_id')}: marketflow {holder.get('command')}, "
        f"pid {holder.get('pid')}, started {holder.get('started_at')}"
    )


@contextmanager
def advisory_lock(
    connect_args: dict[str, Any], holder: dict[str, Any], wait_seconds: float
) -> Iterator[None]:
    """The PostgreSQL warehouse's run lock (a session lock on a connection of its own)."""
    # application_name holds 63 characters: the run id, the command and the pid fit.
    name = f"marketflow {holder['command']} {holder['run_id']} pid {holder['pid']}"[:63]
    con = psycopg.connect(**connect_args, autocommit=True, application_name=name)
    try:

        def take() -> bool:
            row = con.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_KEY,)).fetchone()
            return bool(row and row[0])

        if not _wait(take, wait_seconds):
            where = f"PostgreSQL warehouse {connect_args['host']}:{connect_args['port']}/"
            raise _busy(where + connect_args["dbname"], lock_holder(con), wait_seconds)
        yield
    finally:
        with contextlib.suppress(psycopg.Error):
            con.close()  # ends the session, which releases the lock


def lock_holder(con: psycopg.Connection) -> str:
    """Who holds the run lock on the database `con` is connected to."""
    row = con.execute(
        "SELECT a.application_name, a.backend_start, a.client_addr FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = %s "
        # Advisory locks are per database, but pg_locks lists the whole server's.
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (ADVISORY_KEY,),
    ).fetchone()
    if row is None:
        return "a run that has just ended"
    name, started, client = row
    since = f"{started:%Y-%m-%d %H:%M:%S %Z}"
    return f"{name or 'an unnamed session'}, connected {since} from {client or 'a local socket'}"
