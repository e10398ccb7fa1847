"""Soda v4 contracts (checks/**/*.yml) verified against the warehouse, as CheckResults.

The contracts hold the checks; this module supplies what they cannot know: the data source (the
warehouse layer's), when bars are due by the exchange calendar (the "now" of the freshness
checks), the thresholds and reviewed events of config.yaml, the bar rules and quarantine reasons
(pipelines/analytics/bar_rules.py), and each check's severity (config.yaml over the contract's
`severity` attribute, `fail` by default).

Which contracts a run ends with comes from the contracts themselves: those that declare the
SINCE variable are windowed (they check the sessions a run restated, so their cost follows the
new data), those that declare a due time judge freshness; `marketflow check` runs them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from soda_core.contracts import verify_contract_locally

from pipelines.checkpoints import checkpoint
from pipelines.config import ConfigError, Project
from pipelines.config.loader import read_yaml
from pipelines.quality.contract_variables import WHOLE_HISTORY, WINDOW_VARIABLE, variables
from pipelines.quality.freshness import due_text, due_times, skip_reason
from pipelines.quality.results import CheckResult
from pipelines.warehouse.engines import Warehouse

CONTRACTS = "checks"  # under the project folder, beside models/
LAYERS = ("bronze", "silver", "gold")
DATA_SOURCE = "marketflow"
EXAMPLES = 3  # failing rows shown in a failed_rows check's detail
DUE_VARIABLES = ("DAILY_DUE", "MINUTE_DUE", "DUE_SESSION")  # DUE_SESSION: a date
_VARIABLE = re.compile(r"\$\{ *var\.([A-Za-z_][A-Za-z_0-9]*) *\}")


@dataclass(frozen=True)
class Contract:
    path: Path
    body: dict[str, Any]

    @property
    def table(self) -> str:
        return ".".join(self.body["dataset"].split("/")[-2:])

    @property
    def declared(self) -> set[str]:
        return set(self.body.get("variables") or {})

    @property
    def windowed(self) -> bool:
        """It checks only the sessions from SINCE on: a run can afford it after every run."""
        return WINDOW_VARIABLE in self.declared

    @property
    def judges_freshness(self) -> bool:
        return bool(self.declared & set(DUE_VARIABLES))

    def checks(self) -> Iterator[dict]:
        for entry in self.body.get("checks") or []:
            yield from (body or {} for body in entry.values())
        for column in self.body.get("columns") or []:
            for entry in column.get("checks") or []:
                yield from (body or {} for body in entry.values())

    def check(self, name: str) -> dict:
        return next((c for c in self.checks() if c.get("name") == name), {})


def contracts(project: Project) -> list[Contract]:
    """Every contract, bronze then silver then gold."""
    folder = project.path(CONTRACTS)
    if not folder.is_dir() or not any(folder.rglob("*.yml")):
        raise ConfigError(f"{folder}: no Soda contracts (checks/**/*.yml) in the project folder")
    paths = sorted(
        folder.rglob("*.yml"),
        key=lambda p: (LAYERS.index(p.parent.name) if p.parent.name in LAYERS else 9, p.name),
    )
    return [Contract(p, read_yaml(p)) for p in paths]


def check_names(project: Project) -> set[str]:
    return {check["name"] for contract in contracts(project) for check in contract.checks()}


def validate_severity(project: Project) -> None:
    """A severity for a check no contract defines is a typo: exit 2 naming it."""
    unknown = sorted(set(project.settings.checks.severity) - check_names(project))
    if unknown:
        raise ConfigError(
            f"{project.config_path}: variables.marketflow.checks.severity: no contract in "
            f"checks/ defines {', '.join(map(repr, unknown))}"
        )


def run_contracts(
    project: Project,
    now: datetime,
    scope: str = "all",
    since: date = WHOLE_HISTORY,
    fresh_intervals: Sequence[str] | None = None,
    only: Sequence[str] | None = None,
) -> list[CheckResult]:
    """Verify the contracts as of `now`: `scope` all, run (the windowed and freshness ones)
    or freshness; `only` a few paths under checks/ instead. Windowed contracts check the
    sessions from `since` on. Freshness is judged for `fresh_intervals` (default: every
    interval; a run passes the ones it refreshed)."""
    validate_severity(project)
    chosen = [
        c
        for c in contracts(project)
        if (only and c.path.relative_to(project.path(CONTRACTS)).as_posix() in only)
        or (not only and _in_scope(c, scope))
    ]
    values = variables(project, now, since)
    due = due_times(project, now)
    results: list[CheckResult] = []
    for contract in chosen:
        results.extend(_verify(project, contract, values, due, fresh_intervals))
        checkpoint("checks.contract")
    return results


def _in_scope(contract: Contract, scope: str) -> bool:
    if scope == "all":
        return True
    if scope == "freshness":
        return contract.judges_freshness
    if scope == "run":
        return contract.judges_freshness or contract.windowed
    raise ValueError(f"scope {scope!r}: all, run or freshness")


def _verify(
    project: Project,
    contract: Contract,
    values: dict[str, str],
    due: dict[str, datetime | None],
    fresh_intervals: Sequence[str] | None,
) -> list[CheckResult]:
    session = verify_contract_locally(
        data_sources=[Warehouse.of(project).soda_data_source(DATA_SOURCE)],
        contract_file_path=str(contract.path),
        variables=values,
    )
    errors = session.get_errors_str()
    results = []
    for verification in session.contract_verification_results:
        for outcome in verification.check_results:
            result = _result(project, contract, outcome, values, due, fresh_intervals, errors)
            results.append(result)
    if not results:  # the contract could not even be parsed or run
        name = contract.path.relative_to(project.path(CONTRACTS))
        detail = _first_line(errors) or "no result"
        results.append(
            CheckResult(f"contract {name}", contract.table, "fail", False, None, "", detail)
        )
    return results


def _result(
    project: Project,
    contract: Contract,
    outcome: Any,
    values: dict[str, str],
    due: dict[str, datetime | None],
    fresh_intervals: Sequence[str] | None,
    errors: str,
) -> CheckResult:
    check = outcome.check
    interval = (check.attributes or {}).get("interval")
    skip = skip_reason(project, interval, due[interval]) if interval else ""
    if interval and not skip and fresh_intervals is not None and interval not in fresh_intervals:
        skip = f"this run did not refresh {interval} bars (a backfill or --interval)"
    severity = project.settings.checks.severity.get(
        check.name, (check.attributes or {}).get("severity", "fail")
    )
    state = outcome.outcome.name  # PASSED | FAILED | NOT_EVALUATED | ...
    detail = skip
    if not skip and state == "FAILED" and check.type == "failed_rows":
        detail = _examples(project, contract, check.name, values)
    elif not skip and state == "NOT_EVALUATED":
        detail = _first_line(errors) or "not evaluated"
    elif not skip and check.type == "freshness" and interval:
        detail = due_text(project, interval, due[interval])
    return CheckResult(
        name=check.name,
        table=contract.table,
        severity=severity,
        passed=bool(skip) or state == "PASSED",
        value=None if skip else _number(outcome.threshold_value),
        threshold=_threshold(check, contract),
        detail=detail,
        skipped=bool(skip),
    )


def _examples(project: Project, contract: Contract, name: str, values: dict[str, str]) -> str:
    """The first few rows (by ticker, then date, then interval) a failed_rows check found, so
    the report says where to look."""
    body = contract.check(name)
    if body.get("query"):
        failed = f"({_resolve(body['query'], values)}) AS failed"
    elif body.get("expression"):
        where = f"({_resolve(body['expression'], values)})"
        if contract.body.get("filter"):
            where += f" AND ({_resolve(contract.body['filter'], values)})"
        failed = f"(SELECT * FROM {contract.table} WHERE {where}) AS failed"
    else:
        return ""
    warehouse = Warehouse.of(project)
    try:
        columns = warehouse.fetch(f"SELECT * FROM {failed} LIMIT 0")[0]
        day = next((c for c in ("session_date", "bar_date", "ts") if c in columns), None)
        keys = [c for c in ("ticker", day, "interval", "reason") if c in columns]
        order = ", ".join(keys[:3]) or "1"
        columns, rows = warehouse.fetch(f"SELECT * FROM {failed} ORDER BY {order} LIMIT {EXAMPLES}")
    except Exception as exc:  # the count stands; the examples are a courtesy
        return f"(examples unavailable: {_first_line(str(exc))})"
    shown = [", ".join(str(row[columns.index(k)]) for k in keys) for row in rows]
    return "e.g. " + "; ".join(shown) if shown else ""


def _resolve(text: str, values: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


_OPERATORS = {
    "must be greater than or equal": ">=",
    "must be greater than": ">",
    "must be less than or equal": "<=",
    "must be less than": "<",
    "must be": "=",
    "must not be": "!=",
}


def _threshold(check: Any, contract: Contract) -> str:
    """Soda's 'must be less than: 12' as '< 12 hour'."""
    text = str(check.threshold or "").replace("level: fail", "").replace("level: warn", "")
    parts = []
    for line in filter(None, (part.strip() for part in text.splitlines())):
        words, _, number = line.rpartition(":")
        parts.append(f"{_OPERATORS.get(words.strip(), words.strip())} {number.strip()}")
    unit = (contract.check(check.name).get("threshold") or {}).get("unit", "")
    return " and ".join(parts) + (f" {unit}" if unit and parts else "")


def _number(value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int | float) else None


def _first_line(text: str) -> str:
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
