"""Read-only views of the warehouse for readers that must never block a run (the API).

PostgreSQL: the reader role (MARKETFLOW_PG_READER_USER / _PASSWORD), one connection per worker
thread, reused across requests, read-only at the session level.

DuckDB: a DuckDB file has one writer and readers only when there is no writer, so an API that
held the pipeline's file open would block every run. The API therefore serves a consistent
snapshot: a copy of the file taken under a read-only connection (no writer can hold it then),
refreshed when the warehouse changes. While a run holds the file the last snapshot is served; a
request before any snapshot exists gets 503 with Retry-After, never a hang or a 500.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv

from pipelines.config.paths import OWNED_MARKER
from pipelines.warehouse.snapshot import copy_duckdb

RETRY_AFTER_SECONDS = 5
SNAPSHOT_CHECK_SECONDS = 2.0  # how often the warehouse file's mtime is compared
# A new snapshot is taken only once the file has been quiet this long: a run writes it
# continuously, and the brief read lock of a copy must not land in a gap between a run's
# connections.
SETTLE_SECONDS = 10.0
CACHE_ENTRIES = 4096  # answers kept per snapshot
CACHE_MAX_ROWS = 10_000  # larger answers are not kept


class Unavailable(Exception):
    """The warehouse cannot answer now; the client should retry after `retry_after` s."""

    def __init__(self, message: str, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Reader(Protocol):
    """What reads the warehouse: one query's rows as dicts, `?` marking parameters. The API's
    readers below, and the Warehouse itself (pipelines/warehouse/engines.py), are readers."""

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...


class DuckDBSnapshot:
    def __init__(self, warehouse: Path, snapshots: Path) -> None:
        self.warehouse, self.snapshots = warehouse, snapshots
        self._lock = threading.Lock()
        self._connection: Any = None
        self._version: tuple[float, int] | None = None
        self._checked = 0.0
        self._local = threading.local()
        self._cache: OrderedDict[tuple, list[dict[str, Any]]] = OrderedDict()
        self.generation = 0  # which snapshot answers come from: +1 with each new one

    def check_due(self) -> bool:
        """Whether the next answer must first compare the warehouse with the snapshot."""
        return (
            self._connection is None or time.monotonic() - self._checked >= SNAPSHOT_CHECK_SECONDS
        )

    def refresh(self) -> None:
        """Take a new snapshot if the warehouse changed (what every query does first)."""
        self._refresh()

    def _current_version(self) -> tuple[float, int] | None:
        try:
            stat = self.warehouse.stat()
        except FileNotFoundError:
            return None
        wal = self.warehouse.with_name(self.warehouse.name + ".wal")
        return (max(stat.st_mtime, wal.stat().st_mtime if wal.exists() else 0), stat.st_size)

    def _refresh(self) -> None:
        """Take a new snapshot when the warehouse changed; keep the old one if it is busy."""
        now = time.monotonic()
        if self._connection is not None and now - self._checked < SNAPSHOT_CHECK_SECONDS:
            return
        with self._lock:
            if self._connection is not None and now - self._checked < SNAPSHOT_CHECK_SECONDS:
                return
            self._checked = now
            version = self._current_version()
            if version is None:
                raise Unavailable("the warehouse is not built yet: has the pipeline run?")
            if version == self._version and self._connection is not None:
                return
            if self._connection is not None and time.time() - version[0] < SETTLE_SECONDS:
                return  # still being written: keep serving the last snapshot
            target = self.snapshots / f"{version[0]:.6f}-{version[1]}"
            try:
                copy = copy_duckdb(self.warehouse, target)
            except duckdb.IOException:  # a run holds the file
                if self._connection is not None:
                    return  # serve the last snapshot
                kept = self._newest_kept()
                if kept is None:
                    raise Unavailable(
                        "the warehouse is busy (a pipeline run holds it) and no snapshot of it "
                        "exists yet; retry shortly"
                    ) from None
                # One an earlier process took: served until the run lets go of the file.
                target, copy, version = kept.parent, kept, None
            fresh = duckdb.connect(str(copy), read_only=True)
            fresh.execute("SET TimeZone = 'UTC'")
            old, self._connection, self._version = self._connection, fresh, version
            self._local = threading.local()
            self._cache = OrderedDict()
            self.generation += 1
            if old is not None:
                old.close()
            for stale in self.snapshots.iterdir():
                # Older snapshots only (a reader still holding one keeps its open inode),
                # and only what this product created there.
                if stale != target and (stale / OWNED_MARKER).is_file():
                    shutil.rmtree(stale, ignore_errors=True)

    def _newest_kept(self) -> Path | None:
        """The newest whole snapshot in the folder (its warehouse copy), if any."""
        if not self.snapshots.is_dir():
            return None
        kept = [
            folder / self.warehouse.name
            for folder in self.snapshots.iterdir()
            if (folder / OWNED_MARKER).is_file()
            and (folder / self.warehouse.name).is_file()
            and not folder.name.endswith(".partial")  # still being copied
        ]
        return max(kept, key=lambda copy: copy.stat().st_mtime, default=None)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self._refresh()
        # A snapshot never changes, so an answer computed on it stays exact until the next
        # snapshot: small answers are kept (the cache goes with the snapshot).
        key = (sql, tuple(params))
        cache = self._cache
        hit = cache.get(key)  # single dict operations are atomic under the GIL
        if hit is not None:
            return [dict(row) for row in hit]
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self._connection.cursor()  # one per thread
        result = cursor.execute(sql, list(params))
        names = [d[0] for d in result.description]
        found = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        if len(found) <= CACHE_MAX_ROWS:
            cache[key] = found
            if len(cache) > CACHE_ENTRIES:
                with contextlib.suppress(KeyError):  # another thread emptied it meanwhile
                    cache.popitem(last=False)  # the oldest answer
            return [dict(row) for row in found]
        return found

    def arrow(self, sql: str, params: Sequence[Any], schema: pa.Schema) -> pa.Table:
        """The answer as one Arrow table of `schema` (DuckDB's columnar result: no Python
        object per row), for the columnar answers, the client and exports."""
        self._refresh()
        cursor = self._connection.cursor()  # its own: the thread's may serve another request
        try:
            table = cursor.execute(sql, list(params)).to_arrow_table()
        finally:
            cursor.close()
        return table.rename_columns(schema.names).cast(schema)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()


class PostgresReader:
    def __init__(self, **connect: Any) -> None:
        self.connect = connect
        self._local = threading.local()

    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            try:
                conn = psycopg.connect(
                    **self.connect, autocommit=True, connect_timeout=5, options="-c TimeZone=UTC"
                )
            except psycopg.OperationalError as exc:
                # What happened, not the driver's text (hosts, users): clients see this.
                raise Unavailable("the warehouse database is unreachable; retry shortly") from exc
            conn.execute("SET default_transaction_read_only = on")
            self._local.conn = conn
        return conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            cursor = self._connection().execute(sql.replace("?", "%s"), list(params))
        except psycopg.OperationalError as exc:  # the server went away: reconnect next time
            self._local.conn = None
            raise Unavailable("the warehouse connection was lost; retry shortly") from exc
        names = [d.name for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def arrow(self, sql: str, params: Sequence[Any], schema: pa.Schema) -> pa.Table:
        """The answer as one Arrow table of `schema`: the server writes it as CSV (COPY, which
        psycopg hands over in chunks) and Arrow parses it, with no Python object per row."""
        statement = f"COPY ({sql.replace('?', '%s')}) TO STDOUT (FORMAT csv)"
        try:
            with (
                self._connection().cursor() as cursor,
                cursor.copy(statement, list(params)) as copy,
            ):
                data = b"".join(bytes(chunk) for chunk in copy)
        except psycopg.OperationalError as exc:
            self._local.conn = None
            raise Unavailable("the warehouse connection was lost; retry shortly") from exc
        return csv_table(data, schema)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()


def csv_table(data: bytes, schema: pa.Schema) -> pa.Table:
    """PostgreSQL's CSV (no header; NULL unquoted and empty, an empty string quoted) as Arrow."""
    if not data:
        return schema.empty_table()
    return pa_csv.read_csv(
        pa.py_buffer(data),
        read_options=pa_csv.ReadOptions(column_names=schema.names),
        convert_options=pa_csv.ConvertOptions(
            column_types=schema,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    ).cast(schema)
