"""Shared fixtures: throwaway MarketFlow projects (a folder with its own config.yaml, the
repository's models linked in) and a way to run the real CLI against them."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("models", "macros", "audits", "external_models.yaml", "tests", ".dlt")
# A fixed "now" for the pipeline: after the demo data ends, so every session is closed.
AS_OF = "2026-11-20"


def _deep_merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass
class Project:
    root: Path
    config: Path

    @property
    def warehouse(self) -> Path:
        return self.root / "data" / "warehouse.duckdb"

    @property
    def drop(self) -> Path:
        return self.root / "data" / "drop"

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    def cli(
        self, *args: str, check: bool = True, env: dict | None = None
    ) -> subprocess.CompletedProcess:
        return run_cli("--config", str(self.config), *args, check=check, env=env)

    def query(self, sql: str) -> pd.DataFrame:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.sql(sql).df()
        finally:
            con.close()

    def scalar(self, sql: str) -> Any:
        return self.query(sql).iloc[0, 0]


def make_project(root: Path, overrides: dict | None = None) -> Project:
    """A project folder whose config.yaml is the repository's plus `overrides`
    (merged into `variables.marketflow`)."""
    root.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    if overrides:
        config["variables"]["marketflow"] = _deep_merge(
            config["variables"]["marketflow"], overrides
        )
    # Double quotes keep the Jinja in strings intact ({{ env_var('X') }}).
    (root / "config.yaml").write_text(
        yaml.safe_dump(config, sort_keys=False, default_style='"', width=1 << 20)
    )
    for name in PROJECT_FILES:
        link = root / name
        if not link.exists():
            link.symlink_to(REPO / name)
    return Project(root, root / "config.yaml")


def run_cli(*args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    # A zone far from both UTC and New York: the pipeline must not depend on the machine's.
    full_env = {**os.environ, "COLUMNS": "200", "TZ": "Asia/Kolkata", **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"marketflow {' '.join(args)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The bundled demo, run once through the real CLI; tests only read it."""
    project = make_project(tmp_path_factory.mktemp("demo"))
    project.cli("demo", "--as-of", AS_OF)
    return project


@pytest.fixture(scope="session")
def bundled() -> pd.DataFrame:
    from pipelines.demo import bundled_bars

    return bundled_bars()
