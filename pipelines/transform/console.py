"""What a run shows of SQLMesh: one progress bar over the model batches and, at the end, how
many ran and the slowest; the failed models' errors. SQLMesh's own text (plan trees, per-model
lines, "No models are ready to run ... next run at 12:00AM UTC", restatement warnings) only
with --verbose. A crash point after each batch, either way."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from rich.console import Console as RichConsole
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlmesh.core.console import NoopConsole, TerminalConsole

from pipelines.checkpoints import checkpoint
from pipelines.warehouse.sqlmesh import schema_table

logger = logging.getLogger(__name__)
SLOWEST = 3


class VerboseConsole(TerminalConsole):
    """SQLMesh's terminal console without the model-by-model plan diffs."""

    def show_environment_difference_summary(self, *args: Any, **kwargs: Any) -> None:
        pass

    def update_snapshot_evaluation_progress(self, *args: Any, **kwargs: Any) -> None:
        super().update_snapshot_evaluation_progress(*args, **kwargs)
        checkpoint("sqlmesh.batch")

    def show_model_difference_summary(self, *args: Any, **kwargs: Any) -> None:
        pass

    def account(self) -> str | None:
        return None  # SQLMesh has said it all


class QuietConsole(NoopConsole):
    """MarketFlow's own display of a transform: models done/total, then a one-line account."""

    def __init__(self, console: RichConsole) -> None:
        super().__init__()
        self.console = console
        self._errors = TerminalConsole(console=console)  # SQLMesh's formatting of a failure
        self._progress: Progress | None = None
        self.batches = 0
        self.seconds: dict[str, float] = defaultdict(float)  # model -> time spent

    def start_evaluation_progress(self, batched_intervals: dict, *args: Any, **kwargs: Any) -> None:
        total = sum(len(intervals) for intervals in batched_intervals.values())
        self._progress = Progress(
            TextColumn("  models"), BarColumn(), MofNCompleteColumn(),
            console=self.console, transient=True,
        )  # fmt: skip
        self._task = self._progress.add_task("models", total=total)
        self._progress.start()

    def update_snapshot_evaluation_progress(
        self, snapshot: Any, interval: Any, batch_idx: int, duration_ms: int | None, *args: Any,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        self.batches += 1
        self.seconds[schema_table(snapshot.name)] += (duration_ms or 0) / 1e3
        if self._progress is not None:
            self._progress.advance(self._task)
        checkpoint("sqlmesh.batch")

    def stop_evaluation_progress(self, success: bool = True) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def account(self) -> str | None:
        """`23 model batches, 7.0 s summed; slowest: gold.features_windowed 2.1 s, ...` (None:
        none). Summed, not wall time: SQLMesh evaluates batches side by side on PostgreSQL."""
        if not self.batches:
            return None
        slowest = sorted(self.seconds.items(), key=lambda kv: -kv[1])[:SLOWEST]
        named = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in slowest)
        total = sum(self.seconds.values())
        return f"{self.batches} model batches, {total:.1f} s summed; slowest: {named}"

    def log_failed_models(self, errors: list) -> None:
        self._errors.log_failed_models(errors)

    def log_error(self, message: str, *args: Any, **kwargs: Any) -> None:
        self._errors.log_error(message)

    def log_warning(self, short_message: str, long_message: str | None = None) -> None:
        logger.info("SQLMesh: %s", long_message or short_message)  # --verbose shows them


def transform_console(rich_console: RichConsole, verbose: bool = False) -> Any:
    return VerboseConsole(console=rich_console) if verbose else QuietConsole(rich_console)
