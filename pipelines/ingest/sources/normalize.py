"""Time normalisation shared by the providers: every bar leaves its source in UTC, and a daily
bar's timestamp is its session date at 00:00 in the exchange's zone (what yfinance reports), so
two providers of the same day produce the same key."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.ingest.sources.schema import UTC_TS


def to_utc(ts: pa.Array | pa.ChunkedArray, naive_zone: str) -> pa.ChunkedArray:
    """Timestamps (naive ones read as wall-clock time in `naive_zone`) as UTC microseconds."""
    ts = pa.chunked_array([ts]) if isinstance(ts, pa.Array) else ts
    if pa.types.is_date(ts.type):
        ts = pc.cast(ts, pa.timestamp("us"))
    if ts.type.tz is None:
        ts = pc.assume_timezone(pc.cast(ts, pa.timestamp("us")), timezone=naive_zone)
    return pc.cast(ts, UTC_TS)


def local_dates(ts_utc: pa.ChunkedArray, zone: str) -> pa.ChunkedArray:
    """The calendar date of each UTC timestamp in `zone`."""
    local = pc.local_timestamp(pc.cast(ts_utc, pa.timestamp("us", tz=zone)))
    return pc.cast(local, pa.date32())


def daily_ts(dates: pa.ChunkedArray, zone: str) -> pa.ChunkedArray:
    """00:00 in `zone` of each date, in UTC: the canonical timestamp of a daily bar."""
    midnight = pc.cast(pc.cast(dates, pa.date32()), pa.timestamp("us"))
    return pc.cast(pc.assume_timezone(midnight, timezone=zone), UTC_TS)
