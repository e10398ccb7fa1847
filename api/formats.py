"""Columnar answers of the bulk routes: CSV, Parquet or Arrow IPC, chosen by `format=` or the
Accept header. Not paged: the whole answer is read as one Arrow table (no Python object per
row), bounded by api.max_download_rows (counted first, refused above it with 413), and
streamed out a batch at a time."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Annotated, Literal

import pyarrow as pa
import pyarrow.ipc as pa_ipc
import pyarrow.parquet as pq
from fastapi import Query, Request
from fastapi.responses import StreamingResponse

from pipelines.config import ParameterError, Project
from pipelines.warehouse import series
from pipelines.warehouse.series import ArrowReader, Read

Format = Literal["json", "csv", "parquet", "arrow"]
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "arrow": "application/vnd.apache.arrow.stream",
}
BINARY_FORMATS = (MEDIA_TYPES["parquet"], MEDIA_TYPES["arrow"])  # never gzipped
SUFFIXES = {"csv": "csv", "parquet": "parquet", "arrow": "arrows"}
BATCH_ROWS = 65_536  # rows per streamed batch (and per Parquet row group)

FormatQuery = Annotated[
    Format | None,
    Query(
        description="json (pages, the default), or csv, parquet, arrow (Arrow IPC stream): "
        "the whole answer in one response, not paged; also chosen by the Accept header"
    ),
]


class TooLarge(Exception):
    """A columnar answer above the configured row cap (answered 413)."""


def chosen(request: Request, asked: Format | None) -> Format:
    """`format=` when given, else the first columnar media type the Accept header names."""
    if asked is not None:
        return asked
    accept = request.headers.get("accept", "")
    for name, media in MEDIA_TYPES.items():
        if media.split(";")[0] in accept:
            return name  # type: ignore[return-value]
    return "json"


def columnar(
    db: ArrowReader, project: Project, read: Read, fmt: Format, name: str, cursor: str | None
) -> StreamingResponse:
    if cursor is not None:
        raise ParameterError("cursor", f"{fmt} answers are whole, not paged: drop the cursor")
    cap = project.settings.api.max_download_rows
    rows = read.count(db)
    if rows > cap:
        raise TooLarge(
            f"this answer has {rows:,} rows, above api.max_download_rows ({cap:,}): narrow "
            "tickers, start or end, or page through the JSON answer"
        )
    table = read.arrow(db)
    filename = f"{name}.{SUFFIXES[fmt]}"
    return StreamingResponse(
        WRITERS[fmt](table),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Row-Count": str(table.num_rows),
        },
    )


class _Sink(io.RawIOBase):
    """A file the writers write into and the stream drains after each batch."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out, self.chunks = b"".join(self.chunks), []
        return out


def _csv(table: pa.Table) -> Iterator[bytes]:
    yield from series.csv_chunks(table, BATCH_ROWS)


def _parquet(table: pa.Table) -> Iterator[bytes]:
    sink = _Sink()
    with pq.ParquetWriter(sink, table.schema) as writer:
        for batch in table.to_batches(BATCH_ROWS):
            writer.write_batch(batch, row_group_size=BATCH_ROWS)
            yield sink.drain()
    yield sink.drain()  # the footer


def _arrow(table: pa.Table) -> Iterator[bytes]:
    sink = _Sink()
    with pa_ipc.new_stream(sink, table.schema) as writer:
        for batch in table.to_batches(BATCH_ROWS):
            writer.write_batch(batch)
            yield sink.drain()
    yield sink.drain()


WRITERS = {"csv": _csv, "parquet": _parquet, "arrow": _arrow}


# What the OpenAPI documentation says the bulk routes also answer.
RESPONSES: dict[int | str, dict] = {
    200: {"content": {media.split(";")[0]: {} for media in MEDIA_TYPES.values()}},
    413: {"description": "a columnar answer above api.max_download_rows"},
}
