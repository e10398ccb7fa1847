"""What the command line says of itself: its version, and long lists cut short."""

from __future__ import annotations

import tomllib

from typer.testing import CliRunner

from pipelines.cli.main import app
from pipelines.run.options import listing
from tests.conftest import REPO


def test_version_is_the_packages() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"marketflow {declared}\n"


def test_a_long_universe_is_listed_short() -> None:
    assert listing(["A", "B"]) == "A, B"
    names = [f"T{i:02d}" for i in range(25)]
    assert listing(names) == ", ".join(names[:20]) + ", ... and 5 more"
