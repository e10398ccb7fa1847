"""What every source yields and is asked: Arrow tables in the two shapes below, whatever the
provider's own format, so raw landing and bronze never need to know where bars came from; and
the SourceRequest a run hands a provider.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")

BAR_SCHEMA = pa.schema(
    [
        pa.field("ticker", pa.string(), nullable=False),
        pa.field("interval", pa.string(), nullable=False),
        # Daily bars: the session date at 00:00 in the exchange's zone; 1-minute bars: the
        # minute's start. Always UTC in storage.
        pa.field("ts", UTC_TS, nullable=False),
        pa.field("open", pa.float64()),
        pa.field("high", pa.float64()),
        pa.field("low", pa.float64()),
        pa.field("close", pa.float64()),
        pa.field("volume", pa.float64()),
        pa.field("provider_adj_close", pa.float64()),  # the provider's own adjusted close
        pa.field("price_basis", pa.string(), nullable=False),  # raw | split_adjusted
        pa.field("source", pa.string(), nullable=False),
        pa.field("fetched_at", UTC_TS, nullable=False),
    ]
)

ACTION_SCHEMA = pa.schema(
    [
        pa.field("ticker", pa.string(), nullable=False),
        pa.field("ex_date", pa.date32(), nullable=False),
        pa.field("action", pa.string(), nullable=False),  # split | dividend
        pa.field("value", pa.float64(), nullable=False),
        pa.field("price_basis", pa.string(), nullable=False),  # basis of a dividend's cash
        pa.field("source", pa.string(), nullable=False),
        pa.field("fetched_at", UTC_TS, nullable=False),
    ]
)

# Arrow schema metadata keys a source may attach to a table; raw landing records them.
META_ORIGIN = b"marketflow.origin"  # e.g. the drop file's name
META_SHA256 = b"marketflow.sha256"  # fingerprint of that origin, to skip it next time


@dataclass(frozen=True)
class Rejection:
    """Input a source refused, with enough detail for the user to fix it."""

    origin: str  # file name, ticker or URL
    reason: str
    column: str | None = None
    kind: str = "file"  # file: a drop file refused; ticker: a ticker a provider failed on

    def __str__(self) -> str:
        where = f"{self.origin}, column {self.column!r}" if self.column else self.origin
        return f"{where}: {self.reason}"


@dataclass
class SourceRequest:
    """What one run asks of a provider (its `source_for` turns this into the source's own
    plain arguments)."""

    name: str  # the provider's name in config.yaml
    interval: str
    tickers: list[str]
    start: date | None = None
    end: date | None = None
    skip_sha256: frozenset[str] = frozenset()  # drop files landed before
    on_reject: Callable[[Rejection], None] | None = None
    on_notice: Callable[[str], None] | None = None
    starts: dict[str, date] = field(default_factory=dict)  # incremental: first date per ticker
    now: datetime | None = None  # the run's "now" (--as-of)
    options: dict[str, Any] = field(default_factory=dict)  # e.g. a test's HTTP session
    shares: int = 1  # runs sharing the provider's rate limit at once (N shards): 1/N each


Column = pa.Array | pa.ChunkedArray
Constant = str | datetime | None


def _column(value: Column | Constant, n: int, type_: pa.DataType) -> Column:
    """An array as given, or a constant repeated n times."""
    if isinstance(value, pa.Array | pa.ChunkedArray):
        return value
    if value is None:
        return pa.nulls(n, type_)
    return pa.array([value] * n, type_)


def make_bars(
    *,
    ticker: Column | str,
    interval: str,
    ts: Column,
    open: Column,
    high: Column,
    low: Column,
    close: Column,
    volume: Column,
    provider_adj_close: Column | None = None,
    price_basis: str,
    source: str,
    fetched_at: datetime,
) -> pa.Table:
    """A BAR_SCHEMA table: the one shape every provider yields."""
    n = len(ts)
    values = {
        "ticker": ticker,
        "interval": interval,
        "ts": ts,
        "open": open,
        "high": high,
        "low": low,
        "close": close,
        "volume": volume,
        "provider_adj_close": provider_adj_close,
        "price_basis": price_basis,
        "source": source,
        "fetched_at": fetched_at,
    }
    return pa.table(
        {f.name: _column(values[f.name], n, f.type) for f in BAR_SCHEMA}, schema=BAR_SCHEMA
    )


def make_actions(
    *,
    ticker: Column | str,
    ex_date: Column,
    action: Column,
    value: Column,
    price_basis: str,
    source: str,
    fetched_at: datetime,
) -> pa.Table:
    """An ACTION_SCHEMA table: splits and dividends, whatever the provider."""
    n = len(ex_date)
    values = {
        "ticker": ticker,
        "ex_date": ex_date,
        "action": action,
        "value": value,
        "price_basis": price_basis,
        "source": source,
        "fetched_at": fetched_at,
    }
    return pa.table(
        {f.name: _column(values[f.name], n, f.type) for f in ACTION_SCHEMA},
        schema=ACTION_SCHEMA,
    )


def actions_from_rows(
    rows: Sequence[tuple[date, str, float]],
    *,
    ticker: str,
    price_basis: str,
    source: str,
    fetched_at: datetime,
) -> pa.Table:
    """An ACTION_SCHEMA table from (ex-date, action, value) rows, in date order."""
    ordered = sorted(rows)
    return make_actions(
        ticker=ticker,
        ex_date=pa.array([r[0] for r in ordered], pa.date32()),
        action=pa.array([r[1] for r in ordered], pa.string()),
        value=pa.array([r[2] for r in ordered], pa.float64()),
        price_basis=price_basis,
        source=source,
        fetched_at=fetched_at,
    )
