"""Files provider: vendor flat files (CSV or Parquet) dropped into a folder.

The column mapping comes from config.yaml (`providers.<name>.columns`), so a new vendor's files
load without code. A file that does not fit (a missing column, text in a price column, an
unparseable timestamp) is refused as a whole with a message naming the file and the column;
nothing from it is landed. Files already landed (same SHA-256) are skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import dlt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines.config import FilesProvider
from pipelines.sources import (
    ACTION_KEY,
    BAR_KEY,
    META_ORIGIN,
    META_SHA256,
    Rejection,
    make_actions,
    make_bars,
)
from pipelines.sources.normalize import daily_ts, local_dates, to_utc

PRICE_FIELDS = ("open", "high", "low", "close", "volume", "adj_close")


class DropFileError(ValueError):
    """A drop file that cannot be read as declared in config.yaml."""

    def __init__(self, file: str, reason: str, column: str | None = None) -> None:
        self.rejection = Rejection(file, reason, column)
        super().__init__(str(self.rejection))


@dataclass(frozen=True)
class DropFile:
    path: Path
    name: str  # relative to the drop folder, as shown to users
    sha256: str


def fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


FingerprintCache = dict[str, list]  # absolute path -> [size, mtime_ns, sha256]


def cached_fingerprint(path: Path, cache: FingerprintCache | None) -> str:
    """SHA-256 of the file, re-read only when its size or modification time changed."""
    if cache is None:
        return fingerprint(path)
    stat = path.stat()
    known = cache.get(str(path))
    if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
        return known[2]
    sha = fingerprint(path)
    cache[str(path)] = [stat.st_size, stat.st_mtime_ns, sha]
    return sha


def list_drop_files(
    drop_folder: Path, pattern: str, cache: FingerprintCache | None = None
) -> list[DropFile]:
    """Files matching `pattern` under the drop folder, in name order."""
    paths = sorted(p for p in drop_folder.glob(pattern) if p.is_file())
    return [
        DropFile(p, p.relative_to(drop_folder).as_posix(), cached_fingerprint(p, cache))
        for p in paths
    ]


@dlt.source(name="files")
def files_source(
    drop_folder: str,
    interval: str,
    provider: FilesProvider,
    exchange_timezone: str,
    source_name: str = "files",
    tickers: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    skip_sha256: frozenset[str] = frozenset(),
    on_reject: Callable[[Rejection], None] | None = None,
    fingerprints: FingerprintCache | None = None,
) -> Sequence[dlt.sources.DltResource]:
    """Bars of one interval and the corporate actions found in a drop folder.

    tickers: keep only these (default: every ticker in the files).
    start, end: keep only sessions in this window (dates in the exchange's zone).
    skip_sha256: fingerprints of files landed before; those files are not read again.
    on_reject: called with each refused file; without it the first bad file raises.
    fingerprints: a cache of file fingerprints by size and modification time, updated in place
      (a folder of thousands of unchanged files is then not re-read on every run).
    """
    folder = Path(drop_folder)
    keep = frozenset(tickers) if tickers else None

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
        spec = provider.bars.get(interval)
        if spec is None:
            return
        for drop in list_drop_files(folder, spec.glob, fingerprints):
            if drop.sha256 in skip_sha256:
                continue
            try:
                table = read_bars_file(
                    drop, provider, interval, exchange_timezone, source_name, keep, start, end
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
        spec = provider.corporate_actions
        if spec is None or not (folder / spec.file).is_file():
            return
        path = folder / spec.file
        drop = DropFile(path, spec.file, cached_fingerprint(path, fingerprints))
        if drop.sha256 in skip_sha256:
            return
        try:
            table = read_actions_file(drop, provider, source_name, keep)
        except DropFileError as error:
            reject(error)
            return
        yield _tag(table, drop)

    return bars(), corporate_actions()


def _tag(table: pa.Table, drop: DropFile) -> pa.Table:
    return table.replace_schema_metadata({META_ORIGIN: drop.name, META_SHA256: drop.sha256})


def read_bars_file(
    drop: DropFile,
    provider: FilesProvider,
    interval: str,
    exchange_timezone: str,
    source_name: str,
    tickers: frozenset[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> pa.Table:
    """One drop file as a BAR_SCHEMA table; DropFileError names the file and column."""
    cols = provider.columns
    wanted = {f: getattr(cols, f) for f in ("ticker", "ts", *PRICE_FIELDS)}
    wanted = {field: column for field, column in wanted.items() if column is not None}
    table = _read_table(drop, list(wanted.values()))

    ticker = _strings(table, drop, wanted["ticker"])
    if ticker.null_count:
        raise DropFileError(drop.name, "empty ticker", wanted["ticker"])

    ts = _timestamps(table, drop, wanted["ts"], provider, exchange_timezone)
    if interval == "1d":
        ts = daily_ts(local_dates(ts, exchange_timezone), exchange_timezone)

    numbers = {f: _numbers(table, drop, wanted[f]) for f in PRICE_FIELDS if f in wanted}
    out = make_bars(
        ticker=ticker,
        interval=interval,
        ts=ts,
        open=numbers["open"],
        high=numbers["high"],
        low=numbers["low"],
        close=numbers["close"],
        volume=numbers["volume"],
        provider_adj_close=numbers.get("adj_close"),
        price_basis=provider.price_basis,
        source=source_name,
        fetched_at=datetime.now(UTC),
    )
    return _window(out, tickers, start, end, exchange_timezone)


def read_actions_file(
    drop: DropFile,
    provider: FilesProvider,
    source_name: str,
    tickers: frozenset[str] | None = None,
) -> pa.Table:
    """The corporate-actions file as an ACTION_SCHEMA table."""
    assert provider.corporate_actions is not None
    cols = provider.corporate_actions.columns
    table = _read_table(drop, [cols.ticker, cols.ex_date, cols.action, cols.value])
    ticker = _strings(table, drop, cols.ticker)
    action = pc.utf8_lower(_strings(table, drop, cols.action))
    bad = pc.invert(pc.is_in(action, pa.array(["split", "dividend"])))
    if pc.any(pc.fill_null(bad, True)).as_py():
        first = action.filter(pc.fill_null(bad, True))[0].as_py()
        raise DropFileError(
            drop.name, f"action {first!r} is not 'split' or 'dividend'", cols.action
        )
    value = _numbers(table, drop, cols.value)
    if value.null_count or pc.any(pc.less_equal(value, 0)).as_py():
        raise DropFileError(drop.name, "every value must be a positive number", cols.value)
    ex_date = _dates(table, drop, cols.ex_date)
    out = make_actions(
        ticker=ticker,
        ex_date=ex_date,
        action=action,
        value=value,
        price_basis=provider.price_basis,
        source=source_name,
        fetched_at=datetime.now(UTC),
    )
    if tickers is not None:
        out = out.filter(pc.is_in(out["ticker"], pa.array(sorted(tickers))))
    return out


def _read_table(drop: DropFile, columns: list[str]) -> pa.Table:
    suffix = drop.path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            table = pq.read_table(drop.path)
        elif suffix in (".csv", ".txt") or drop.path.name.lower().endswith(".csv.gz"):
            # Read every column as text: type errors are then ours to report, by column name.
            header = _csv_header(drop.path)
            table = pacsv.read_csv(
                drop.path,
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in header},
                    strings_can_be_null=True,
                ),
            )
        else:
            raise DropFileError(drop.name, f"unsupported file type {suffix!r} (csv or parquet)")
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        raise DropFileError(drop.name, f"cannot be read: {exc}") from None
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise DropFileError(
            drop.name,
            f"required column missing (file has {table.column_names})",
            missing[0],
        )
    return table


def _csv_header(path: Path) -> list[str]:
    reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 16))
    return reader.schema.names


def _strings(table: pa.Table, drop: DropFile, column: str) -> pa.ChunkedArray:
    values = table[column]
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = pc.cast(values, pa.string())
    return pc.utf8_trim_whitespace(values)


def _numbers(table: pa.Table, drop: DropFile, column: str) -> pa.ChunkedArray:
    values = table[column]
    if pa.types.is_floating(values.type) or pa.types.is_integer(values.type):
        return pc.cast(values, pa.float64())
    try:
        return pc.cast(values, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        row, text = _first_bad(values, lambda v: float(v))
        raise DropFileError(drop.name, f"row {row}: {text!r} is not a number", column) from None


def _timestamps(
    table: pa.Table, drop: DropFile, column: str, provider: FilesProvider, exchange_tz: str
) -> pa.ChunkedArray:
    values = table[column]
    zone = provider.timezone or exchange_tz
    try:
        if pa.types.is_timestamp(values.type) or pa.types.is_date(values.type):
            return to_utc(values, zone)
        if provider.timestamp_format:
            parsed = pc.strptime(values, format=provider.timestamp_format, unit="us")
            return to_utc(parsed, zone)
        try:  # ISO 8601 with an offset
            return to_utc(pc.cast(values, pa.timestamp("us", tz="UTC")), zone)
        except pa.ArrowInvalid:  # ISO 8601 without one
            return to_utc(pc.cast(values, pa.timestamp("us")), zone)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        row, text = _first_bad(values, _parse_iso)
        raise DropFileError(drop.name, f"row {row}: {text!r} is not a timestamp", column) from None


def _dates(table: pa.Table, drop: DropFile, column: str) -> pa.ChunkedArray:
    values = table[column]
    if pa.types.is_date(values.type):
        return pc.cast(values, pa.date32())
    try:
        return pc.cast(pc.cast(values, pa.timestamp("us")), pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        row, text = _first_bad(values, date.fromisoformat)
        raise DropFileError(drop.name, f"row {row}: {text!r} is not a date", column) from None


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _first_bad(values: pa.ChunkedArray, parse: Callable[[str], object]) -> tuple[int, str]:
    """Row number (1-based, after the header) and text of the first value `parse` refuses."""
    for i, value in enumerate(values.to_pylist(), start=1):
        if value is None:
            continue
        try:
            parse(value)
        except (ValueError, TypeError):
            return i, value
    return 0, "?"


def _window(
    table: pa.Table,
    tickers: frozenset[str] | None,
    start: date | None,
    end: date | None,
    zone: str,
) -> pa.Table:
    if tickers is not None:
        table = table.filter(pc.is_in(table["ticker"], pa.array(sorted(tickers))))
    if start is not None or end is not None:
        day = local_dates(table["ts"], zone)
        mask = pa.array([True] * table.num_rows)
        if start is not None:
            mask = pc.and_(mask, pc.greater_equal(day, pa.scalar(start, pa.date32())))
        if end is not None:
            mask = pc.and_(mask, pc.less_equal(day, pa.scalar(end, pa.date32())))
        table = table.filter(mask)
    return table
