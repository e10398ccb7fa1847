"""Raw landing: run a provider's dlt source and keep what it yields as immutable Parquet.

One file per (table, ticker) and batch of up to FLUSH_ROWS yielded rows, under
`<table>/interval=<i>/source=<s>/ticker=<t>/ingest_date=<YYYY-MM-DD>/<load_id>-<n>.parquet`,
then the manifest. dlt's filesystem destination cannot partition by a value inside the rows
(docs/design.md), so the files are written here through fsspec.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from dlt.extract.source import DltSource

from pipelines.checkpoints import checkpoint
from pipelines.config.constants import BAR_TABLES, PRIMARY_TABLES
from pipelines.ingest.raw_store import LandedFile, Manifest, RawStore, partition_path
from pipelines.ingest.sources.normalize import local_dates
from pipelines.ingest.sources.schema import META_ORIGIN, META_SHA256

Progress = Callable[[str, int], None]  # (description of the batch, rows)


def split_by_ticker(table: pa.Table) -> list[tuple[str, pa.Table]]:
    """The table's rows grouped by ticker, tickers in order."""
    if table.num_rows == 0:
        return []
    table = table.sort_by([("ticker", "ascending")])
    tickers = table["ticker"].to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, tickers[1:] != tickers[:-1]])
    ends = np.r_[starts[1:], len(tickers)]
    return [(str(tickers[s]), table.slice(s, e - s)) for s, e in zip(starts, ends, strict=True)]


def land(
    source: DltSource,
    store: RawStore,
    *,
    load_id: str,
    source_name: str,
    interval: str,
    exchange_timezone: str,
    window: tuple[date | None, date | None] = (None, None),
    record_origins: bool = True,
    progress: Progress | None = None,
    keep: Callable[[str], bool] | None = None,
    tables: Mapping[str, str] = PRIMARY_TABLES,
) -> Manifest | None:
    """Land everything the source yields; return the committed manifest, or None if the
    source had nothing new. `record_origins` is False when the source was asked for part of
    its input only (a window, some tickers): its files must then be read again later. `keep`:
    land only the rows of the tickers it accepts (a shard's; a provider may yield more, as the
    files provider yields every corporate action of its file). `tables`: which of the source's
    tables to land, under which raw table (a secondary provider's bars land apart)."""
    landed_at = datetime.now(UTC)
    manifest = Manifest(
        load_id=load_id,
        source=source_name,
        interval=interval,
        landed_at=landed_at.isoformat(),
        window_start=window[0].isoformat() if window[0] else None,
        window_end=window[1].isoformat() if window[1] else None,
    )
    day = landed_at.date().isoformat()
    store.begin_landing(
        load_id,
        [
            partition_path(t, interval if t in BAR_TABLES else None, source_name, "*", day).replace(
                "ticker=%2A", "ticker=*"
            )
            + f"/{load_id}-*.parquet"
            for t in tables.values()
        ],
    )
    written = _Files(store, manifest, load_id, interval, source_name, exchange_timezone, day, keep)
    for resource, table_name in tables.items():
        if resource not in source.resources:
            continue
        for item in source.resources[resource]:
            if not isinstance(item, pa.Table):
                raise TypeError(f"source {source_name!r} yielded {type(item).__name__}, not Arrow")
            meta = item.schema.metadata or {}
            if record_origins and META_ORIGIN in meta:
                manifest.origins[meta[META_ORIGIN].decode()] = meta.get(META_SHA256, b"").decode()
            written.add(table_name, item.replace_schema_metadata(None))
            if progress is not None:
                origin = meta.get(META_ORIGIN, table_name.encode()).decode()
                progress(f"{table_name} from {origin}", item.num_rows)
        written.flush(table_name)
    if not manifest.files and not manifest.origins:
        store.end_landing(load_id)  # nothing to commit
        return None
    checkpoint("raw.manifest")  # every file written, the landing not committed
    store.write_manifest(manifest)
    return manifest


# Rows held before they are written: a source that yields one session of every ticker at a time
# (Grouped Daily) lands one file per ticker per 1M rows, not one per ticker and session (10,000
# tickers would be 2.5M files a year). About 100 MB of Arrow at most.
FLUSH_ROWS = 1_000_000


class _Files:
    """The files of one landing: what the source yielded, buffered, then one file per ticker
    of each buffer (rows of one schema), recorded in the manifest."""

    def __init__(
        self,
        store: RawStore,
        manifest: Manifest,
        load_id: str,
        interval: str,
        source_name: str,
        zone: str,
        day: str,
        keep: Callable[[str], bool] | None,
    ) -> None:
        self.store, self.manifest, self.load_id, self.interval = store, manifest, load_id, interval
        self.source_name, self.zone, self.day, self.keep = source_name, zone, day, keep
        self.buffer: list[pa.Table] = []
        self.buffered = 0  # rows in the buffer
        self.seq = 0

    def add(self, table_name: str, item: pa.Table) -> None:
        if self.buffer and item.schema != self.buffer[0].schema:
            self.flush(table_name)
        self.buffer.append(item)
        self.buffered += item.num_rows
        self.store.keep_alive(self.load_id)  # the landing is alive while the source answers
        if self.buffered >= FLUSH_ROWS:
            self.flush(table_name)

    def flush(self, table_name: str) -> None:
        if not self.buffer:
            return
        table, self.buffer, self.buffered = pa.concat_tables(self.buffer), [], 0
        interval = self.interval if table_name in BAR_TABLES else None
        for ticker, part in split_by_ticker(table):
            if self.keep is not None and not self.keep(ticker):
                continue
            self.seq += 1
            folder = partition_path(table_name, interval, self.source_name, ticker, self.day)
            rel = f"{folder}/{self.load_id}-{self.seq:05d}.parquet"
            self.store.write_parquet(rel, part)
            self.store.keep_alive(self.load_id)
            checkpoint("raw.file")
            first, last = _date_range(part, table_name, self.zone)
            self.manifest.files.append(
                LandedFile(rel, table_name, ticker, part.num_rows, first, last)
            )


def _date_range(part: pa.Table, table_name: str, zone: str) -> tuple[str, str]:
    days = part["ex_date"] if table_name == "corporate_actions" else local_dates(part["ts"], zone)
    bounds = pc.min_max(days)
    return bounds["min"].as_py().isoformat(), bounds["max"].as_py().isoformat()
