"""The one result type of every check: a row count, a Soda contract's check, a freshness."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class CheckResult:
    """A check's outcome. A failing `fail` check makes `marketflow check` (and `run`) exit 3, a
    failing `warn` one is reported only; a check that does not apply is `skip`, with why."""

    name: str
    table: str
    severity: str  # fail | warn
    passed: bool
    value: float | int | None
    threshold: str
    detail: str = ""
    skipped: bool = False

    @property
    def status(self) -> str:
        if self.skipped:
            return "skip"
        return "pass" if self.passed else self.severity

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}


def problems(results: list[CheckResult]) -> list[CheckResult]:
    """The checks that warn or fail: what `check --problems` and a run's table show."""
    return [r for r in results if r.status in ("warn", "fail")]


def failed(results: list[CheckResult]) -> list[CheckResult]:
    """The failing fail-level checks: what makes a command exit 3."""
    return [r for r in results if not r.passed and r.severity == "fail"]
