"""Yahoo Finance provider, through yfinance as shipped.

Prices are asked for unadjusted (`auto_adjust=False`) with actions. Yahoo's Close is still
split-adjusted (every bar is divided by the splits between it and the time of the request) and
so are its dividend amounts: both are landed with price basis `split_adjusted`, and silver
multiplies the splits back before applying its own adjustment (models/silver). Splits and
dividends land in corporate_actions.

Limits of the service that shape the requests: 1-minute bars exist only for the last 30 days and
come at most 7 days per request; heavy use is rate limited (HTTP 429). Requests are paced
across workers, transient failures retried with exponential backoff and jitter, and a ticker
that still fails is reported by name while the others load.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import dlt
import pandas as pd
import pyarrow as pa
import requests

from pipelines.config import Pacing
from pipelines.sources import BAR_SCHEMA, Rejection, make_actions, make_bars
from pipelines.sources.normalize import daily_ts
from pipelines.sources.web import (
    FetchedOnce,
    Pacer,
    PermanentError,
    bar_and_action_resources,
    retrying,
    windows,
)

PRICE_BASIS = "split_adjusted"
INTRADAY_WINDOW_DAYS = 7  # Yahoo answers at most 7 days of 1-minute bars per request
INTRADAY_HISTORY_DAYS = 30  # and keeps them for 30 days


class RedirectingSession(requests.Session):
    """A requests Session that sends every request to `base_url`, keeping path and query.
    For a mirror or a test server: yfinance's hosts are spread over several modules."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url {base_url!r} is not an http(s) URL")
        self._base = parts

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url if isinstance(url, str) else url.decode())
        path = self._base.path.rstrip("/") + (parts.path or "/")
        target = urlunsplit((self._base.scheme, self._base.netloc, path, parts.query, ""))
        return super().request(method, target, *args, **kwargs)


_configured = threading.Lock()


def _configure_yfinance(cache_dir: str | None) -> Any:
    """yfinance raises instead of logging, retries nothing itself (we do), and keeps its
    time-zone and cookie caches in the pipeline's folder, not the home folder."""
    import yfinance as yf

    with _configured:
        yf.config.debug.hide_exceptions = False
        yf.config.network.retries = 0
        if cache_dir:
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
            yf.set_tz_cache_location(cache_dir)
    return yf


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: rate limiting, Yahoo being down (5xx), timeouts, broken connections,
    truncated or garbled answers. Not: an unknown or delisted symbol."""
    from yfinance.exceptions import YFRateLimitError, YFTickerMissingError

    if isinstance(exc, PermanentError | YFTickerMissingError):
        return False
    status = _http_status(exc)
    if status is not None and 400 <= status < 500 and status != 429:
        return False  # 404: unknown symbol; 401/403: refused. Asking again changes nothing.
    if isinstance(exc, YFRateLimitError):
        return True
    return isinstance(exc, OSError | ValueError | KeyError | TypeError | RuntimeError) or (
        type(exc).__module__.startswith(("requests", "curl_cffi", "urllib3", "yfinance"))
    )


def forget_cached_answers() -> None:
    from yfinance.data import YfData

    YfData.cache_get.cache_clear()


def _http_status(exc: BaseException) -> int | None:
    return getattr(getattr(exc, "response", None), "status_code", None)


def _explain(exc: BaseException) -> BaseException:
    """The failure as the user should read it."""
    from yfinance.exceptions import YFTzMissingError

    if isinstance(exc, YFTzMissingError) or _http_status(exc) == 404:
        return PermanentError("unknown or delisted symbol (Yahoo has no quote for it)")
    return exc


@dlt.source(name="yahoo")
def yahoo_source(
    tickers: Sequence[str],
    interval: str,
    start: date,
    end: date,
    session: Any = None,
    *,
    starts: dict[str, date] | None = None,
    now: datetime | None = None,
    pacing: Pacing | None = None,
    source_name: str = "yahoo",
    exchange_timezone: str = "America/New_York",
    intraday_days: int = INTRADAY_HISTORY_DAYS,
    cache_dir: str | None = None,
    on_reject: Callable[[Rejection], None] | None = None,
    on_notice: Callable[[str], None] | None = None,
) -> Sequence[dlt.sources.DltResource]:
    """Daily (`1d`) or 1-minute (`1m`) bars of [start, end] (exchange-zone dates) and the
    splits and dividends Yahoo reports with them.

    session: a curl_cffi or requests Session passed to every yfinance call (proxies, tests).
    starts: a later first date per ticker (incremental runs); default `start` for all.
    now: the moment Yahoo's 30-day 1-minute limit counts back from (default: now).
    on_reject: called with each ticker that failed after the retries; without it the first
      failure raises. on_notice: called with warnings (skipped windows, empty answers).
    """
    if interval not in ("1d", "1m"):
        raise ValueError(f"interval {interval!r}: Yahoo serves 1d and 1m here")
    pacing = pacing or Pacing()
    yf = _configure_yfinance(cache_dir)
    pacer = Pacer(pacing.requests_per_second)
    zone = ZoneInfo(exchange_timezone)
    moment = now or datetime.now(UTC)
    notice = on_notice or (lambda message: None)

    def fetch_once(ticker: str, first: date, last: date) -> pd.DataFrame:
        pacer.wait()
        # yfinance memoises answers about the past, failed ones included: a retry must ask
        # Yahoo again, not replay the 429 or 500 it got.
        forget_cached_answers()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = yf.Ticker(ticker, session=session).history(
                start=first.isoformat(),
                end=(last + timedelta(days=1)).isoformat(),  # yfinance's end is exclusive
                interval=interval,
                auto_adjust=False,
                actions=True,
                prepost=False,
                repair=False,
                timeout=pacing.timeout_seconds,
            )
        return frame

    def fetch(ticker: str) -> tuple[pa.Table, pa.Table]:
        first = (starts or {}).get(ticker, start)
        frames = []
        for window in _request_windows(ticker, first, end, interval, moment, zone, intraday_days):
            if isinstance(window, str):
                notice(window)
                continue
            attempt = retrying(
                pacing,
                is_transient,
                on_retry=lambda m, t=ticker: notice(f"{source_name} {interval} {t}: {m}"),
            )
            try:
                frames.append(attempt(fetch_once, ticker, *window))
            except _empty_answer() as exc:
                notice(
                    f"{source_name} {interval} {ticker}: no bars for {window[0]}..{window[1]}"
                    f" ({str(exc).split(':')[-1].strip()})"
                )
            except Exception as exc:
                raise _explain(exc) from exc
        frame = pd.concat([f for f in frames if not f.empty]) if frames else pd.DataFrame()
        fetched_at = datetime.now(UTC)
        return (
            bars_table(frame, ticker, interval, source_name, exchange_timezone, fetched_at),
            actions_table(frame, ticker, source_name, exchange_timezone, fetched_at),
        )

    fetched = FetchedOnce(tickers, fetch, pacing.workers, source_name, interval, on_reject)
    return bar_and_action_resources(fetched)


def _empty_answer() -> type[Exception]:
    from yfinance.exceptions import YFPricesMissingError

    return YFPricesMissingError


def _request_windows(
    ticker: str,
    first: date,
    last: date,
    interval: str,
    now: datetime,
    zone: ZoneInfo,
    intraday_days: int,
) -> list[tuple[date, date] | str]:
    """The requests for one ticker; a string is a warning about a window that is skipped."""
    if first > last:
        return []
    if interval == "1d":
        return [(first, last)]
    oldest = (now.astimezone(zone) - timedelta(days=intraday_days - 1)).date()
    planned: list[tuple[date, date] | str] = []
    for window in windows(first, last, INTRADAY_WINDOW_DAYS):
        if window[1] < oldest:
            planned.append(
                f"yahoo 1m {ticker}: skipped {window[0]}..{window[1]}: Yahoo keeps 1-minute "
                f"bars for {intraday_days} days only (oldest {oldest})"
            )
        else:
            planned.append((max(window[0], oldest), window[1]))
    return planned


def bars_table(
    frame: pd.DataFrame,
    ticker: str,
    interval: str,
    source_name: str,
    exchange_timezone: str,
    fetched_at: datetime,
) -> pa.Table:
    """yfinance's history frame as BAR_SCHEMA rows (daily bars keyed by session date)."""
    if frame.empty:
        return BAR_SCHEMA.empty_table()
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    index = pd.DatetimeIndex(frame.index)
    if index.tz is None:
        index = index.tz_localize(exchange_timezone)
    if interval == "1d":
        days = pa.array(index.tz_convert(exchange_timezone).date, pa.date32())
        ts = daily_ts(days, exchange_timezone)
    else:
        ts = pa.array(index.tz_convert("UTC"), BAR_SCHEMA.field("ts").type)
    n = len(frame)

    def column(name: str) -> pa.Array:
        if name not in frame:
            return pa.nulls(n, pa.float64())
        return pa.array(pd.to_numeric(frame[name], errors="coerce").to_numpy(float), pa.float64())

    return make_bars(
        ticker=ticker,
        interval=interval,
        ts=ts,
        open=column("Open"),
        high=column("High"),
        low=column("Low"),
        close=column("Close"),
        volume=column("Volume"),
        provider_adj_close=column("Adj Close"),
        price_basis=PRICE_BASIS,
        source=source_name,
        fetched_at=fetched_at,
    )


def actions_table(
    frame: pd.DataFrame,
    ticker: str,
    source_name: str,
    exchange_timezone: str,
    fetched_at: datetime,
) -> pa.Table:
    """The Dividends and Stock Splits columns as ACTION_SCHEMA rows (nonzero values only)."""
    rows = []
    if not frame.empty:
        local = pd.DatetimeIndex(frame.index)
        if local.tz is None:
            local = local.tz_localize(exchange_timezone)
        days = local.tz_convert(exchange_timezone).date
        for column, action in (("Stock Splits", "split"), ("Dividends", "dividend")):
            if column not in frame:
                continue
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
            for day, value in zip(days, values, strict=True):
                if value and value > 0:
                    rows.append((day, action, float(value)))
    rows = sorted(set(rows))
    return make_actions(
        ticker=ticker,
        ex_date=pa.array([r[0] for r in rows], pa.date32()),
        action=pa.array([r[1] for r in rows], pa.string()),
        value=pa.array([r[2] for r in rows], pa.float64()),
        price_basis=PRICE_BASIS,
        source=source_name,
        fetched_at=fetched_at,
    )
