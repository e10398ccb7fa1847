"""Which dlt source serves a provider entry of config.yaml: the one place a new provider is
registered (its module under pipelines/sources/, its config model in pipelines/config.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dlt.extract.source import DltSource

from pipelines.config import FilesProvider, Project
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


BUILDERS: dict[type, Callable[[Project, Any, SourceRequest], DltSource]] = {
    FilesProvider: _files,
}


def build_source(project: Project, request: SourceRequest) -> DltSource:
    config = project.settings.providers[request.name]
    return BUILDERS[type(config)](project, config, request)


def uses_drop_files(project: Project, name: str) -> bool:
    return isinstance(project.settings.providers[name], FilesProvider)
