"""Dependencies and the parameter rules every router shares."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request

from api.db import Database, Unavailable
from pipelines.config import Project


class ApiError(Exception):
    """An error answered as JSON naming the offending parameter."""

    def __init__(self, status: int, parameter: str | None, message: str) -> None:
        super().__init__(message)
        self.status, self.parameter, self.message = status, parameter, message


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_project(request: Request) -> Project:
    return request.app.state.project


DB = Annotated[Database, Depends(get_db)]
ProjectDep = Annotated[Project, Depends(get_project)]


def rows(db: Database, sql: str, params: list[Any] | tuple = ()) -> list[dict[str, Any]]:
    """db.rows, with 'the table does not exist yet' as 503 rather than a 500."""
    try:
        return db.rows(sql, params)
    except Unavailable:
        raise
    except Exception as exc:
        text = str(exc).lower()
        if any(s in text for s in ("does not exist", "catalog error", "undefined")):
            message = f"the warehouse has no such table yet: has the pipeline run? ({exc})"
            raise Unavailable(message) from None
        raise


def known_ticker(db: Database, ticker: str) -> str:
    ticker = ticker.strip().upper()
    if not rows(db, "SELECT 1 AS x FROM silver.tickers WHERE ticker = ?", [ticker]):
        raise ApiError(404, "ticker", f"unknown ticker {ticker!r}: not in the universe")
    return ticker


def ticker_list(db: Database, value: str | None, parameter: str = "tickers") -> list[str] | None:
    if value is None:
        return None
    tickers = [t.strip().upper() for t in value.split(",") if t.strip()]
    if not tickers:
        raise ApiError(422, parameter, "name at least one ticker, comma-separated")
    if len(tickers) > 500:
        raise ApiError(422, parameter, "at most 500 tickers per request")
    marks = ", ".join("?" for _ in tickers)
    found = {
        r["ticker"]
        for r in rows(db, f"SELECT ticker FROM silver.tickers WHERE ticker IN ({marks})", tickers)
    }
    unknown = [t for t in tickers if t not in found]
    if unknown:
        raise ApiError(404, parameter, f"unknown ticker(s): {', '.join(unknown)}")
    return tickers


def moment(value: str | None, parameter: str, zone: str, end: bool = False) -> datetime | None:
    """An ISO date (the start, or with `end` the end, of that day at the exchange) or an ISO
    timestamp (without an offset: at the exchange), as an aware UTC datetime."""
    if value is None:
        return None
    local = ZoneInfo(zone)
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day, time.max if end else time.min, local).astimezone(UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(422, parameter, f"{value!r} is not an ISO date or timestamp") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=local)).astimezone(UTC)


def page_size(project: Project, limit: int | None) -> int:
    api = project.settings.api
    if limit is None:
        return api.page_size
    if limit < 1 or limit > api.max_page_size:
        raise ApiError(422, "limit", f"must be between 1 and {api.max_page_size}")
    return limit


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": key}).encode()).decode()


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))["after"]
        if not isinstance(key, str):
            raise TypeError
        return key
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise ApiError(422, "cursor", "not a cursor this API returned") from None


Limit = Annotated[int | None, Query(description="page size (default 1,000, at most 10,000)")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
