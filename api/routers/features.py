"""GET /v1/features (many tickers) and /v1/features/{ticker}: gold.daily_features rows, the
fields chosen from its columns; JSON pages, or the whole answer as CSV, Parquet or Arrow."""

from __future__ import annotations

from datetime import date
from typing import Annotated

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
from api.models import FeaturesPage
from pipelines.config.params import session_range
from pipelines.transform import as_of as knowledge
from pipelines.warehouse import series

router = APIRouter(prefix="/features", tags=["features"])

Start = Annotated[str | None, Query(description="ISO date", examples=["2012-01-03"])]
End = Annotated[str | None, Query(description="ISO date (inclusive)")]
Fields = Annotated[
    str | None,
    Query(
        description="comma-separated columns of gold.daily_features (docs/tables.md); default all",
        examples=["adj_close,rsi_14"],
    ),
]
TickersQuery = Annotated[
    str | None,
    Query(description="comma-separated; default the whole universe", examples=["AAPL,MSFT"]),
]


@router.get(
    "",
    response_model=FeaturesPage,
    summary="Daily features of many tickers",
    responses=formats.RESPONSES,
)
def get_many_features(
    request: Request,
    db: DB,
    project: ProjectDep,
    tickers: TickersQuery = None,
    start: Start = None,
    end: End = None,
    fields: Fields = None,
    as_of: AsOf = None,
    limit: Limit = None,
    cursor: Cursor = None,
    format: formats.FormatQuery = None,
) -> object:
    """By ticker, then session."""
    chosen = ticker_list(db, tickers)
    return _features(request, db, project, chosen, start, end, fields, as_of, limit, cursor,
                     format)  # fmt: skip


@router.get(
    "/{ticker}",
    response_model=FeaturesPage,
    summary="Daily features of one ticker",
    responses=formats.RESPONSES,
)
def get_features(
    request: Request,
    db: DB,
    project: ProjectDep,
    ticker: Annotated[str, Path(description="a ticker of the universe", examples=["AAPL"])],
    start: Start = None,
    end: End = None,
    fields: Fields = None,
    as_of: AsOf = None,
    limit: Limit = None,
    cursor: Cursor = None,
    format: formats.FormatQuery = None,
) -> object:
    chosen = [known_ticker(db, ticker)]
    return _features(request, db, project, chosen, start, end, fields, as_of, limit, cursor,
                     format)  # fmt: skip


def _features(
    request: Request,
    db: DB,
    project: ProjectDep,
    tickers: list[str] | None,
    start: str | None,
    end: str | None,
    fields: str | None,
    as_of: str | None,
    limit: int | None,
    cursor: str | None,
    asked: formats.Format | None,
) -> object:
    chosen = series.chosen_fields(db, fields)
    zone = project.settings.exchange.timezone
    first, last = session_range(start, end, zone)
    after = decode_cursor(cursor, date.fromisoformat)
    window = series.Window(tuple(tickers) if tickers is not None else None, first, last, after)
    read = series.features(db, chosen, window)
    fmt = formats.chosen(request, asked)
    size = page_size(project, limit)
    minutes = knowledge.session_minutes(first, last, zone)
    with knowledge.reading(project, db, as_of, window.tickers, read.sql, minutes) as source:
        if fmt != "json":
            return formats.columnar(source, project, read, fmt, "features", cursor)
        found = read.rows(source, size + 1)
    page, more = found[:size], len(found) > size
    last_row = page[-1] if more else None
    next_cursor = (
        encode_cursor(last_row["ticker"], last_row["session_date"].isoformat())
        if last_row
        else None
    )
    return {"fields": list(chosen), "as_of": as_of, "data": [_plain(row) for row in page],
            "paging": paging(size, next_cursor)}  # fmt: skip


def _plain(row: dict) -> dict:
    return {
        k: (float(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, int) else v)
        for k, v in row.items()
    }
