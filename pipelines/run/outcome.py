"""The exit-code policy of every command, in one place: what each outcome and each failure
means to a scheduler. The command line only prints what it is told and exits with the code.

0 success; 1 a runtime failure (a service down, a file refused, a ticker or a shard that
failed, a bug);
2 invalid configuration or arguments (the message names the key or flag); 3 a data-quality
check of severity `fail` failed; 4 no session for this slot (`marketflow calendar` only).
"""

from __future__ import annotations

from enum import IntEnum

from pipelines.config import ConfigError
from pipelines.ingest.raw_store import RawStoreError
from pipelines.report.site import ReportError
from pipelines.run.shards import ShardsIncomplete
from pipelines.transform.driver import TransformError
from pipelines.warehouse.engines import WarehouseUnavailable


class ExitCode(IntEnum):
    OK = 0
    RUNTIME = 1
    CONFIG = 2
    DATA_QUALITY = 3
    NO_SESSION = 4


# Failures whose message already says what happened and what to check.
EXPLAINED = (RawStoreError, TransformError, WarehouseUnavailable, ReportError, ShardsIncomplete)


def classify(exc: BaseException) -> tuple[int, str]:
    """(exit code, message) of a failure that ended a command."""
    exc = getattr(exc, "failure", exc)  # a failure the run log already holds
    if isinstance(exc, ConfigError):
        return ExitCode.CONFIG, str(exc)
    if isinstance(exc, EXPLAINED):
        return ExitCode.RUNTIME, str(exc)
    return ExitCode.RUNTIME, describe(exc)


def describe(exc: BaseException) -> str:
    """The innermost meaningful message of a chain (dlt wraps errors several times)."""
    messages = []
    current: BaseException | None = exc
    while current is not None:
        messages.append(f"{type(current).__name__}: {current}".strip())
        current = current.__cause__ or current.__context__
    if len(messages) == 1:
        return messages[0]
    return f"{messages[0].splitlines()[0]}\n  cause: {messages[-1]}"


def run_exit_code(
    rejected_files: int,
    failed_tickers: int,
    tolerated: int,
    failed_checks: int,
    failed_shards: int = 0,
) -> int:
    """A pipeline run's code: a refused file, too many failed tickers or a shard of the
    session that failed or never reported is a runtime failure (the rest loaded, but the run
    is not complete), then a failed check is a data-quality one."""
    if rejected_files or failed_tickers > tolerated or failed_shards:
        return ExitCode.RUNTIME
    if failed_checks:
        return ExitCode.DATA_QUALITY
    return ExitCode.OK
