"""`marketflow export`: silver and gold tables as Hive-partitioned Parquet (or CSV) files, for
research and for BI tools: OUT/<schema>/<table>/ticker=<T>/part-<n>-0.parquet.

It reads the way the API does (a DuckDB snapshot, PostgreSQL's reader role), so it never blocks
a run; 100 tickers per read, so memory stays 100 tickers' rows. A table is written into a
folder beside its destination and renamed into place once whole: an export killed halfway
leaves the previous export (or nothing), never half of one.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.dataset as ds

from pipelines.config import ParameterError, Project
from pipelines.config.params import session_range
from pipelines.warehouse import series
from pipelines.warehouse.engines import Warehouse

# Values quoted only where needed (Arrow's header is quoted regardless).
_CSV_OPTIONS = ds.CsvFileFormat().make_write_options(quoting_style="needed")

ExportFormat = Literal["parquet", "csv"]
SCHEMAS = ("silver", "gold")  # what SQLMesh builds; bronze and ops are not for export
EXPORT_SNAPSHOTS = "export"
TICKERS_PER_READ = 100  # one query per 100 tickers: a read's fixed cost, shared


@dataclass(frozen=True)
class Exported:
    table: str
    folder: Path
    tickers: int
    rows: int
    bytes: int
    seconds: float


def exportable(reader: series.ArrowReader) -> dict[str, dict[str, pa.DataType]]:
    """Every silver and gold table of the warehouse (SQLMesh's models, as built), with its
    columns and their Arrow types."""
    found = reader.rows(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        f"WHERE table_schema IN ({', '.join('?' for _ in SCHEMAS)}) "
        "ORDER BY table_schema, table_name, ordinal_position",
        SCHEMAS,
    )
    tables: dict[str, dict[str, pa.DataType]] = {}
    for row in found:
        name = f"{row['table_schema']}.{row['table_name']}"
        tables.setdefault(name, {})[row["column_name"]] = series.arrow_type(row["data_type"])
    return tables


def export(
    project: Project,
    tables: Sequence[str],
    out: Path,
    fmt: ExportFormat = "parquet",
    tickers: str | None = None,
    start: str | None = None,
    end: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> list[Exported]:
    snapshots = project.path(project.settings.api.snapshot_dir) / EXPORT_SNAPSHOTS
    reader = Warehouse.of(project).reader(snapshots)
    try:
        known = exportable(reader)
        unknown = [t for t in tables if t not in known]
        if unknown or not tables:
            raise ParameterError(
                "tables", f"not a silver or gold table: {', '.join(unknown) or '(none given)'}; "
                f"known: {', '.join(sorted(known))}",
            )  # fmt: skip
        chosen = series.universe_tickers(reader, tickers)
        window = session_range(start, end, project.settings.exchange.timezone)
        return [
            _export_table(reader, table, known[table], out, fmt, chosen, window, progress)
            for table in tables
        ]
    finally:
        reader.close()


def _export_table(
    reader: series.ArrowReader,
    table: str,
    columns: dict[str, pa.DataType],
    out: Path,
    fmt: ExportFormat,
    tickers: list[str] | None,
    window: tuple[date, date],
    progress: Callable[[str], None],
) -> Exported:
    started = time.monotonic()
    schema = pa.schema(list(columns.items()))
    destination = out / Path(*table.split("."))
    staging = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    by_ticker = "ticker" in columns
    where, params = _dates(columns, window)
    if by_ticker:
        names = tickers or [
            r["ticker"] for r in reader.rows(f"SELECT DISTINCT ticker FROM {table} ORDER BY ticker")
        ]
    else:
        names = [None]
    rows = 0
    order = ", ".join(c for c in ("ticker", "session_date", "ts") if c in columns)
    select = ", ".join(f'"{c}"' for c in columns)
    for n, first in enumerate(range(0, len(names), TICKERS_PER_READ)):
        group = names[first : first + TICKERS_PER_READ]
        clauses, values = list(where), list(params)
        if by_ticker:
            clauses.insert(0, f"ticker IN ({', '.join('?' for _ in group)})")
            values[:0] = group
        sql = f"SELECT {select} FROM {table}"
        sql += f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql += f" ORDER BY {order}" if order else ""
        part = reader.arrow(sql, values, schema)
        _write(part, staging, fmt, f"part-{n}", by_ticker)
        rows += part.num_rows
        if by_ticker:
            done = min(first + TICKERS_PER_READ, len(names))
            progress(f"{table}: {done}/{len(names)} tickers, {rows:,} rows")
    size = sum(f.stat().st_size for f in staging.rglob("*") if f.is_file())
    _replace(staging, destination)
    seconds = time.monotonic() - started
    return Exported(table, destination, len(names) if by_ticker else 0, rows, size, seconds)


def _dates(columns: dict[str, pa.DataType], window: tuple[date, date]) -> tuple[list, list]:
    if "session_date" not in columns or window == (date(1, 1, 1), date(9999, 12, 31)):
        return [], []
    return ["session_date >= ?", "session_date <= ?"], list(window)


def _write(table: pa.Table, folder: Path, fmt: ExportFormat, name: str, by_ticker: bool) -> None:
    """Rows into `folder`, one file per ticker under ticker=<T>/ (Hive: the folder's name
    carries the ticker, the files do not)."""
    ds.write_dataset(
        table,
        folder,
        format=ds.ParquetFileFormat() if fmt == "parquet" else ds.CsvFileFormat(),
        file_options=None if fmt == "parquet" else _CSV_OPTIONS,
        partitioning=["ticker"] if by_ticker else None,
        partitioning_flavor="hive" if by_ticker else None,
        basename_template=f"{name}-{{i}}.{fmt}",
        existing_data_behavior="overwrite_or_ignore",  # a fresh staging folder, file by file
        max_rows_per_group=1 << 20,
    )


def _replace(staging: Path, destination: Path) -> None:
    """The whole new export in place of the old one: the old is moved aside first, so the
    destination is never a mixture."""
    old = destination.with_name(f".{destination.name}.{os.getpid()}.old")
    if destination.exists():
        destination.rename(old)
    staging.rename(destination)
    shutil.rmtree(old, ignore_errors=True)
