"""Dependencies and the parameter rules every router shares. Parameters are parsed by the same
parsers as the command line's (pipelines/config/params.py); a bad one is a ParameterError,
answered as JSON naming it."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import pyarrow as pa
from fastapi import Depends, Query, Request

from pipelines.config import ParameterError, Project
from pipelines.warehouse import queries, series
from pipelines.warehouse.readers import Reader, Unavailable
from pipelines.warehouse.series import ArrowReader

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
    return series.universe_tickers(db, value, parameter)


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


AsOf = Annotated[
    str | None,
    Query(
        description="ISO timestamp (or a date: the end of that day at the exchange): the answer "
        "as the warehouse held it then, from the landings up to that moment; corporate "
        "actions landed later adjust nothing (docs/using-the-data.md#as-of-reads)",
        examples=["2012-03-16T12:00:00Z"],
    ),
]
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
