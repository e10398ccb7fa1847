"""Crash safety on both backends: a run SIGKILLed at each named fault point (pipelines/
checkpoints.py) and rerun ends with silver and gold equal cell for cell to an uninterrupted
run's, and with the same verdict (exit code, alert, ops.runs); every other rerun starts without
dlt's working folder, as GitHub's runners do. Also: no process of a killed run outlives it, and
one run at a time holds a warehouse.

On the small slice of tests/faults_slice.py (two tickers, one year, one session of minutes, a
planted fault so the verdict says something)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from tests.conftest import AS_OF, Project
from tests.faults_slice import (
    OVERRIDES,
    POINTS,
    armed_run,
    run,
    session_processes,
    stage_slice,
    verdict,
)
from tests.tables import GOLD_TABLES, SILVER_TABLES, assert_same_tables, snapshot
from tests.webhook import Webhook, webhook_server

TABLES = {**SILVER_TABLES, **GOLD_TABLES}
FAILED_CHECK = "no unexplained price steps (silver.bars_daily_continuous)"


@pytest.fixture(scope="session")
def uninterrupted(session_projects, tmp_path_factory) -> dict:
    """The slice run once without a kill, per backend: (project, verdict)."""
    found: dict = {}

    def get(backend: str) -> tuple[Project, dict]:
        if backend not in found:
            root = tmp_path_factory.mktemp(f"slice-{backend}")
            project = session_projects(root, backend, OVERRIDES)
            stage_slice(project.drop)
            with webhook_server() as hook:
                result = run(project, hook)
                found[backend] = (project, verdict(project, result))
        return found[backend]

    return get


def test_the_slice_has_a_verdict_to_keep(uninterrupted, backend: str) -> None:
    _, expected = uninterrupted(backend)
    assert expected["exit_code"] == 3
    assert expected["alert"]["status"] == "checks_failed"
    assert FAILED_CHECK in expected["alert"]["failed_checks"]
    assert expected["ops.runs"][:2] == ["checks_failed", 3]
    assert expected["ops.runs"][2]["failed_checks"] == [FAILED_CHECK]


def test_a_run_killed_at_every_point_converges_with_its_verdict(
    new_project, uninterrupted, backend: str
) -> None:
    """One project through a chain of runs, each SIGKILLed at the next point and rerun by the
    next link, then one run to the end: its tables and verdict are the uninterrupted run's.
    Each link is the rerun of the one before (so a point that loses work or a verdict shows at
    the end). Every other rerun, and the last, starts without dlt's working folder."""
    reference, expected = uninterrupted(backend)
    project = new_project(backend, OVERRIDES)
    stage_slice(project.drop)
    with webhook_server() as hook:
        for position, point in enumerate(POINTS):
            if position % 2:
                shutil.rmtree(project.root / "data" / "pipelines", ignore_errors=True)
            killed = project.cli_killed_at(
                point, "run", "--as-of", AS_OF, env={"ALERTS__WEBHOOK_URL": hook}
            )
            assert killed.returncode == -signal.SIGKILL, (point, killed.stdout + killed.stderr)
        shutil.rmtree(project.root / "data" / "pipelines", ignore_errors=True)
        Webhook.received.clear()  # what the killed runs sent, if they got that far
        rerun = run(project, hook)
        got = verdict(project, rerun)
    assert got == expected, rerun.stdout[-4000:] + rerun.stderr
    assert_same_tables(snapshot(project, TABLES), snapshot(reference, TABLES))
    # No landing is left half-done: every raw file belongs to a committed manifest.
    if project.backend == "duckdb":
        markers = list((project.raw / "_manifests").glob("*.landing"))
        committed = {p.stem for p in (project.raw / "_manifests").glob("*.json")}
        files = list(project.raw.rglob("*.parquet"))
        assert markers == []
        assert {p.name.rsplit("-", 1)[0] for p in files} <= committed


def test_no_process_of_a_killed_run_outlives_it(new_project) -> None:
    """SQLMesh loads the project in forked workers; the run is killed right after its first
    fork, and nothing of its session may remain."""
    project = new_project("duckdb", OVERRIDES)
    stage_slice(project.drop)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    child = armed_run(
        project, {"MARKETFLOW_KILL_AT": "process.fork#1"}, start_new_session=True, **quiet
    )
    assert child.wait(timeout=300) == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while (left := session_processes(child.pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for line in left:  # do not leave them behind for the next test either
        os.kill(int(line.split(":")[0]), signal.SIGKILL)
    assert left == []


def test_one_run_at_a_time_per_warehouse(new_project, backend: str) -> None:
    """A run that finds the warehouse held waits its bounded time, exits 1 naming the holder,
    and its ops.runs row is written all the same."""
    project = new_project(backend, {**OVERRIDES, "run_lock_wait_seconds": 1})
    stage_slice(project.drop)
    release = project.root / "release"
    holder = armed_run(
        project,
        {"MARKETFLOW_PAUSE_AT": "sqlmesh.batch#3:300", "MARKETFLOW_RELEASE_FILE": str(release)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first_line = _line_with(holder, "(run ")  # "marketflow run: warehouse ... (run <id>)"
        holder_id = first_line.rsplit("(run ", 1)[1].split(")")[0]
        _line_with(holder, "paused at sqlmesh.batch")
        second = project.cli("run", "--as-of", AS_OF, check=False)
        assert holder.poll() is None, "the holder ended before the second run tried"
    finally:
        release.touch()
        output = holder.communicate(timeout=600)[0]
    assert holder.returncode == 3, output  # the slice's verdict: the planted step
    assert second.returncode == 1, second.stdout + second.stderr
    message = " ".join(second.stderr.split())
    assert "is held by another run" in message and holder_id in message, second.stderr
    runs = project.query(
        "SELECT run_id, status, exit_code, error FROM ops.runs ORDER BY started_at"
    )
    assert runs["run_id"].iloc[0] == holder_id
    refused = runs[runs["run_id"] != holder_id]
    assert refused[["status", "exit_code"]].values.tolist() == [["failed", 1]]
    assert holder_id in refused["error"].iloc[0]


def _line_with(process: subprocess.Popen, text: str) -> str:
    """The first line of the process's output containing `text` (fails if it ends before)."""
    while line := process.stdout.readline():
        if text in line:
            return line
    raise AssertionError(f"the process ended before printing {text!r}")
