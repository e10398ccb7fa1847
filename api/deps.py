"""Dependencies and the parameter rules every router shares. Parameters are parsed by the same
parsers as the command line's (pipelines/config/params.py); a bad one is a ParameterError,
answered as JSON naming it."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import pyarrow as pa
from fastapi import Depends, Query, Request

from pipelines.config import ParameterError, Project
from pipelines.config.params import parse_moment, parse_tickers
from pipelines.warehouse import queries
from pipelines.warehouse.readers import Reader, Unavailable
from pipelines.warehouse.series import ArrowReader

MAX_TICKERS = 500
T = TypeVar("T")


class SafeReader:
    """The app's reader, with 'the table does not exist yet' answered as 503, not a 500."""

    def __init__(self, reader: ArrowReader) -> None:
        self.reader = reader

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with _missing_tables():
            return self.reader.rows(sql, params)

    def arrow(self, sql: str, params: Sequence[Any], schema: pa.Schema) -> pa.Table:
        with _missing_tables():
            return self.reader.arrow(sql, params, schema)


@contextmanager
def _missing_tables() -> Iterator[None]:
    try:
        yield
    except Unavailable:
        raise
    except Exception as exc:
        text = str(exc).lower()
        if any(s in text for s in ("does not exist", "catalog error", "undefined")):
            raise Unavailable("the warehouse has no such table yet: has the pipeline run?") from exc
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


FAR_PAST = datetime(1900, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)


def moment(value: str | None, parameter: str, zone: str, end: bool = False) -> datetime | None:
    """An ISO date (the start, or with `end` the end, of that day at the exchange) or an ISO
    timestamp (without an offset: at the exchange), as an aware UTC datetime."""
    parsed = parse_moment(parameter, value, zone, end_of_day=end)
    return None if parsed is None else parsed.astimezone(UTC)


def time_range(start: str | None, end: str | None, zone: str) -> tuple[datetime, datetime]:
    """`start` and `end` as UTC moments (open ends far away); end before start is refused."""
    first = moment(start, "start", zone) or FAR_PAST
    last = moment(end, "end", zone, end=True) or FAR_FUTURE
    if first > last:
        raise ParameterError("end", "end is before start")
    return first, last


def session_range(start: str | None, end: str | None, zone: str) -> tuple[date, date]:
    """`start` and `end` as the sessions (exchange dates) they fall on."""
    first, last = time_range(start, end, zone)
    local = ZoneInfo(zone)
    return (
        date(1, 1, 1) if first == FAR_PAST else first.astimezone(local).date(),
        date(9999, 12, 31) if last == FAR_FUTURE else last.astimezone(local).date(),
    )


def page_size(project: Project, limit: int | None) -> int:
    api = project.settings.api
    if limit is None:
        return api.page_size
    if limit < 1 or limit > api.max_page_size:
        raise ParameterError("limit", f"must be between 1 and {api.max_page_size}")
    return limit


def encode_cursor(ticker: str, key: str) -> str:
    """Where a page ended: its last row's ticker and session (or minute)."""
    return base64.urlsafe_b64encode(json.dumps({"after": [ticker, key]}).encode()).decode()


def decode_cursor(cursor: str | None, parse: Callable[[str], T]) -> tuple[str, T] | None:
    """The (ticker, key) a cursor this API returned carries, the key parsed (a date or a
    timestamp)."""
    if cursor is None:
        return None
    try:
        ticker, key = json.loads(base64.urlsafe_b64decode(cursor.encode()))["after"]
        if not isinstance(ticker, str) or not isinstance(key, str):
            raise TypeError
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise ParameterError("cursor", "not a cursor this API returned") from None
    try:
        return ticker, parse(key)
    except ValueError:
        raise ParameterError("cursor", "a cursor of another interval") from None


def paging(limit: int, next_cursor: str | None = None) -> dict[str, Any]:
    """The envelope's paging part, the same on every list route."""
    return {"limit": limit, "next_cursor": next_cursor}


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
