"""Providers: one module per provider, each exposing a `@dlt.source`.

Every source yields Arrow tables in the two shapes below, whatever the provider's own format,
so raw landing and bronze never need to know where bars came from.
"""

from __future__ import annotations

from dataclasses import dataclass

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

# dlt column hints matching the schemas above, so a source can also be run straight into a
# destination with `pipeline.run(source)`.
BAR_KEY = ("ticker", "interval", "ts")
ACTION_KEY = ("ticker", "ex_date", "action")

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
