"""What the API and client tests share: an app on a project, changed api: settings, and a
process that holds a DuckDB warehouse file the way a run does."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from pipelines.config import Project as LoadedProject
from pipelines.config import load_project
from tests.conftest import Project


def client_for(project: Project, monkeypatch) -> TestClient:
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    return TestClient(create_app(load_project(project.config)))


@pytest.fixture
def api(demo_project: Project, monkeypatch) -> Iterator[TestClient]:
    with client_for(demo_project, monkeypatch) as client:
        yield client


def with_api_settings(project: Project, **settings: object) -> LoadedProject:
    """The project's loaded config with some api: settings changed."""
    loaded = load_project(project.config)
    api_settings = loaded.settings.api.model_copy(update=settings)
    return dataclasses.replace(
        loaded, settings=loaded.settings.model_copy(update={"api": api_settings})
    )


@contextmanager
def holding(warehouse: Path) -> Iterator[None]:
    """Another process holds the DuckDB file open for writing, as a run does, inside the block."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(warehouse)!r}); "
         "print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()
