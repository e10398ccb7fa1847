"""Which source serves a provider entry of config.yaml. The registry is the settings models
(pipelines/config/providers.py): each names its module under pipelines/ingest/sources/, whose
`source_for(project, settings, request)` builds the `@dlt.source` for a run. A module is
imported when its provider is first used (yfinance alone takes 0.75 s to import)."""

from __future__ import annotations

import importlib

from dlt.extract.source import DltSource

from pipelines.config import Project
from pipelines.config.providers import FilesProvider, ProviderSettings, WebProvider
from pipelines.ingest.sources.schema import SourceRequest


def settings_of(project: Project, name: str) -> ProviderSettings:
    return project.settings.providers[name]


def build_source(project: Project, request: SourceRequest) -> DltSource:
    settings = paced(settings_of(project, request.name), request.shares)
    module = importlib.import_module(settings.module)
    return module.source_for(project, settings, request)


def paced(settings: ProviderSettings, shares: int) -> ProviderSettings:
    """A web provider's settings for one of `shares` runs that call it at once with one key
    (shards): a provider's limit is per key (and, for Yahoo, per address), so each run gets
    its fraction of requests_per_second."""
    if shares <= 1 or not isinstance(settings, WebProvider):
        return settings
    rate = settings.pacing.requests_per_second / shares
    return settings.model_copy(
        update={"pacing": settings.pacing.model_copy(update={"requests_per_second": rate})}
    )


def uses_drop_files(project: Project, name: str) -> bool:
    """A drop folder: its files are read once (by fingerprint), and the demo stages into it."""
    return isinstance(settings_of(project, name), FilesProvider)
