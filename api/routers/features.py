"""GET /v1/features/{ticker}: gold.daily_features rows, the fields chosen from a fixed list."""

from __future__ import annotations

from datetime import date
from typing import Annotated
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
from api.models import FeaturesPage
from pipelines.config import ParameterError
from pipelines.warehouse import queries

router = APIRouter(prefix="/features", tags=["features"])


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
            description="comma-separated columns of gold.daily_features (docs/tables.md); "
            "default all",
            examples=["adj_close,rsi_14"],
        ),
    ] = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> dict:
    ticker = known_ticker(db, ticker)
    chosen = _fields(fields, queries.feature_fields(db))
    zone = ZoneInfo(project.settings.exchange.timezone)
    first = moment(start, "start", str(zone))
    last = moment(end, "end", str(zone), end=True)
    first_day = first.astimezone(zone).date() if first else date(1, 1, 1)
    last_day = last.astimezone(zone).date() if last else date(9999, 12, 31)
    if first_day > last_day:
        raise ParameterError("end", "end is before start")
    after = decode_cursor(cursor, date.fromisoformat) or date(1, 1, 1)
    size = page_size(project, limit)
    found = queries.features(db, ticker, chosen, first_day, last_day, after, size + 1)
    page, more = found[:size], len(found) > size
    return {
        "ticker": ticker,
        "fields": list(chosen),
        "rows": [_plain(row) for row in page],
        "next_cursor": encode_cursor(page[-1]["session_date"].isoformat()) if more else None,
    }


def _fields(value: str | None, known: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return known
    asked = [f.strip() for f in value.split(",") if f.strip()]
    unknown = [f for f in asked if f not in known]
    if unknown or not asked:
        raise ParameterError(
            "fields",
            f"unknown field(s) {', '.join(map(repr, unknown))}; known: {', '.join(known)}",
        )
    return tuple(dict.fromkeys(asked))


def _plain(row: dict) -> dict:
    return {
        k: (float(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, int) else v)
        for k, v in row.items()
    }
