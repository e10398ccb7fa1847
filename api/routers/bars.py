"""GET /v1/bars/{ticker}: daily or 1-minute bars, as traded or adjusted, keyset-paginated."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query

from api.deps import (
    DB,
    ApiError,
    Cursor,
    Limit,
    ProjectDep,
    decode_cursor,
    encode_cursor,
    known_ticker,
    moment,
    page_size,
    rows,
)
from api.models import BarsPage

router = APIRouter(prefix="/v1/bars", tags=["bars"])

# Adjusted bars multiply prices by silver.bars_daily's adj_factor (and divide volume by it);
# a minute takes its session's factor.
DAILY = """
SELECT ticker, session_date, NULL AS ts, open, high, low, close, volume, adj_factor
FROM silver.bars_daily
WHERE ticker = ? AND session_date >= ? AND session_date <= ? AND session_date > ?
ORDER BY session_date
LIMIT ?
"""
MINUTES = """
SELECT m.ticker, m.session_date, m.ts, m.open, m.high, m.low, m.close, m.volume,
  COALESCE(d.adj_factor, 1.0) AS adj_factor
FROM silver.bars_1m AS m
LEFT JOIN silver.bars_daily AS d
  ON d.ticker = m.ticker AND d.session_date = m.session_date
WHERE m.ticker = ? AND m.ts >= ? AND m.ts <= ? AND m.ts > ?
ORDER BY m.ts
LIMIT ?
"""
FAR_PAST = datetime(1900, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)


@router.get("/{ticker}", response_model=BarsPage, summary="Bars of one ticker")
def get_bars(
    db: DB,
    project: ProjectDep,
    ticker: Annotated[str, Path(description="a ticker of the universe", examples=["AAPL"])],
    interval: Annotated[Literal["1d", "1m"], Query(description="bar interval")] = "1d",
    start: Annotated[
        str | None, Query(description="ISO date or timestamp", examples=["2012-01-03"])
    ] = None,
    end: Annotated[str | None, Query(description="ISO date or timestamp (inclusive)")] = None,
    adjusted: Annotated[bool, Query(description="adjust for splits and dividends")] = False,
    limit: Limit = None,
    cursor: Cursor = None,
) -> dict:
    ticker = known_ticker(db, ticker)
    zone = project.settings.exchange.timezone
    first = moment(start, "start", zone) or FAR_PAST
    last = moment(end, "end", zone, end=True) or FAR_FUTURE
    if first > last:
        raise ApiError(422, "end", "end is before start")
    size = page_size(project, limit)
    after = decode_cursor(cursor)
    if interval == "1d":
        local = ZoneInfo(zone)
        after_day = _cursor_date(after) if after else date(1, 1, 1)
        found = rows(
            db,
            DAILY,
            [ticker, _day(first, local), _day(last, local), after_day, size + 1],
        )
        for row in found:
            row["ts"] = datetime.combine(row["session_date"], time(0), local).astimezone(UTC)
        key = lambda row: row["session_date"].isoformat()  # noqa: E731
    else:
        after_ts = _cursor_ts(after) if after else FAR_PAST
        found = rows(db, MINUTES, [ticker, first, last, after_ts, size + 1])
        key = lambda row: row["ts"].astimezone(UTC).isoformat()  # noqa: E731
    page, more = found[:size], len(found) > size
    return {
        "ticker": ticker,
        "interval": interval,
        "bars": [_bar(row, adjusted) for row in page],
        "next_cursor": encode_cursor(key(page[-1])) if more else None,
    }


def _day(moment_utc: datetime, zone: ZoneInfo) -> date:
    if moment_utc in (FAR_PAST, FAR_FUTURE):
        return moment_utc.date()
    return moment_utc.astimezone(zone).date()


def _cursor_date(key: str) -> date:
    try:
        return date.fromisoformat(key)
    except ValueError:
        raise ApiError(422, "cursor", "a cursor of another interval") from None


def _cursor_ts(key: str) -> datetime:
    try:
        return datetime.fromisoformat(key)
    except ValueError:
        raise ApiError(422, "cursor", "a cursor of another interval") from None


def _bar(row: dict, adjusted: bool) -> dict:
    factor = float(row["adj_factor"]) if adjusted else 1.0
    return {
        "ticker": row["ticker"],
        "ts": row["ts"],
        "session_date": row["session_date"],
        **{k: float(row[k]) * factor for k in ("open", "high", "low", "close")},
        "volume": float(row["volume"]) / factor,
        "adjusted": adjusted,
    }
