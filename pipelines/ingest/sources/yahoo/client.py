"""yfinance as the source uses it: every request through the caller's session, no retries of
its own (the source's), caches in the pipeline's folder, the chart answers it received (its
parser keeps one of two bars with one timestamp; the source hands every copy to bronze), and
what a failure means."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import peewee
import requests
import yfinance as yf
from yfinance.data import YfData
from yfinance.exceptions import YFRateLimitError, YFTickerMissingError, YFTzMissingError

from pipelines.ingest.sources.web import PermanentError


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
_answers = threading.local()  # .charts: the list chart_answers() is filling in this thread


def configure_yfinance(cache_dir: str | None) -> Any:
    """yfinance raises instead of logging, retries nothing itself (we do), keeps its time-zone
    and cookie caches in the pipeline's folder, not the home folder, and lets chart_answers()
    see the chart answers it receives."""
    with _configured:
        yf.config.debug.hide_exceptions = False
        yf.config.network.retries = 0
        if cache_dir:
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
            yf.set_tz_cache_location(cache_dir)
        _keep_chart_answers(YfData())
    return yf


@contextmanager
def chart_answers() -> Iterator[list[Any]]:
    """The chart answers (the responses of /v8/finance/chart requests for a period) yfinance
    receives in this thread inside the block, in order."""
    answers: list[Any] = []
    _answers.charts = answers
    try:
        yield answers
    finally:
        _answers.charts = None


def _keep_chart_answers(data: YfData) -> None:
    """Wrap the `get` of yfinance's one YfData (every request of history(), through whichever
    session) so that chart_answers() sees the answers; once per process."""
    if getattr(data, "_marketflow_keeps_charts", False):
        return
    plain = data.get

    def get(url: str, params: dict | None = None, timeout: float = 30) -> Any:
        response = plain(url, params=params, timeout=timeout)
        charts = getattr(_answers, "charts", None)
        if charts is not None and "/v8/finance/chart/" in url and "period1" in (params or {}):
            charts.append(response)
        return response

    data.get = get
    data._marketflow_keeps_charts = True


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: rate limiting, Yahoo being down (5xx), timeouts, broken connections,
    truncated or garbled answers, yfinance's cache file locked by another fetch. Not: an
    unknown or delisted symbol."""
    if isinstance(exc, PermanentError | YFTickerMissingError):
        return False
    status = _http_status(exc)
    if status is not None and 400 <= status < 500 and status != 429:
        return False  # 404: unknown symbol; 401/403: refused. Asking again changes nothing.
    if isinstance(exc, YFRateLimitError):
        return True
    if isinstance(exc, peewee.OperationalError):
        # yfinance's time-zone cache is one SQLite file: concurrent fetches lock it briefly.
        return "locked" in str(exc) or "busy" in str(exc)
    return isinstance(exc, OSError | ValueError | KeyError | TypeError | RuntimeError) or (
        type(exc).__module__.startswith(("requests", "curl_cffi", "urllib3", "yfinance"))
    )


def forget_cached_answers() -> None:
    YfData.cache_get.cache_clear()


def _http_status(exc: BaseException) -> int | None:
    return getattr(getattr(exc, "response", None), "status_code", None)


def explain(exc: BaseException) -> BaseException:
    """The failure as the user should read it."""
    if isinstance(exc, YFTzMissingError) or _http_status(exc) == 404:
        return PermanentError("unknown or delisted symbol (Yahoo has no quote for it)")
    return exc
