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

from pipelines.config import ConfigError, Project
from pipelines.config.providers import PolygonProvider
from pipelines.config.secrets import lookup
from pipelines.ingest.sources.normalize import daily_ts, local_dates
from pipelines.ingest.sources.schema import (
    Rejection,
    SourceRequest,
    actions_from_rows,
    make_bars,
)
from pipelines.ingest.sources.web import (
    FetchedOnce,
    Pacer,
    Pacing,
    PermanentError,
    bar_and_action_resources,
    request_window,
)

PRICE_BASIS = "raw"
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


class PolygonError(PermanentError):
    """An answer Polygon gave that is not data (an error status, a malformed body)."""


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
) -> Sequence[dlt.sources.DltResource]:
    """Bars of one interval over [start, end] (exchange-zone dates) and every split and
    dividend Polygon lists for the tickers.

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

    fetched = FetchedOnce(tickers, fetch, pacing.workers, source_name, interval, on_reject)
    return bar_and_action_resources(fetched)


def _ref(ticker: str) -> dict[str, Any]:
    return {"ticker": ticker, "limit": REFERENCE_LIMIT}


def bars_table(
    rows: list[dict],
    ticker: str,
    interval: str,
    source_name: str,
    exchange_timezone: str,
    fetched_at: datetime,
) -> pa.Table:
    """Aggregates ({t: ms epoch of the bar's start, o, h, l, c, v}) as BAR_SCHEMA rows."""
    try:
        starts = pa.array([int(r["t"]) * 1000 for r in rows], pa.timestamp("us", tz="UTC"))
        prices = {k: pa.array([_number(r.get(k)) for r in rows], pa.float64()) for k in "ohlcv"}
    except (KeyError, TypeError, ValueError) as exc:
        raise PolygonError(f"aggregates of {ticker}: malformed bar ({exc!r})") from None
    ts = (
        daily_ts(local_dates(starts, exchange_timezone), exchange_timezone)
        if interval == "1d"
        else starts
    )
    return make_bars(
        ticker=ticker,
        interval=interval,
        ts=ts,
        open=prices["o"],
        high=prices["h"],
        low=prices["l"],
        close=prices["c"],
        volume=prices["v"],
        price_basis=PRICE_BASIS,
        source=source_name,
        fetched_at=fetched_at,
    )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def actions_table(
    splits: list[dict],
    dividends: list[dict],
    ticker: str,
    source_name: str,
    fetched_at: datetime,
) -> pa.Table:
    """Splits (split_to / split_from new shares per old) and cash dividends as ACTION_SCHEMA."""
    # One row per (ex-date, action): same-day splits multiply, same-day dividends add up.
    per_day: dict[tuple[date, str], float] = {}
    try:
        for s in splits:
            key = (date.fromisoformat(s["execution_date"]), "split")
            ratio = float(s["split_to"]) / float(s["split_from"])
            per_day[key] = per_day.get(key, 1.0) * ratio
        for d in {(x["ex_dividend_date"], float(x["cash_amount"])) for x in dividends}:
            if d[1] > 0:
                key = (date.fromisoformat(d[0]), "dividend")
                per_day[key] = per_day.get(key, 0.0) + d[1]
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise PolygonError(f"corporate actions of {ticker}: malformed entry ({exc!r})") from None
    return actions_from_rows(
        [(day, action, value) for (day, action), value in per_day.items()],
        ticker=ticker,
        price_basis=PRICE_BASIS,
        source=source_name,
        fetched_at=fetched_at,
    )


def source_for(project: Project, settings: PolygonProvider, request: SourceRequest) -> DltSource:
    """The source for a run, from the provider's config.yaml entry; the API key from secrets."""
    api_key = lookup(project.root, "sources", request.name, "api_key") or lookup(
        project.root, "polygon_api_key"
    )
    if not api_key:
        raise ConfigError(
            f"providers.{request.name}: no Polygon API key; set POLYGON_API_KEY or "
            f"SOURCES__{request.name.upper()}__API_KEY, or [sources.{request.name}] api_key in "
            ".dlt/secrets.toml"
        )
    start, end = request_window(settings.history_start, request)
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
    )
