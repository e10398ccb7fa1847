"""The raw object store: immutable Parquet files plus one manifest per landing, through fsspec.

A local folder (`file://`) and S3 (`s3://bucket/prefix`) are the same code. Files are written
before their manifest; a landing without a manifest (a killed run) is invisible to bronze, and
nothing is ever overwritten: every landing has its own load id in every file name.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.checkpoints import checkpoint
from pipelines.config import Project
from pipelines.config.constants import MANIFEST_DIR
from pipelines.config.secrets import lookup
from pipelines.ingest.landing_marker import HEARTBEAT_SECONDS, Sweep, writer_alive

PENDING_SUFFIX = ".landing"  # beside the manifests: a landing begun, not yet committed


class RawStoreError(RuntimeError):
    """The raw store cannot be reached or written; the message names the location."""


@dataclass
class LandedFile:
    path: str  # relative to the store's root
    table: str  # bars | corporate_actions
    ticker: str
    rows: int
    first: str  # first session date (bars) or ex-date (actions), ISO
    last: str


@dataclass
class Manifest:
    load_id: str
    source: str
    interval: str
    landed_at: str
    window_start: str | None = None
    window_end: str | None = None
    files: list[LandedFile] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)  # origin name -> sha256

    def rows(self, table: str) -> int:
        return sum(f.rows for f in self.files if f.table == table)

    def first_date(self) -> str | None:
        dates = [f.first for f in self.files]
        return min(dates) if dates else None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        data["files"] = [LandedFile(**f) for f in data.get("files", [])]
        return cls(**data)


def new_load_id(now: datetime | None = None) -> str:
    """Sortable by landing time; unique across processes."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex[:8]}"


def partition_path(table: str, interval: str | None, source: str, ticker: str, day: str) -> str:
    parts = [table]
    if interval:
        parts.append(f"interval={interval}")
    parts += [f"source={quote(source, safe='')}", f"ticker={quote(ticker, safe='')}"]
    parts.append(f"ingest_date={day}")
    return "/".join(parts)


class RawStore:
    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        self.url = url.rstrip("/")
        try:
            self.fs, self.root = fsspec.core.url_to_fs(self.url, **(storage_options or {}))
        except (ImportError, ValueError) as exc:
            raise RawStoreError(f"raw store {self.url}: {exc}") from None
        self.root = self.root.rstrip("/")
        protocols = self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,)
        self._local = "file" in protocols
        self._markers: dict[str, dict[str, Any]] = {}  # landings this process is writing
        self._beats: dict[str, float] = {}  # their last heartbeat (monotonic)

    def _abs(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def write_bytes(self, rel: str, data: bytes, point: str | None = None) -> None:
        """Write a new object. Locally via a temporary name and a rename, so a killed process
        never leaves a truncated file under the final name; on S3 the object exists once its
        PUT completes, whole. `point`: a checkpoint passed with the bytes sent, the object not
        yet committed (what a kill in the middle of a PUT leaves)."""
        target = self._abs(rel)
        try:
            if self._local:
                self.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
                tmp = f"{target}.tmp-{uuid.uuid4().hex[:8]}"
                with self.fs.open(tmp, "wb") as fh:
                    fh.write(data)
                if point:
                    checkpoint(point)
                self.fs.mv(tmp, target)
            else:
                with self.fs.open(target, "wb") as fh:  # one PUT when closed
                    fh.write(data)
                    if point:
                        checkpoint(point)
        except OSError as exc:
            raise RawStoreError(f"raw store {self.url}: cannot write {rel}: {exc}") from None

    def write_parquet(self, rel: str, table: pa.Table) -> None:
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        self.write_bytes(rel, buffer.getvalue(), point="raw.put")

    def read_parquet(self, rel: str) -> pa.Table:
        try:
            with self.fs.open(self._abs(rel), "rb") as fh:
                return pq.read_table(fh)
        except OSError as exc:
            raise RawStoreError(f"raw store {self.url}: cannot read {rel}: {exc}") from None

    def begin_landing(self, load_id: str, globs: list[str]) -> None:
        """Say, before its first file, where a landing writes (`globs` of its file names) and
        who writes it: a landing killed before its manifest leaves this marker, and its files
        are swept once its writer is known to have ended."""
        writer = {"host": socket.gethostname(), "pid": os.getpid()}
        self._markers[load_id] = {"load_id": load_id, "files": globs, **writer}
        self._beat(load_id)

    def keep_alive(self, load_id: str) -> None:
        """A landing still writing: its marker's heartbeat, refreshed at most every
        HEARTBEAT_SECONDS (each refresh is one write to the store)."""
        if time.monotonic() - self._beats.get(load_id, 0.0) >= HEARTBEAT_SECONDS:
            self._beat(load_id)

    def _beat(self, load_id: str) -> None:
        marker = self._markers[load_id] | {"heartbeat": datetime.now(UTC).isoformat()}
        self.write_bytes(f"{MANIFEST_DIR}/{load_id}{PENDING_SUFFIX}", json.dumps(marker).encode())
        self._beats[load_id] = time.monotonic()

    def write_manifest(self, manifest: Manifest) -> None:
        """Commit a landing: its manifest, then its marker goes."""
        self.write_bytes(f"{MANIFEST_DIR}/{manifest.load_id}.json", manifest.to_json().encode())
        self.end_landing(manifest.load_id)

    def end_landing(self, load_id: str) -> None:
        """The landing is committed (or wrote nothing): its marker goes."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self._abs(f"{MANIFEST_DIR}/{load_id}{PENDING_SUFFIX}"))
        self._markers.pop(load_id, None)
        self._beats.pop(load_id, None)

    def sweep_killed_landings(self) -> Sweep:
        """Delete the files of every landing a killed run left without a manifest (files
        bronze never sees, that would pile up with each retry); leave the landings whose
        writer may still be at work (another shard, on this host or another)."""
        sweep = Sweep()
        markers = self.names(f"{MANIFEST_DIR}/*{PENDING_SUFFIX}")
        if not markers:  # the usual case: no listing of the manifests
            return sweep
        committed = set(self.manifest_ids())
        for marker in markers:
            try:
                spec = json.loads(self.fs.cat_file(self._abs(marker)).decode())
            except FileNotFoundError:  # committed meanwhile
                continue
            load_id = spec["load_id"]
            if load_id not in committed:
                if writer_alive(spec, datetime.now(UTC)):
                    sweep.writing.append(load_id)
                    continue
                files = [p for pattern in spec["files"] for p in self.fs.glob(self._abs(pattern))]
                if files:
                    self.fs.rm(files)
                sweep.swept[load_id] = len(files)
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(self._abs(marker))
        return sweep

    def names(self, pattern: str) -> list[str]:
        """Every object matching `pattern`, relative to the root, sorted."""
        try:
            paths = self.fs.glob(self._abs(pattern))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise RawStoreError(f"raw store {self.url}: cannot list {pattern}: {exc}") from None
        root = self.root.lstrip("/")  # fsspec's local paths lead with "/", S3's do not
        return sorted(str(p).lstrip("/").removeprefix(root).lstrip("/") for p in paths)

    def read_all(self, pattern: str) -> list[str]:
        """The text of every object matching `pattern` (relative to the root), by name."""
        try:
            return [self.fs.cat_file(self._abs(rel)).decode() for rel in self.names(pattern)]
        except OSError as exc:
            raise RawStoreError(f"raw store {self.url}: cannot read {pattern}: {exc}") from None

    def manifest_ids(self) -> list[str]:
        """Load ids of every committed landing, oldest first."""
        names = self.names(f"{MANIFEST_DIR}/*.json")  # sorted: by load id
        return [p.rsplit("/", 1)[1].removesuffix(".json") for p in names]

    def read_manifest(self, load_id: str) -> Manifest:
        rel = f"{MANIFEST_DIR}/{load_id}.json"
        try:
            return Manifest.from_json(self.fs.cat_file(self._abs(rel)).decode())
        except OSError as exc:
            raise RawStoreError(f"raw store {self.url}: cannot read {rel}: {exc}") from None

    @property
    def endpoint(self) -> str:
        client = getattr(self.fs, "client_kwargs", None) or {}
        return client.get("endpoint_url") or "AWS S3"

    def preflight(self) -> None:
        """Fail early, before any provider is called, with a message that says what to fix."""
        if not self._local:
            self._check_bucket()
        self.check_writable()

    def _check_bucket(self) -> None:
        bucket = self.root.split("/", 1)[0]
        where = f"raw store {self.url}"
        try:
            self.fs.ls(bucket, refresh=True)
        except FileNotFoundError:
            raise RawStoreError(
                f"{where}: bucket {bucket!r} does not exist at {self.endpoint}; create it, or "
                "fix storage.raw_url (MARKETFLOW_RAW_URL)"
            ) from None
        except PermissionError as exc:
            raise RawStoreError(
                f"{where}: S3 at {self.endpoint} refused access to bucket {bucket!r} ({exc}); "
                "check RAW_STORE__CREDENTIALS__AWS_ACCESS_KEY_ID / _AWS_SECRET_ACCESS_KEY "
                "or [raw_store.credentials] in .dlt/secrets.toml"
            ) from None
        except Exception as exc:  # botocore's connection errors are not OSErrors
            raise RawStoreError(
                f"{where}: S3 endpoint {self.endpoint} is unreachable ({type(exc).__name__}); "
                "is the server running (make services-up)? Check "
                "RAW_STORE__CREDENTIALS__ENDPOINT_URL"
            ) from None

    def check_writable(self) -> None:
        """Fail early, before any provider is called, if the store cannot be written."""
        probe = f"{MANIFEST_DIR}/.probe-{uuid.uuid4().hex[:8]}"
        self.write_bytes(probe, b"")
        with contextlib.suppress(OSError):
            self.fs.rm_file(self._abs(probe))


def raw_store_options(root: Path, url: str) -> dict[str, Any]:
    """fsspec storage options for the raw store; only S3 needs any."""
    if not url.startswith("s3://"):
        return {}

    def get(key: str) -> Any:
        return lookup(root, "raw_store", "credentials", key)

    wanted = {"endpoint_url": get("endpoint_url"), "region_name": get("region_name")}
    client_kwargs = {k: v for k, v in wanted.items() if v}
    options: dict[str, Any] = {
        # Fail in seconds, not minutes, when the endpoint is down.
        "config_kwargs": {"connect_timeout": 5, "retries": {"max_attempts": 2}},
    }
    if client_kwargs:
        options["client_kwargs"] = client_kwargs
    key, secret = get("aws_access_key_id"), get("aws_secret_access_key")
    if key and secret:  # otherwise botocore's usual chain (env, ~/.aws, instance role)
        options.update(key=key, secret=secret)
    return options


def open_store(project: Project) -> RawStore:
    """The project's raw store (storage.raw_url), with its credentials from secrets."""
    return RawStore(project.raw_url, raw_store_options(project.root, project.raw_url))
