"""The fault injector of the crash-safety tests: `python -m dev.faults <marketflow args>` runs the
CLI with its checkpoints armed. `MARKETFLOW_KILL_AT=<point>[#<n>]` makes the process SIGKILL
itself the n-th time (default 1st) it passes <point>: no signal handler, no cleanup, no flush,
exactly what a killed runner or an out-of-memory kill does.

`MARKETFLOW_PAUSE_AT=<point>[#<n>]:<seconds>` makes it wait there instead (a run that holds
its warehouse for as long as a test needs): it writes `paused at <point>` to stderr, then waits
the seconds, or until the file `MARKETFLOW_RELEASE_FILE` names exists.
`MARKETFLOW_COUNT_POINTS=<file>` writes how often each point was passed to <file> (JSON) when
the process ends: the soak draws its kills from it.

Points: those of pipelines/checkpoints.py (one at each stage boundary, listed there), and
`process.fork`: right after the process forks a child (SQLMesh's project-loading workers), so
a test can show that no child outlives a killed run.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from pipelines import checkpoints
from pipelines.cli import main


def at(target: str, action: Callable[[], None]) -> Callable[[str], None]:
    """A checkpoint hook that calls `action` at `target` (`point` or `point#n`)."""
    name, _, nth = target.partition("#")
    passed: Counter[str] = Counter()

    def hook(point: str) -> None:
        if point != name:
            return
        passed[point] += 1
        if passed[point] == int(nth or 1):
            action()

    return hook


def killer(target: str) -> Callable[[str], None]:
    """A checkpoint hook that SIGKILLs the process at `target`."""
    return at(target, lambda: os.kill(os.getpid(), signal.SIGKILL))


def pauser(spec: str, release: str | None = None) -> Callable[[str], None]:
    """A checkpoint hook that waits at `target:seconds`, or until the file `release` exists."""
    target, _, seconds = spec.rpartition(":")

    def wait() -> None:
        print(f"paused at {target}", file=sys.stderr, flush=True)
        deadline = time.monotonic() + float(seconds)
        while time.monotonic() < deadline and not (release and Path(release).exists()):
            time.sleep(0.1)

    return at(target, wait)


if __name__ == "__main__":
    target, pause = os.environ.get("MARKETFLOW_KILL_AT"), os.environ.get("MARKETFLOW_PAUSE_AT")
    if target:
        hook = killer(target)
        checkpoints.arm(hook)
        os.register_at_fork(after_in_parent=lambda: hook("process.fork"))
    elif pause:
        checkpoints.arm(pauser(pause, os.environ.get("MARKETFLOW_RELEASE_FILE")))
    elif counts_file := os.environ.get("MARKETFLOW_COUNT_POINTS"):
        counts: Counter[str] = Counter()
        checkpoints.arm(lambda point: counts.update([point]))
        atexit.register(lambda: Path(counts_file).write_text(json.dumps(counts)))
    sys.argv[0] = "marketflow"
    main()
