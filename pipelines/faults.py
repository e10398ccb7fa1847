"""Crash points for the crash-safety tests: `MARKETFLOW_KILL_AT=<point>[#<n>]` makes the
process SIGKILL itself the n-th time (default 1st) it passes <point>. No signal handler, no
cleanup, no flush: exactly what a killed runner or an out-of-memory kill does. Unset (always,
outside the tests) a checkpoint costs one dictionary lookup.

Points: raw.file (after a raw file is written), bronze.job (after dlt completes a load job),
sqlmesh.batch (after SQLMesh evaluates a model batch).
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_passed: Counter[str] = Counter()


def checkpoint(point: str) -> None:
    target = os.environ.get("MARKETFLOW_KILL_AT")
    if not target:
        return
    name, _, nth = target.partition("#")
    if name != point:
        return
    _passed[point] += 1
    if _passed[point] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
