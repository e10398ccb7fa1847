"""Wall time and peak RSS of one command, and the stage timings a `marketflow` run prints."""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# "...; 10.5s (ingest → raw 0.5s, ..., bronze → silver → gold (SQLMesh) 6.2s, checks 2.1s)"
STAGE = re.compile(r"(?:^|, )(.+?) (\d+(?:\.\d+)?)s(?=, |$)")


@dataclass
class Measure:
    seconds: float
    peak_mb: float
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def outside_stages(self) -> float:
        """Start-up, planning and the summary: the wall time no stage accounts for."""
        return self.seconds - sum(self.stages.values())


def stages_of(output: str) -> dict[str, float]:
    """The run summary's stage timings, {stage: seconds}."""
    text = " ".join(line.strip() for line in output.splitlines() if line.strip())
    summary = text.split("Summary:", 1)[-1]
    if "s (" not in summary:
        return {}
    inside = summary.split("s (", 1)[1].split("s)", 1)[0] + "s"
    return {name: float(seconds) for name, seconds in STAGE.findall(inside)}


def run_measured(command: list[str], env: dict[str, str], cwd: Path) -> Measure:
    """Run a command to its end; its wall time and the peak resident set size of its process
    tree's largest process (ru_maxrss of the waited child). Exits naming the command if it
    fails."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, **env, "COLUMNS": "160"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output[-4000:]}")
    return Measure(seconds, usage.ru_maxrss / 1024, stages_of(output))


def marketflow(args: list[str], env: dict[str, str], cwd: Path) -> Measure:
    return run_measured([sys.executable, "-m", "pipelines.cli", *args], env, cwd)


def in_fresh_process(function: Callable[..., Any], *args: Any) -> Any:
    """function(*args) in a new interpreter. What it holds (millions of rows) must not stay in
    this process: Linux reports a child's peak RSS as at least its parent's at the fork, so
    every later measurement would read high."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(function, *args).result()
