"""GET /v1/features/{ticker}: gold.daily_features rows, the fields chosen from a fixed list."""

from __future__ import annotations

from datetime import date
from typing import Annotated
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
from api.models import FeaturesPage

router = APIRouter(prefix="/v1/features", tags=["features"])

# The columns of gold.daily_features a client may ask for. Names only ever come from this
# tuple (never from the request) into the SQL text; values are bound parameters.
FIELDS = (
    "adj_close", "return_1d", "log_return_1d", "sma_20", "sma_50", "sma_200", "ema_12",
    "ema_26", "macd", "macd_signal", "macd_hist", "rsi_14", "bb_upper", "bb_middle",
    "bb_lower", "atr_14", "volatility_20d", "high_52w", "low_52w", "vwap", "vwap_source",
)  # fmt: skip


@router.get("/{ticker}", response_model=FeaturesPage, summary="Daily features of one ticker")
def get_features(
    db: DB,
    project: ProjectDep,
    ticker: Annotated[str, Path(description="a ticker of the universe", examples=["AAPL"])],
    start: Annotated[str | None, Query(description="ISO date", examples=["2012-01-03"])] = None,
    end: Annotated[str | None, Query(description="ISO date (inclusive)")] = None,
    fields: Annotated[
        str | None,
        Query(
            description=f"comma-separated, of: {', '.join(FIELDS)}; default all",
            examples=["adj_close,rsi_14"],
        ),
    ] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> dict:
    ticker = known_ticker(db, ticker)
    chosen = _fields(fields)
    zone = ZoneInfo(project.settings.exchange.timezone)
    first = moment(start, "start", str(zone))
    last = moment(end, "end", str(zone), end=True)
    first_day = first.astimezone(zone).date() if first else date(1, 1, 1)
    last_day = last.astimezone(zone).date() if last else date(9999, 12, 31)
    if first_day > last_day:
        raise ApiError(422, "end", "end is before start")
    after = decode_cursor(cursor)
    try:
        after_day = date.fromisoformat(after) if after else date(1, 1, 1)
    except ValueError:
        raise ApiError(422, "cursor", "not a cursor of this route") from None
    size = page_size(project, limit)
    columns = ", ".join(f'"{name}"' for name in chosen)
    found = rows(
        db,
        f"SELECT session_date, {columns} FROM gold.daily_features "
        "WHERE ticker = ? AND session_date >= ? AND session_date <= ? AND session_date > ? "
        "ORDER BY session_date LIMIT ?",
        [ticker, first_day, last_day, after_day, size + 1],
    )
    page, more = found[:size], len(found) > size
    return {
        "ticker": ticker,
        "fields": list(chosen),
        "rows": [_plain(row) for row in page],
        "next_cursor": encode_cursor(page[-1]["session_date"].isoformat()) if more else None,
    }


def _fields(value: str | None) -> tuple[str, ...]:
    if value is None:
        return FIELDS
    asked = [f.strip() for f in value.split(",") if f.strip()]
    unknown = [f for f in asked if f not in FIELDS]
    if unknown or not asked:
        raise ApiError(
            422,
            "fields",
            f"unknown field(s) {', '.join(map(repr, unknown))}; known: {', '.join(FIELDS)}",
        )
    return tuple(dict.fromkeys(asked))


def _plain(row: dict) -> dict:
    return {
        k: (float(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, int) else v)
        for k, v in row.items()
    }
