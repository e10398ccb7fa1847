"""Which dlt source serves a provider entry of config.yaml: the one place a new provider is
registered (its module under pipelines/sources/, its config model in pipelines/config.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dlt.extract.source import DltSource

from pipelines.config import ConfigError, FilesProvider, PolygonProvider, Project, YahooProvider
from pipelines.sources import Rejection


@dataclass
class SourceRequest:
    """What one run asks of a provider."""

    name: str  # the provider's name in config.yaml
    interval: str
    tickers: list[str]
    start: date | None = None
    end: date | None = None
    skip_sha256: frozenset[str] = frozenset()
    on_reject: Callable[[Rejection], None] | None = None
    on_notice: Callable[[str], None] | None = None
    starts: dict[str, date] = field(default_factory=dict)  # incremental: first date per ticker
    now: datetime | None = None  # the run's "now" (--as-of)
    options: dict[str, Any] = field(default_factory=dict)  # e.g. a test's HTTP session


def _files(project: Project, config: FilesProvider, request: SourceRequest) -> DltSource:
    from pipelines.sources.files import files_source

    return files_source(
        drop_folder=str(project.path(config.drop_folder)),
        interval=request.interval,
        provider=config,
        exchange_timezone=project.settings.exchange.timezone,
        source_name=request.name,
        tickers=request.tickers,
        start=request.start,
        end=request.end,
        skip_sha256=request.skip_sha256,
        on_reject=request.on_reject,
        fingerprints=request.options.get("fingerprints"),
    )


def _window(config: YahooProvider | PolygonProvider, request: SourceRequest) -> tuple[date, date]:
    """[start, end] of a web provider's request: the run's window, else its history."""
    now = request.now or datetime.now(UTC)
    end = request.end or now.date()
    if request.start is not None:
        return request.start, end
    if request.interval == "1m":
        return end - timedelta(days=getattr(config, "intraday_days", 30) - 1), end
    return config.history_start, end


def _yahoo(project: Project, config: YahooProvider, request: SourceRequest) -> DltSource:
    from pipelines.sources.yahoo import RedirectingSession, yahoo_source

    session = request.options.get("session")
    if session is None and config.base_url:
        session = RedirectingSession(config.base_url)
    start, end = _window(config, request)
    return yahoo_source(
        request.tickers,
        request.interval,
        start,
        end,
        session=session,
        starts=request.starts,
        now=request.now,
        pacing=config.pacing,
        source_name=request.name,
        exchange_timezone=project.settings.exchange.timezone,
        intraday_days=config.intraday_days,
        cache_dir=str(project.pipelines_dir / "yfinance"),
        on_reject=request.on_reject,
        on_notice=request.on_notice,
    )


def _polygon(project: Project, config: PolygonProvider, request: SourceRequest) -> DltSource:
    from pipelines.secrets import lookup
    from pipelines.sources.polygon import polygon_source

    api_key = lookup(project.root, "sources", request.name, "api_key") or lookup(
        project.root, "polygon_api_key"
    )
    if not api_key:
        raise ConfigError(
            f"providers.{request.name}: no Polygon API key; set POLYGON_API_KEY or "
            f"SOURCES__{request.name.upper()}__API_KEY, or [sources.{request.name}] api_key in "
            ".dlt/secrets.toml"
        )
    start, end = _window(config, request)
    return polygon_source(
        request.tickers,
        request.interval,
        start,
        end,
        api_key=api_key,
        base_url=config.base_url,
        starts=request.starts,
        pacing=config.pacing,
        page_limit=config.page_limit,
        source_name=request.name,
        exchange_timezone=project.settings.exchange.timezone,
        on_reject=request.on_reject,
        on_notice=request.on_notice,
    )


BUILDERS: dict[type, Callable[[Project, Any, SourceRequest], DltSource]] = {
    FilesProvider: _files,
    YahooProvider: _yahoo,
    PolygonProvider: _polygon,
}


def build_source(project: Project, request: SourceRequest) -> DltSource:
    config = project.settings.providers[request.name]
    return BUILDERS[type(config)](project, config, request)


def uses_drop_files(project: Project, name: str) -> bool:
    return isinstance(project.settings.providers[name], FilesProvider)


def restatement_lag(project: Project, name: str) -> int | None:
    """Sessions an incremental run of this provider re-reads; None for drop files."""
    config = project.settings.providers[name]
    return getattr(config, "restatement_lag", None)


def max_failed_tickers(project: Project, name: str) -> int:
    return getattr(project.settings.providers[name], "max_failed_tickers", 0)
