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

import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import dlt
import pandas as pd
import pyarrow as pa
from dlt.extract.source import DltSource
from yfinance.exceptions import YFPricesMissingError

from pipelines.config import Project
from pipelines.config.providers import YahooProvider
from pipelines.ingest.sources.schema import Rejection, SourceRequest
from pipelines.ingest.sources.web import (
    FetchedOnce,
    Pacer,
    Pacing,
    bar_and_action_resources,
    request_window,
    retrying,
    windows,
)
from pipelines.ingest.sources.yahoo.client import (
    RedirectingSession,
    chart_answers,
    configure_yfinance,
    explain,
    forget_cached_answers,
    is_transient,
)
from pipelines.ingest.sources.yahoo.frames import actions_table, bars_table, with_every_copy
from pipelines.ingest.sources.yahoo.settings import INTRADAY_HISTORY_DAYS, INTRADAY_WINDOW_DAYS

__all__ = ["RedirectingSession", "source_for", "yahoo_source"]


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
    yf = configure_yfinance(cache_dir)
    pacer = Pacer(pacing.requests_per_second)
    zone = ZoneInfo(exchange_timezone)
    moment = now or datetime.now(UTC)
    notice = on_notice or (lambda message: None)

    def fetch_once(ticker: str, first: date, last: date) -> tuple[pd.DataFrame, list[Any]]:
        pacer.wait()
        # yfinance memoises answers about the past, failed ones included: a retry must ask
        # Yahoo again, not replay the 429 or 500 it got.
        forget_cached_answers()
        with warnings.catch_warnings(), chart_answers() as answers:
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
        return frame, answers

    def fetch(ticker: str) -> tuple[pa.Table, pa.Table]:
        first = (starts or {}).get(ticker, start)
        frames, answers = [], []
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
                frame, answered = attempt(fetch_once, ticker, *window)
                frames.append(frame)
                answers += answered
            except YFPricesMissingError as exc:
                notice(
                    f"{source_name} {interval} {ticker}: no bars for {window[0]}..{window[1]}"
                    f" ({str(exc).split(':')[-1].strip()})"
                )
            except Exception as exc:
                raise explain(exc) from exc
        frame = pd.concat([f for f in frames if not f.empty]) if frames else pd.DataFrame()
        bars = with_every_copy(frame, answers, interval, exchange_timezone)
        fetched_at = datetime.now(UTC)
        return (
            bars_table(bars, ticker, interval, source_name, exchange_timezone, fetched_at),
            actions_table(frame, ticker, source_name, exchange_timezone, fetched_at),
        )

    fetched = FetchedOnce(tickers, fetch, pacing.workers, source_name, interval, on_reject)
    return bar_and_action_resources(fetched)


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


def source_for(project: Project, settings: YahooProvider, request: SourceRequest) -> DltSource:
    """The source for a run, from the provider's config.yaml entry."""
    session = request.options.get("session")
    if session is None and settings.base_url:
        session = RedirectingSession(settings.base_url)
    start, end = request_window(settings.history_start, request, settings.intraday_days)
    return yahoo_source(
        request.tickers,
        request.interval,
        start,
        end,
        session=session,
        starts=request.starts,
        now=request.now,
        pacing=Pacing(**settings.pacing.model_dump()),
        source_name=request.name,
        exchange_timezone=project.settings.exchange.timezone,
        intraday_days=settings.intraday_days,
        cache_dir=str(project.pipelines_dir / "yfinance"),
        on_reject=request.on_reject,
        on_notice=request.on_notice,
    )
