"""The fault injector of the crash-safety tests: `python -m dev.faults <marketflow args>` runs the
CLI with its checkpoints armed. `MARKETFLOW_KILL_AT=<point>[#<n>]` makes the process SIGKILL
itself the n-th time (default 1st) it passes <point>: no signal handler, no cleanup, no flush,
exactly what a killed runner or an out-of-memory kill does.

Points (pipelines/checkpoints.py): raw.file (after a raw file is written), bronze.job (after
dlt completes a load job), sqlmesh.batch (after SQLMesh evaluates a model batch).
"""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter
from collections.abc import Callable

from pipelines import checkpoints
from pipelines.cli import main


def killer(target: str) -> Callable[[str], None]:
    """A checkpoint hook that kills the process at `target` (`point` or `point#n`)."""
    name, _, nth = target.partition("#")
    passed: Counter[str] = Counter()

    def hook(point: str) -> None:
        if point != name:
            return
        passed[point] += 1
        if passed[point] == int(nth or 1):
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


if __name__ == "__main__":
    target = os.environ.get("MARKETFLOW_KILL_AT")
    if target:
        checkpoints.arm(killer(target))
    sys.argv[0] = "marketflow"
    main()
