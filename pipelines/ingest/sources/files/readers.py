"""One drop file as the shape every source yields: its columns found by config.yaml's mapping,
its numbers and timestamps parsed, and any value that does not parse named by row and column."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines.ingest.sources.files.drop_folder import DropFile, DropFileError
from pipelines.ingest.sources.normalize import daily_ts, local_dates, to_utc
from pipelines.ingest.sources.schema import make_actions, make_bars

PRICE_FIELDS = ("open", "high", "low", "close", "volume", "adj_close")
BAR_FIELDS = ("ticker", "ts", *PRICE_FIELDS)
ACTION_FIELDS = ("ticker", "ex_date", "action", "value")


@dataclass(frozen=True)
class FileFormat:
    """How a vendor's files read: the file's column for each field (adj_close optional), the
    price basis, and how its timestamps are written."""

    columns: Mapping[str, str | None]  # field -> the file's column name
    price_basis: str = "raw"
    timestamp_format: str | None = None  # strptime; default ISO 8601
    timezone: str | None = None  # of timestamps without an offset; default the exchange's


def read_bars_file(
    drop: DropFile,
    bar_format: FileFormat,
    interval: str,
    exchange_timezone: str,
    source_name: str,
    tickers: frozenset[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> pa.Table:
    """One drop file as a BAR_SCHEMA table; DropFileError names the file and column."""
    wanted = {f: bar_format.columns.get(f, f) for f in BAR_FIELDS}
    wanted = {field: column for field, column in wanted.items() if column is not None}
    table = _read_table(drop, list(wanted.values()))

    ticker = _strings(table, drop, wanted["ticker"])
    if ticker.null_count:
        raise DropFileError(drop.name, "empty ticker", wanted["ticker"])

    ts = _timestamps(table, drop, wanted["ts"], bar_format, exchange_timezone)
    if ts.null_count:  # a bar without a time has no key: the file is refused, by name
        row = next(i for i, v in enumerate(ts.is_null().to_pylist(), start=1) if v)
        raise DropFileError(drop.name, f"row {row}: empty timestamp", wanted["ts"])
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
        price_basis=bar_format.price_basis,
        source=source_name,
        fetched_at=datetime.now(UTC),
    )
    return _window(out, tickers, start, end, exchange_timezone)


def read_actions_file(
    drop: DropFile,
    columns: Mapping[str, str],
    price_basis: str,
    source_name: str,
    tickers: frozenset[str] | None = None,
) -> pa.Table:
    """The corporate-actions file as an ACTION_SCHEMA table (`columns`: field -> the file's
    column, for ticker, ex_date, action and value)."""
    table = _read_table(drop, [columns[f] for f in ACTION_FIELDS])
    ticker = _strings(table, drop, columns["ticker"])
    action = pc.utf8_lower(_strings(table, drop, columns["action"]))
    bad = pc.invert(pc.is_in(action, pa.array(["split", "dividend"])))
    if pc.any(pc.fill_null(bad, True)).as_py():
        first = action.filter(pc.fill_null(bad, True))[0].as_py()
        raise DropFileError(
            drop.name, f"action {first!r} is not 'split' or 'dividend'", columns["action"]
        )
    value = _numbers(table, drop, columns["value"])
    if value.null_count or pc.any(pc.less_equal(value, 0)).as_py():
        raise DropFileError(drop.name, "every value must be a positive number", columns["value"])
    ex_date = _dates(table, drop, columns["ex_date"])
    if ex_date.null_count:
        row = next(i for i, v in enumerate(ex_date.is_null().to_pylist(), start=1) if v)
        raise DropFileError(drop.name, f"row {row}: empty date", columns["ex_date"])
    out = make_actions(
        ticker=ticker,
        ex_date=ex_date,
        action=action,
        value=value,
        price_basis=price_basis,
        source=source_name,
        fetched_at=datetime.now(UTC),
    )
    if tickers is not None:
        out = out.filter(pc.is_in(out["ticker"], pa.array(sorted(tickers), pa.string())))
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
    table: pa.Table, drop: DropFile, column: str, bar_format: FileFormat, exchange_tz: str
) -> pa.ChunkedArray:
    values = table[column]
    zone = bar_format.timezone or exchange_tz
    try:
        if pa.types.is_timestamp(values.type) or pa.types.is_date(values.type):
            return to_utc(values, zone)
        if bar_format.timestamp_format:
            parsed = pc.strptime(values, format=bar_format.timestamp_format, unit="us")
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
        table = table.filter(pc.is_in(table["ticker"], pa.array(sorted(tickers), pa.string())))
    if start is not None or end is not None:
        day = local_dates(table["ts"], zone)
        mask = pa.array([True] * table.num_rows, pa.bool_())  # typed: there may be no rows
        if start is not None:
            mask = pc.and_(mask, pc.greater_equal(day, pa.scalar(start, pa.date32())))
        if end is not None:
            mask = pc.and_(mask, pc.less_equal(day, pa.scalar(end, pa.date32())))
        table = table.filter(mask)
    return table
