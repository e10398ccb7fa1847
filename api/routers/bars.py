"""GET /v1/bars (many tickers) and /v1/bars/{ticker}: daily or 1-minute bars, as traded or
adjusted; JSON pages (keyset cursors), or the whole answer as CSV, Parquet or Arrow."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from api import formats
from api.deps import (
    DB,
    AsOf,
    Cursor,
    Limit,
    ProjectDep,
    decode_cursor,
    encode_cursor,
    known_ticker,
    page_size,
    paging,
    ticker_list,
)
from api.models import BarsPage
from pipelines.config.params import session_range, time_range
from pipelines.transform import as_of as knowledge
from pipelines.warehouse import series

router = APIRouter(prefix="/bars", tags=["bars"])

IntervalQuery = Annotated[Literal["1d", "1m"], Query(description="bar interval")]
Start = Annotated[str | None, Query(description="ISO date or timestamp", examples=["2012-01-03"])]
End = Annotated[str | None, Query(description="ISO date or timestamp (inclusive)")]
Adjusted = Annotated[bool, Query(description="adjust for splits and dividends")]
TickersQuery = Annotated[
    str | None,
    Query(description="comma-separated; default the whole universe", examples=["AAPL,MSFT"]),
]


@router.get(
    "", response_model=BarsPage, summary="Bars of many tickers", responses=formats.RESPONSES
)
def get_many_bars(
    request: Request,
    db: DB,
    project: ProjectDep,
    tickers: TickersQuery = None,
    interval: IntervalQuery = "1d",
    start: Start = None,
    end: End = None,
    adjusted: Adjusted = False,
    as_of: AsOf = None,
    limit: Limit = None,
    cursor: Cursor = None,
    format: formats.FormatQuery = None,
) -> object:
    """By ticker, then time. In JSON a page at a time; as CSV, Parquet or Arrow the whole
    answer at once (up to api.max_download_rows)."""
    chosen = ticker_list(db, tickers)
    return _bars(request, db, project, chosen, interval, start, end, adjusted, as_of, limit,
                 cursor, format)  # fmt: skip


@router.get(
    "/{ticker}", response_model=BarsPage, summary="Bars of one ticker", responses=formats.RESPONSES
)
def get_bars(
    request: Request,
    db: DB,
    project: ProjectDep,
    ticker: Annotated[str, Path(description="a ticker of the universe", examples=["AAPL"])],
    interval: IntervalQuery = "1d",
    start: Start = None,
    end: End = None,
    adjusted: Adjusted = False,
    as_of: AsOf = None,
    limit: Limit = None,
    cursor: Cursor = None,
    format: formats.FormatQuery = None,
) -> object:
    chosen = [known_ticker(db, ticker)]
    return _bars(request, db, project, chosen, interval, start, end, adjusted, as_of, limit,
                 cursor, format)  # fmt: skip


def _bars(
    request: Request,
    db: DB,
    project: ProjectDep,
    tickers: list[str] | None,
    interval: Literal["1d", "1m"],
    start: str | None,
    end: str | None,
    adjusted: bool,
    as_of: str | None,
    limit: int | None,
    cursor: str | None,
    asked: formats.Format | None,
) -> object:
    zone = project.settings.exchange.timezone
    chosen = tuple(tickers) if tickers is not None else None
    if interval == "1d":
        first, last = session_range(start, end, zone)
        after = decode_cursor(cursor, date.fromisoformat)
        minutes = None
    else:
        first, last = time_range(start, end, zone)
        after = decode_cursor(cursor, datetime.fromisoformat)
        minutes = (first, last)
    read = series.bars(interval, adjusted, series.Window(chosen, first, last, after))
    fmt = formats.chosen(request, asked)
    size = page_size(project, limit)
    with knowledge.reading(project, db, as_of, chosen, read.sql, minutes) as source:
        if fmt != "json":
            return formats.columnar(source, project, read, fmt, f"bars_{interval}", cursor)
        found = read.rows(source, size + 1)
    page = found[:size]
    more = len(found) > size
    next_cursor = encode_cursor(page[-1]["ticker"], _key(page[-1], read.key)) if more else None
    return {"interval": interval, "adjusted": adjusted, "as_of": as_of, "data": page,
            "paging": paging(size, next_cursor)}  # fmt: skip


def _key(row: dict, key: str) -> str:
    return row[key].isoformat()
