"""GET /v1/bars/{ticker}: daily or 1-minute bars, as traded or adjusted, keyset-paginated."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query

from api.deps import (
    DB,
    Cursor,
    Limit,
    ProjectDep,
    decode_cursor,
    encode_cursor,
    known_ticker,
    moment,
    page_size,
)
from api.models import BarsPage
from pipelines.config import ParameterError
from pipelines.warehouse import queries

router = APIRouter(prefix="/bars", tags=["bars"])

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
        raise ParameterError("end", "end is before start")
    size = page_size(project, limit)
    if interval == "1d":
        local = ZoneInfo(zone)
        after_day = decode_cursor(cursor, date.fromisoformat) or date(1, 1, 1)
        found = queries.daily_bars(
            db, ticker, _day(first, local), _day(last, local), after_day, size + 1
        )
        for row in found:
            row["ts"] = datetime.combine(row["session_date"], time(0), local).astimezone(UTC)
        key = lambda row: row["session_date"].isoformat()  # noqa: E731
    else:
        after_ts = decode_cursor(cursor, datetime.fromisoformat) or FAR_PAST
        found = queries.minute_bars(db, ticker, first, last, after_ts, size + 1)
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


def _bar(row: dict, adjusted: bool) -> dict:
    # Prices times silver.bars_daily's adj_factor (a minute takes its session's); volume
    # divided by its splits-only part, split_factor: a dividend changes no volume.
    factor = float(row["adj_factor"]) if adjusted else 1.0
    splits = float(row["split_factor"]) if adjusted else 1.0
    return {
        "ticker": row["ticker"],
        "ts": row["ts"],
        "session_date": row["session_date"],
        **{k: float(row[k]) * factor for k in ("open", "high", "low", "close")},
        "volume": float(row["volume"]) / splits,
        "adjusted": adjusted,
    }
