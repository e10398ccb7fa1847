"""Files provider: vendor flat files (CSV or Parquet) dropped into a folder.

The column mapping comes from config.yaml (`providers.<name>.columns`), so a new vendor's files
load without code. A file that does not fit (a missing column, text in a price column, an
unparseable timestamp) is refused as a whole with a message naming the file and the column;
nothing from it is landed. Files already landed (same SHA-256) are skipped. How files are found
and fingerprinted: drop_folder.py; how one is read: readers.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path

import dlt
import pyarrow as pa
from dlt.extract.source import DltSource

from pipelines.config import Project
from pipelines.config.constants import ACTION_KEY, BAR_KEY
from pipelines.config.providers import FilesProvider
from pipelines.ingest.sources.files.drop_folder import (
    DropFile,
    DropFileError,
    FingerprintCache,
    cached_fingerprint,
    fingerprint,
    list_drop_files,
)
from pipelines.ingest.sources.files.readers import (
    ACTION_FIELDS,
    FileFormat,
    read_actions_file,
    read_bars_file,
)
from pipelines.ingest.sources.schema import (
    META_ORIGIN,
    META_SHA256,
    Rejection,
    SourceRequest,
)

__all__ = [
    "DropFile",
    "DropFileError",
    "FileFormat",
    "file_format",
    "files_source",
    "fingerprint",
    "read_actions_file",
    "read_bars_file",
    "source_for",
]


@dlt.source(name="files")
def files_source(
    drop_folder: str,
    interval: str,
    exchange_timezone: str,
    bars_glob: str | None,
    bar_format: FileFormat,
    actions_file: str | None = None,
    action_columns: Mapping[str, str] | None = None,
    source_name: str = "files",
    tickers: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    skip_sha256: frozenset[str] = frozenset(),
    on_reject: Callable[[Rejection], None] | None = None,
    fingerprints: FingerprintCache | None = None,
) -> Sequence[dlt.sources.DltResource]:
    """Bars of one interval and the corporate actions found in a drop folder.

    bars_glob: the files holding bars of `interval` (None: none do); bar_format: how they read.
    actions_file, action_columns: the corporate-actions file and its columns, if any.
    tickers: keep only these tickers' bars (default: every ticker in the files). Corporate
      actions all land: silver names one of a ticker outside the universe
      (silver.adjustment_events.rejected) instead of dropping it unseen.
    start, end: keep only sessions in this window (dates in the exchange's zone).
    skip_sha256: fingerprints of files landed before; those files are not read again.
    on_reject: called with each refused file; without it the first bad file raises.
    fingerprints: a cache of file fingerprints by size and modification time, updated in place
      (a folder of thousands of unchanged files is then not re-read on every run).
    """
    folder = Path(drop_folder)
    keep = frozenset(tickers) if tickers is not None else None  # [] keeps none

    def reject(error: DropFileError) -> None:
        if on_reject is None:
            raise error
        on_reject(error.rejection)

    @dlt.resource(
        name="bars",
        primary_key=BAR_KEY,
        write_disposition={"disposition": "merge", "strategy": "upsert"},
    )
    def bars() -> Iterator[pa.Table]:
        if bars_glob is None:
            return
        for drop in list_drop_files(folder, bars_glob, fingerprints):
            if drop.sha256 in skip_sha256:
                continue
            try:
                table = read_bars_file(
                    drop, bar_format, interval, exchange_timezone, source_name, keep, start, end
                )
            except DropFileError as error:
                reject(error)
                continue
            yield _tag(table, drop)

    @dlt.resource(
        name="corporate_actions",
        primary_key=ACTION_KEY,
        write_disposition={"disposition": "merge", "strategy": "upsert"},
    )
    def corporate_actions() -> Iterator[pa.Table]:
        if actions_file is None or not (folder / actions_file).is_file():
            return
        path = folder / actions_file
        drop = DropFile(path, actions_file, cached_fingerprint(path, fingerprints))
        if drop.sha256 in skip_sha256:
            return
        try:
            columns = {**dict.fromkeys(ACTION_FIELDS), **(action_columns or {})}
            columns = {k: v or k for k, v in columns.items()}
            table = read_actions_file(drop, columns, bar_format.price_basis, source_name)
        except DropFileError as error:
            reject(error)
            return
        yield _tag(table, drop)

    return bars(), corporate_actions()


def _tag(table: pa.Table, drop: DropFile) -> pa.Table:
    return table.replace_schema_metadata({META_ORIGIN: drop.name, META_SHA256: drop.sha256})


def file_format(settings: FilesProvider) -> FileFormat:
    """How the bar files of a config.yaml `files` entry read."""
    return FileFormat(
        columns=settings.columns.model_dump(),
        price_basis=settings.price_basis,
        timestamp_format=settings.timestamp_format,
        timezone=settings.timezone,
    )


def source_for(project: Project, settings: FilesProvider, request: SourceRequest) -> DltSource:
    """The source for a run, from the provider's config.yaml entry."""
    bars = settings.bars.get(request.interval)  # type: ignore[call-overload]
    actions = settings.corporate_actions
    return files_source(
        drop_folder=str(project.path(settings.drop_folder)),
        interval=request.interval,
        exchange_timezone=project.settings.exchange.timezone,
        bars_glob=bars.glob if bars else None,
        bar_format=file_format(settings),
        actions_file=actions.file if actions else None,
        action_columns=actions.columns.model_dump() if actions else None,
        source_name=request.name,
        tickers=request.tickers,
        start=request.start,
        end=request.end,
        skip_sha256=request.skip_sha256,
        on_reject=request.on_reject,
        fingerprints=request.options.get("fingerprints"),
    )
