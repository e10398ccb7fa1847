"""The demo ends with what to try next: every command as it runs from where it is printed, with
`serve`, `report` and `backtest` among them, and how to put the commands on PATH."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

BIN = Path(sys.executable).parent
PRINT = "from pipelines.cli.demo import next_steps; print(next_steps())"


def next_steps(cwd: Path, path: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PRINT], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PATH": path, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [line.strip() for line in result.stdout.splitlines() if line.startswith("  ")]


@pytest.mark.parametrize("where", ["repository", "elsewhere"])
def test_every_command_runs_from_where_it_is_printed(where: str, tmp_path: Path) -> None:
    cwd = REPO if where == "repository" else tmp_path
    lines = next_steps(cwd, "/usr/bin:/bin")  # the virtualenv is not on PATH
    commands = [shlex.split(line)[0] for line in lines if not line.startswith("(")]
    assert {Path(c).name for c in commands} == {"marketflow", "sqlmesh"}
    for command in commands:
        assert os.access(cwd / command, os.X_OK), command  # relative to cwd, or absolute
    subcommands = {shlex.split(line)[1] for line in lines if not line.startswith("(")}
    assert {"check", "run", "backfill", "serve", "report", "backtest"} <= subcommands
    assert (
        lines[-1].startswith("(")
        and f"source {BIN.relative_to(REPO) if where == 'repository' else BIN}/activate"
        in lines[-1]
    )


def test_on_path_the_commands_are_bare() -> None:
    lines = next_steps(REPO, f"{BIN}:/usr/bin:/bin")
    assert lines[0].split()[0] == "marketflow"
    assert not any(line.startswith("(") for line in lines)
