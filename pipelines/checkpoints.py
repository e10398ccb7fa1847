"""Named points a run passes, one at each stage boundary: `checkpoint("raw.file")` and so on.
The list, with where each sits, is in docs/operations.md (Reliability).

In the product they do nothing. The crash-safety tests and the soak (bench/soak.py) arm them
(dev/faults.py) to SIGKILL the process at an exact point, which is how a killed run is shown to
converge on rerun.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

_hook: Callable[[str], None] | None = None


def checkpoint(point: str) -> None:
    """Tell the armed hook, if any, that the run passed `point`."""
    # Through sys.modules, not the global: SQLMesh may serialise a Python model's imports by
    # value (a project whose root holds this package), and the copy must see the armed hook.
    hook = getattr(sys.modules.get("pipelines.checkpoints"), "_hook", None)
    if hook is not None:
        hook(point)


def arm(hook: Callable[[str], None] | None) -> None:
    """Install (or, with None, remove) the hook every checkpoint calls."""
    global _hook
    _hook = hook
