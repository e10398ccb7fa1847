"""Named points a run passes (after a raw file, a bronze load job, a SQLMesh batch).

In the product they do nothing. The crash-safety tests arm them (dev/faults.py) to kill the
process at an exact point, which is how a killed run is shown to converge on rerun. Points:
`raw.file`, `bronze.job`, `sqlmesh.batch`.
"""

from __future__ import annotations

from collections.abc import Callable

_hook: Callable[[str], None] | None = None


def checkpoint(point: str) -> None:
    """Tell the armed hook, if any, that the run passed `point`."""
    if _hook is not None:
        _hook(point)


def arm(hook: Callable[[str], None] | None) -> None:
    """Install (or, with None, remove) the hook every checkpoint calls."""
    global _hook
    _hook = hook
