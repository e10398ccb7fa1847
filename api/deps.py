"""Dependencies and the parameter rules every router shares. Parameters are parsed by the same
parsers as the command line's (pipelines/config/params.py); a bad one is a ParameterError,
answered as JSON naming it."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request

from pipelines.config import ParameterError, Project
from pipelines.config.params import parse_moment, parse_tickers
from pipelines.warehouse import queries
from pipelines.warehouse.readers import Reader, Unavailable

MAX_TICKERS = 500
T = TypeVar("T")


class SafeReader:
    """The app's reader, with 'the table does not exist yet' answered as 503, not a 500."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            return self.reader.rows(sql, params)
        except Unavailable:
            raise
        except Exception as exc:
            text = str(exc).lower()
            if any(s in text for s in ("does not exist", "catalog error", "undefined")):
                raise Unavailable(
                    "the warehouse has no such table yet: has the pipeline run?"
                ) from exc
            raise


def get_db(request: Request) -> SafeReader:
    return SafeReader(request.app.state.db)


def get_project(request: Request) -> Project:
    return request.app.state.project


DB = Annotated[SafeReader, Depends(get_db)]
ProjectDep = Annotated[Project, Depends(get_project)]


def known_ticker(db: Reader, ticker: str) -> str:
    ticker = ticker.strip().upper()
    if not queries.known_tickers(db, [ticker]):
        raise ParameterError("ticker", f"unknown ticker {ticker!r}: not in the universe", 404)
    return ticker


def ticker_list(db: Reader, value: str | None, parameter: str = "tickers") -> list[str] | None:
    tickers = parse_tickers(parameter, value)
    if tickers is None:
        return None
    if len(tickers) > MAX_TICKERS:
        raise ParameterError(parameter, f"at most {MAX_TICKERS} tickers per request")
    found = queries.known_tickers(db, tickers)
    unknown = [t for t in tickers if t not in found]
    if unknown:
        raise ParameterError(parameter, f"unknown ticker(s): {', '.join(unknown)}", 404)
    return tickers


def moment(value: str | None, parameter: str, zone: str, end: bool = False) -> datetime | None:
    """An ISO date (the start, or with `end` the end, of that day at the exchange) or an ISO
    timestamp (without an offset: at the exchange), as an aware UTC datetime."""
    parsed = parse_moment(parameter, value, zone, end_of_day=end)
    return None if parsed is None else parsed.astimezone(UTC)


def page_size(project: Project, limit: int | None) -> int:
    api = project.settings.api
    if limit is None:
        return api.page_size
    if limit < 1 or limit > api.max_page_size:
        raise ParameterError("limit", f"must be between 1 and {api.max_page_size}")
    return limit


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": key}).encode()).decode()


def decode_cursor(cursor: str | None, parse: Callable[[str], T]) -> T | None:
    """The key a cursor this API returned carries, parsed (a date or a timestamp)."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))["after"]
        if not isinstance(key, str):
            raise TypeError
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise ParameterError("cursor", "not a cursor this API returned") from None
    try:
        return parse(key)
    except ValueError:
        raise ParameterError("cursor", "a cursor of another interval") from None


Limit = Annotated[int | None, Query(description="page size (default 1,000, at most 10,000)")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


def _declared(route: Any) -> set[str]:
    """The query parameters a route takes, its dependencies' included (a handful of objects
    to walk: cheaper than any cache keyed by route)."""
    names, pending = set(), [route.dependant]
    while pending:
        dependant = pending.pop()
        names |= {p.alias for p in dependant.query_params}
        pending += dependant.dependencies
    return names


def known_parameters(request: Request) -> None:
    """Every route's guard: a query parameter it does not take (a typo, a format it does not
    answer in) is a 422 naming it, not silently ignored."""
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return
    declared = _declared(route)
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        takes = ", ".join(sorted(declared)) or "no parameters"
        raise ParameterError(unknown[0], f"unknown parameter; {request.url.path} takes {takes}")
