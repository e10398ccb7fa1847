"""Time series of many tickers: bars (daily or 1-minute, as traded or adjusted) and daily
features. One SQL text per read, and one Arrow schema, fixed here: the API's JSON pages, its
CSV / Parquet / Arrow answers, the Python client and `marketflow export` all take their
columns and types from it, on every engine, so a frame read locally equals one read over HTTP.

Adjusting is silver.bars_daily's (adj_open ... adj_volume, from the corporate actions): prices
for splits and dividends, volume for splits only, rounded to whole shares (FLOOR(x + 0.5): the
same on every engine, where ROUND's halves differ). A minute takes its session's factors.
Values are bound parameters; only names checked against the warehouse go into the SQL text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

import pyarrow as pa
import pyarrow.csv as pa_csv

from pipelines.config import ParameterError
from pipelines.config.params import parse_tickers
from pipelines.warehouse import queries
from pipelines.warehouse.readers import Reader

Interval = Literal["1d", "1m"]
PRICES = ("open", "high", "low", "close")
FEATURE_KEYS = ("ticker", "session_date")  # gold.daily_features' keys; the rest are features
UTC_MICROS = pa.timestamp("us", tz="UTC")
MAX_TICKERS = 500  # per request: a URL's worth; no tickers at all means the whole universe

DAILY_BARS = pa.schema(
    [("ticker", pa.string()), ("session_date", pa.date32())]
    + [(p, pa.float64()) for p in PRICES]
    + [("volume", pa.int64())]
)
MINUTE_BARS = pa.schema(
    [("ticker", pa.string()), ("ts", UTC_MICROS), ("session_date", pa.date32())]
    + [(p, pa.float64()) for p in PRICES]
    + [("volume", pa.int64())]
)


class ArrowReader(Reader, Protocol):
    """A reader that also answers a query as one Arrow table of the given schema, without a
    Python object per row (pipelines/warehouse/readers.py)."""

    def arrow(self, sql: str, params: Sequence[Any], schema: pa.Schema) -> pa.Table: ...


def arrow_type(data_type: str) -> pa.DataType:
    """The Arrow type of a column, from information_schema's data_type on either engine."""
    kind = data_type.lower()
    if kind.startswith(("double", "float", "real", "decimal", "numeric")):
        return pa.float64()
    if kind in ("bigint", "integer", "smallint", "int", "hugeint", "tinyint", "ubigint"):
        return pa.int64()
    if kind == "date":
        return pa.date32()
    if kind == "boolean":
        return pa.bool_()
    if kind.startswith("timestamp"):
        return UTC_MICROS
    return pa.string()


@dataclass(frozen=True)
class Read:
    """One read: its SQL (ordered by ticker, then time; `?` parameters), the keyset column
    pages continue after, and the schema of its answer."""

    sql: str
    params: tuple[Any, ...]
    schema: pa.Schema
    key: str  # "session_date" or "ts": with the ticker, where a page ends

    def rows(self, db: Reader, limit: int) -> list[dict[str, Any]]:
        return db.rows(f"{self.sql} LIMIT ?", [*self.params, limit])

    def count(self, db: Reader) -> int:
        return int(
            db.rows(f"SELECT COUNT(*) AS n FROM ({self.sql}) AS answer", self.params)[0]["n"]
        )

    def arrow(self, db: ArrowReader) -> pa.Table:
        return db.arrow(self.sql, self.params, self.schema)


@dataclass(frozen=True)
class Window:
    """Which rows: tickers (None: every ticker), an inclusive range (sessions for daily rows,
    UTC moments for minutes) and a keyset position (ticker, key) to continue after."""

    tickers: tuple[str, ...] | None
    first: date | datetime
    last: date | datetime
    after: tuple[str, Any] | None = None

    def where(self, ticker: str, key: str) -> tuple[str, list[Any]]:
        clauses, params = [f"{key} >= ?", f"{key} <= ?"], [self.first, self.last]
        if self.tickers is not None:
            clauses.insert(0, f"{ticker} IN ({', '.join('?' for _ in self.tickers)})")
            params[:0] = list(self.tickers)
        if self.after is not None:
            clauses.append(f"({ticker} > ? OR ({ticker} = ? AND {key} > ?))")
            params += [self.after[0], self.after[0], self.after[1]]
        return " AND ".join(clauses), params


def bars(interval: Interval, adjusted: bool, window: Window) -> Read:
    if interval == "1d":
        where, params = window.where("ticker", "session_date")
        prices = ", ".join(f"{'adj_' if adjusted else ''}{p} AS {p}" for p in PRICES)
        volume = "adj_volume" if adjusted else "volume"
        sql = (
            f"SELECT ticker, session_date, {prices}, "
            f"CAST(FLOOR({volume} + 0.5) AS BIGINT) AS volume FROM silver.bars_daily "
            f"WHERE {where} ORDER BY ticker, session_date"
        )
        return Read(sql, tuple(params), DAILY_BARS, "session_date")
    where, params = window.where("m.ticker", "m.ts")
    factor = "COALESCE(d.adj_factor, 1.0)" if adjusted else "1.0"
    splits = "COALESCE(d.split_factor, 1.0)" if adjusted else "1.0"
    prices = ", ".join(f"m.{p} * {factor} AS {p}" for p in PRICES)
    sql = (
        f"SELECT m.ticker, m.ts, m.session_date, {prices}, "
        f"CAST(FLOOR(m.volume / {splits} + 0.5) AS BIGINT) AS volume "
        "FROM silver.bars_1m AS m LEFT JOIN silver.bars_daily AS d "
        "ON d.ticker = m.ticker AND d.session_date = m.session_date "
        f"WHERE {where} ORDER BY m.ticker, m.ts"
    )
    return Read(sql, tuple(params), MINUTE_BARS, "ts")


def feature_columns(db: Reader) -> dict[str, pa.DataType]:
    """The columns of gold.daily_features but its keys, in the model's order, with their
    types: a new indicator in the model is a new field, with nothing to list by hand."""
    found = db.rows(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = "
        "'gold' AND table_name = 'daily_features' ORDER BY ordinal_position"
    )
    return {
        r["column_name"]: arrow_type(r["data_type"])
        for r in found
        if r["column_name"] not in FEATURE_KEYS
    }


def chosen_fields(db: Reader, value: str | Sequence[str] | None) -> tuple[str, ...]:
    """The features asked for (comma-separated or a list; None: all), checked against the
    model's columns: an unknown one is a ParameterError naming `fields`."""
    known = tuple(feature_columns(db))
    if value is None:
        return known
    items = value.split(",") if isinstance(value, str) else list(value)
    asked = [f.strip() for f in items if f.strip()]
    unknown = [f for f in asked if f not in known]
    if unknown or not asked:
        raise ParameterError(
            "fields",
            f"unknown field(s) {', '.join(map(repr, unknown))}; known: {', '.join(known)}",
        )
    return tuple(dict.fromkeys(asked))


def features(db: Reader, fields: Sequence[str], window: Window) -> Read:
    known = feature_columns(db)
    unknown = set(fields) - set(known)
    if unknown:
        raise ValueError(f"not a feature: {sorted(unknown)}")  # never user text in the SQL
    where, params = window.where("ticker", "session_date")
    columns = "".join(f', "{name}"' for name in fields)
    schema = pa.schema(
        [("ticker", pa.string()), ("session_date", pa.date32())]
        + [(name, known[name]) for name in fields]
    )
    sql = (
        f"SELECT ticker, session_date{columns} FROM gold.daily_features "
        f"WHERE {where} ORDER BY ticker, session_date"
    )
    return Read(sql, tuple(params), schema, "session_date")


def universe_tickers(
    db: Reader, value: str | Sequence[str] | None, parameter: str = "tickers"
) -> list[str] | None:
    """Tickers as asked (comma-separated or a list; None: the whole universe), upper-cased
    and checked against silver.tickers: an unknown one is a 404 naming it."""
    if value is not None and not isinstance(value, str):
        value = ",".join(value)
    tickers = parse_tickers(parameter, value)
    if tickers is None:
        return None
    if len(tickers) > MAX_TICKERS:
        raise ParameterError(parameter, f"at most {MAX_TICKERS} tickers per request")
    found = queries.known_tickers(db, tickers)
    unknown = [t for t in tickers if t not in found]
    if unknown:
        raise ParameterError(parameter, f"unknown ticker(s): {', '.join(unknown)}", 404)
    return tickers


def csv_chunks(table: pa.Table, batch_rows: int = 65_536) -> Iterator[bytes]:
    """The table as CSV, a batch at a time: a plain header (Arrow would quote every name) and
    values quoted only where needed, what spreadsheets and pandas write."""
    yield (",".join(table.schema.names) + "\n").encode()
    options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    for batch in table.to_batches(batch_rows):
        sink = pa.BufferOutputStream()
        pa_csv.write_csv(batch, sink, options)
        yield sink.getvalue().to_pybytes()
