"""Which source serves a provider entry of config.yaml. The registry is the settings models
(pipelines/config/providers.py): each names its module under pipelines/ingest/sources/, whose
`source_for(project, settings, request)` builds the `@dlt.source` for a run. A module is
imported when its provider is first used (yfinance alone takes 0.75 s to import)."""

from __future__ import annotations

import importlib

from dlt.extract.source import DltSource

from pipelines.config import Project
from pipelines.config.providers import FilesProvider, ProviderSettings
from pipelines.ingest.sources.schema import SourceRequest


def settings_of(project: Project, name: str) -> ProviderSettings:
    return project.settings.providers[name]


def build_source(project: Project, request: SourceRequest) -> DltSource:
    settings = settings_of(project, request.name)
    module = importlib.import_module(settings.module)
    return module.source_for(project, settings, request)


def uses_drop_files(project: Project, name: str) -> bool:
    """A drop folder: its files are read once (by fingerprint), and the demo stages into it."""
    return isinstance(settings_of(project, name), FilesProvider)
