"""Polygon.io provider: aggregates (day and minute) with `adjusted=false`, and the splits and
dividends reference endpoints, through dlt's REST client (next_url pagination; retries on 429,
5xx and timeouts by dlt's requests helper, honouring Retry-After).

Prices and dividend amounts are as traded (price basis `raw`): silver applies both splits and
dividends. The API key is sent as a bearer token, never in a URL, so no error message can carry it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import dlt
import pyarrow as pa
from dlt.extract.source import DltSource
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from pipelines.analytics.exchange_calendar import session_dates
from pipelines.config import ConfigError, Project
from pipelines.config.providers import PolygonProvider
from pipelines.config.secrets import lookup
from pipelines.ingest.sources.polygon.grouped import actions_by_ticker, grouped_bars
from pipelines.ingest.sources.polygon.tables import (
    PolygonError,
    actions_table,
    bars_table,
)
from pipelines.ingest.sources.schema import Rejection, SourceRequest
from pipelines.ingest.sources.web import (
    FetchedOnce,
    Pacer,
    Pacing,
    bar_and_action_resources,
    request_window,
    resources,
)

TIMESPAN = {"1d": "day", "1m": "minute"}
REFERENCE_LIMIT = 1000


class HostBearerAuth(BearerTokenAuth):
    """The key as a bearer token, to the configured host only: a `next_url` that names another
    host is followed without it."""

    host: str = ""

    def __call__(self, request: Any) -> Any:
        if urlsplit(request.url).netloc == self.host:
            return super().__call__(request)
        request.headers.pop("Authorization", None)
        return request


def polygon_client(base_url: str, api_key: str, pacing: Pacing) -> RESTClient:
    session = Client(
        request_timeout=pacing.timeout_seconds,
        request_max_attempts=pacing.retries + 1,
        request_backoff_factor=max(pacing.backoff_seconds, 0.01),
        request_max_retry_delay=pacing.max_backoff_seconds,
        raise_for_status=False,
    ).session
    return RESTClient(
        base_url=base_url.rstrip("/"),
        auth=_auth(base_url, api_key),
        paginator=JSONLinkPaginator(next_url_path="next_url"),
        data_selector="results",
        session=session,
    )


def _auth(base_url: str, api_key: str) -> HostBearerAuth:
    auth = HostBearerAuth(token=api_key)
    auth.host = urlsplit(base_url).netloc
    return auth


@dlt.source(name="polygon")
def polygon_source(
    tickers: Sequence[str],
    interval: str,
    start: date,
    end: date,
    api_key: str = dlt.secrets.value,
    base_url: str = "https://api.polygon.io",
    *,
    starts: dict[str, date] | None = None,
    pacing: Pacing | None = None,
    page_limit: int = 50000,
    source_name: str = "polygon",
    exchange_timezone: str = "America/New_York",
    on_reject: Callable[[Rejection], None] | None = None,
    on_notice: Callable[[str], None] | None = None,
    sessions: Sequence[date] | None = None,
) -> Sequence[dlt.sources.DltResource]:
    """Bars of one interval over [start, end] (exchange-zone dates) and every split and
    dividend Polygon lists for the tickers.

    sessions: daily bars by session instead of by ticker: one Grouped Daily request for each
    of these sessions (from the exchange calendar, within [start, end]), and the splits and
    dividends with an ex-date in the window, paged by date (grouped.py).

    on_reject: called with each ticker that failed after the retries; without it the first
    failure raises. on_notice: called with warnings (a ticker with no bars in its window).
    """
    if interval not in TIMESPAN:
        raise ValueError(f"interval {interval!r}: Polygon serves {sorted(TIMESPAN)} here")
    if not api_key:
        raise ValueError("Polygon needs an API key (POLYGON_API_KEY or .dlt/secrets.toml)")
    pacing = pacing or Pacing()
    client = polygon_client(base_url, api_key, pacing)
    pacer = Pacer(pacing.requests_per_second)
    notice = on_notice or (lambda message: None)

    def pages(path: str, params: dict[str, Any]) -> Iterator[list[dict]]:
        pacer.wait()
        try:
            for page in client.paginate(path, params=params):
                status = getattr(page.response, "json", lambda: {})().get("status", "OK")
                if status not in ("OK", "DELAYED"):
                    raise PolygonError(f"{path}: status {status!r}")
                yield list(page)
                pacer.wait()
        except ValueError as exc:  # json.JSONDecodeError: a garbled body
            raise PolygonError(f"{path}: answer is not valid JSON ({exc})") from None

    def fetch(ticker: str) -> tuple[pa.Table, pa.Table]:
        first = (starts or {}).get(ticker, start)
        fetched_at = datetime.now(UTC)
        rows: list[dict] = []
        if first <= end:
            path = f"/v2/aggs/ticker/{ticker}/range/1/{TIMESPAN[interval]}/{first}/{end}"
            params = {"adjusted": "false", "sort": "asc", "limit": page_limit}
            for page in pages(path, params):
                rows.extend(page)
            if not rows:  # Polygon answers an unknown or delisted symbol with no results
                notice(
                    f"{source_name} {interval} {ticker}: no bars for {first}..{end}"
                    " (unknown or delisted symbol, or no sessions in the window)"
                )
        splits = [r for page in pages("/v3/reference/splits", _ref(ticker)) for r in page]
        dividends = [r for page in pages("/v3/reference/dividends", _ref(ticker)) for r in page]
        return (
            bars_table(rows, ticker, interval, source_name, exchange_timezone, fetched_at),
            actions_table(splits, dividends, ticker, source_name, fetched_at),
        )

    if sessions is not None and interval == "1d":
        return _by_session(
            pages, tickers, sessions, start, starts or {}, source_name, exchange_timezone, notice
        )
    fetched = FetchedOnce(tickers, fetch, pacing.workers, source_name, interval, on_reject)
    return bar_and_action_resources(fetched)


def _by_session(
    pages: Callable[[str, dict[str, Any]], Iterator[list[dict]]],
    tickers: Sequence[str],
    sessions: Sequence[date],
    start: date,
    starts: dict[str, date],
    source_name: str,
    zone: str,
    notice: Callable[[str], None],
) -> tuple[Any, Any]:
    wanted = set(tickers)

    def first_of(ticker: str) -> date | None:
        return starts.get(ticker, start) if ticker in wanted else None

    # From the earliest session a ticker still needs (an incremental run: its restatement lag).
    first = min((starts.get(t, start) for t in wanted), default=None)
    chosen = [day for day in sessions if first is not None and day >= first]

    def actions() -> Iterator[pa.Table]:
        if not chosen:
            return
        fetched_at = datetime.now(UTC)
        window = (chosen[0], chosen[-1])
        found = actions_by_ticker(pages, *window, wanted.__contains__, REFERENCE_LIMIT)
        for ticker, (splits, dividends) in sorted(found.items()):
            yield actions_table(splits, dividends, ticker, source_name, fetched_at)

    return resources(
        lambda: grouped_bars(pages, chosen, first_of, source_name, zone, notice), actions
    )


def _ref(ticker: str) -> dict[str, Any]:
    return {"ticker": ticker, "limit": REFERENCE_LIMIT}


def api_key_of(project: Project, name: str) -> str:
    """The API key of provider `name`, from the environment or .dlt/secrets.toml."""
    api_key = lookup(project.root, "sources", name, "api_key") or lookup(
        project.root, "polygon_api_key"
    )
    if not api_key:
        raise ConfigError(
            f"providers.{name}: no Polygon API key; set POLYGON_API_KEY or "
            f"SOURCES__{name.upper()}__API_KEY, or [sources.{name}] api_key in .dlt/secrets.toml"
        )
    return str(api_key)


def source_for(project: Project, settings: PolygonProvider, request: SourceRequest) -> DltSource:
    """The source for a run, from the provider's config.yaml entry; the API key from secrets."""
    api_key = api_key_of(project, request.name)
    start, end = request_window(settings.history_start, request)
    by_session = settings.daily_requests == "per_session" and request.interval == "1d"
    calendar = project.settings.exchange.calendar
    return polygon_source(
        request.tickers,
        request.interval,
        start,
        end,
        api_key=api_key,
        base_url=settings.base_url,
        starts=request.starts,
        pacing=Pacing(**settings.pacing.model_dump()),
        page_limit=settings.page_limit,
        source_name=request.name,
        exchange_timezone=project.settings.exchange.timezone,
        on_reject=request.on_reject,
        on_notice=request.on_notice,
        sessions=session_dates(calendar, start, end) if by_session else None,
    )
