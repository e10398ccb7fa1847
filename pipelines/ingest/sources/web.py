"""What the providers that answer over HTTP share: pacing, retries with backoff and jitter, a
worker pool over tickers, and per-ticker failures that never stop the other tickers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import dlt
import pyarrow as pa
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from pipelines.config.constants import ACTION_KEY, BAR_KEY
from pipelines.ingest.sources.schema import Rejection, SourceRequest

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Pacing:
    """How hard a provider is asked, and how a failure is retried (config.yaml's
    `providers.<name>.pacing`, or these defaults)."""

    requests_per_second: float = 2.0  # across all workers
    workers: int = 2  # tickers fetched concurrently
    retries: int = 5  # after the first attempt
    backoff_seconds: float = 1.0  # first retry delay
    max_backoff_seconds: float = 60.0
    timeout_seconds: float = 30.0  # per HTTP request


class PermanentError(Exception):
    """A failure that retrying cannot fix (unknown symbol, malformed answer)."""


class Pacer:
    """At most `rate` calls per second across every thread (evenly spaced, no bursts)."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            self._next = slot + self._interval
        if slot > now:
            time.sleep(slot - now)


def retrying(
    pacing: Pacing,
    is_transient: Callable[[BaseException], bool],
    on_retry: Callable[[str], None] | None = None,
) -> Retrying:
    """Exponential backoff with jitter on transient failures; reraises the last one."""

    def before_sleep(state: RetryCallState) -> None:
        if on_retry is not None and state.outcome is not None:
            exc = state.outcome.exception()
            wait_s = state.next_action.sleep if state.next_action else 0
            on_retry(
                f"attempt {state.attempt_number} failed ({_short(exc)}); retry in {wait_s:.1f}s"
            )

    return Retrying(
        stop=stop_after_attempt(pacing.retries + 1),
        wait=wait_exponential_jitter(
            multiplier=pacing.backoff_seconds,
            max=pacing.max_backoff_seconds,
            jitter=pacing.backoff_seconds,
        ),
        retry=retry_if_exception(is_transient),
        before_sleep=before_sleep,
        reraise=True,
    )


def _short(exc: BaseException | None) -> str:
    if exc is None:
        return "?"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__


def ticker_failure(provider: str, interval: str, ticker: str, exc: BaseException) -> Rejection:
    """A ticker a provider could not deliver, after the retries."""
    return Rejection(f"{ticker} ({provider} {interval})", _short(exc), kind="ticker")


def map_tickers(
    tickers: Iterable[str],
    fetch: Callable[[str], R],
    workers: int,
    on_failure: Callable[[str, BaseException], None],
) -> Iterator[tuple[str, R]]:
    """fetch(ticker) on a pool of workers; results in ticker order as they become ready.
    A ticker whose fetch raises is handed to on_failure and skipped."""
    ordered = list(tickers)
    results: dict[str, R] = {}
    failed: set[str] = set()
    position = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
        pending: dict[Future[R], str] = {pool.submit(fetch, t): t for t in ordered}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                ticker = pending.pop(future)
                exc = future.exception()
                if exc is None:
                    results[ticker] = future.result()
                else:
                    failed.add(ticker)
                    on_failure(ticker, exc)
            # Yield in ticker order so landings are deterministic.
            while position < len(ordered) and (
                ordered[position] in results or ordered[position] in failed
            ):
                ticker = ordered[position]
                position += 1
                if ticker in results:
                    yield ticker, results.pop(ticker)


def windows(start: date, end: date, days: int) -> list[tuple[date, date]]:
    """[start, end] (inclusive dates) cut into consecutive windows of at most `days` days."""
    out = []
    cursor = start
    while cursor <= end:
        last = min(cursor + timedelta(days=days - 1), end)
        out.append((cursor, last))
        cursor = last + timedelta(days=1)
    return out


def request_window(
    history_start: date, request: SourceRequest, intraday_days: int = 30
) -> tuple[date, date]:
    """[start, end] of a web provider's request: the run's window, else the provider's
    history (for 1-minute bars, the last `intraday_days` days)."""
    now = request.now or datetime.now(UTC)
    end = request.end or now.date()
    if request.start is not None:
        return request.start, end
    if request.interval == "1m":
        return end - timedelta(days=intraday_days - 1), end
    return history_start, end


class FetchedOnce:
    """Each ticker fetched once (bars and actions together), whichever resource asks first."""

    def __init__(
        self,
        tickers: Sequence[str],
        fetch: Callable[[str], tuple[pa.Table, pa.Table]],
        workers: int,
        source_name: str,
        interval: str,
        on_reject: Callable[[Rejection], None] | None,
    ) -> None:
        self._tickers = list(tickers)
        self._fetch = fetch
        self._workers = workers
        self._results: dict[str, tuple[pa.Table, pa.Table]] | None = None
        self._label = (source_name, interval)
        self._on_reject = on_reject

    def _failed(self, ticker: str, exc: BaseException) -> None:
        if self._on_reject is None:
            raise exc
        self._on_reject(ticker_failure(*self._label, ticker, exc))

    def items(self) -> Iterator[tuple[str, tuple[pa.Table, pa.Table]]]:
        if self._results is not None:
            yield from self._results.items()
            return
        results: dict[str, tuple[pa.Table, pa.Table]] = {}
        for ticker, result in map_tickers(self._tickers, self._fetch, self._workers, self._failed):
            results[ticker] = result
            yield ticker, result
        self._results = results


def bar_and_action_resources(fetched: FetchedOnce) -> tuple[Any, Any]:
    """The two dlt resources every web provider returns, fed by one fetch per ticker."""
    return resources(
        lambda: (table for _, (table, _) in fetched.items()),
        lambda: (table for _, (_, table) in fetched.items()),
    )


def resources(
    bars: Callable[[], Iterable[pa.Table]], actions: Callable[[], Iterable[pa.Table]]
) -> tuple[Any, Any]:
    """The `bars` and `corporate_actions` dlt resources of a provider, from what yields each
    (empty tables are left out)."""

    @dlt.resource(
        name="bars",
        primary_key=BAR_KEY,
        write_disposition={"disposition": "merge", "strategy": "upsert"},
    )
    def bar_resource() -> Iterator[pa.Table]:
        yield from (table for table in bars() if table.num_rows)

    @dlt.resource(
        name="corporate_actions",
        primary_key=ACTION_KEY,
        write_disposition={"disposition": "merge", "strategy": "upsert"},
    )
    def action_resource() -> Iterator[pa.Table]:
        yield from (table for table in actions() if table.num_rows)

    return bar_resource(), action_resource()
