"""Soda v4 contracts (checks/**/*.yml) run against the warehouse, as CheckResults.

The contracts hold the checks; this module only supplies what they cannot know: the data
source (the project's DuckDB file or PostgreSQL database), when bars are due by the exchange
calendar (the "now" of the freshness checks), the thresholds and reviewed events of
config.yaml, and each check's severity (config.yaml over the contract's `severity` attribute,
`fail` by default).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from pipelines import calendar as exchange_calendar
from pipelines.config import ConfigError, FilesProvider, Project

CONTRACTS = "checks"  # under the project folder, beside models/
FRESHNESS_CONTRACT = "bronze/freshness.yml"
# What a run ends with, over the sessions it restated (SINCE): the faults new data can bring.
# `marketflow check` runs every contract over the whole history.
RUN_CONTRACTS = (
    FRESHNESS_CONTRACT,
    "silver/quarantine.yml",
    "silver/missing_sessions.yml",
    "silver/bars_daily_continuous.yml",
)
WHOLE_HISTORY = date(1900, 1, 1)
DATA_SOURCE = "marketflow"
EXAMPLES = 3  # failing rows shown in a failed_rows check's detail
_VARIABLE = re.compile(r"\$\{ *var\.([A-Za-z_][A-Za-z_0-9]*) *\}")


@dataclass(frozen=True)
class ContractCheck:
    """One check of one contract, as Soda reported it."""

    name: str
    table: str
    severity: str
    outcome: str  # PASSED | FAILED | NOT_EVALUATED | ...
    value: float | int | None
    threshold: str
    detail: str = ""
    skipped: bool = False


LAYERS = ("bronze", "silver", "gold")


def contract_paths(project: Project, only: Sequence[str] | None = None) -> list[Path]:
    folder = project.path(CONTRACTS)
    if not folder.is_dir() or not any(folder.rglob("*.yml")):
        raise ConfigError(f"{folder}: no Soda contracts (checks/**/*.yml) in the project folder")
    if only:
        return [folder / name for name in only]
    return sorted(
        folder.rglob("*.yml"),
        key=lambda p: (LAYERS.index(p.parent.name) if p.parent.name in LAYERS else 9, p.name),
    )


def check_names(project: Project) -> set[str]:
    names = set()
    for path in contract_paths(project):
        contract = yaml.safe_load(path.read_text())
        for check in _checks(contract):
            names.add(check["name"])
    return names


def _checks(contract: dict) -> Iterator[dict]:
    for entry in contract.get("checks") or []:
        yield from (body or {} for body in entry.values())
    for column in contract.get("columns") or []:
        for entry in column.get("checks") or []:
            yield from (body or {} for body in entry.values())


def due_times(project: Project, now: datetime) -> dict[str, datetime | None]:
    """When the latest daily and 1-minute bars are due at `now`, by the exchange calendar."""
    settings = project.settings
    fresh = settings.checks.freshness
    zone = ZoneInfo(settings.exchange.timezone)
    session = exchange_calendar.expected_daily_session(
        settings.exchange.calendar, now, timedelta(minutes=fresh.daily_grace_minutes)
    )
    minute = exchange_calendar.expected_minute(
        settings.exchange.calendar, now, timedelta(minutes=fresh.intraday_delay_minutes)
    )
    return {
        # Daily bars are keyed at 00:00 of their session in the exchange's zone.
        "1d": datetime.combine(session, time(0), zone).astimezone(UTC) if session else None,
        "1m": minute,
    }


def freshness_skip(project: Project, interval: str, due: datetime | None) -> str:
    """Why the freshness of `interval` is not judged ('' when it is)."""
    settings = project.settings
    provider_name = settings.intervals.get(interval)  # type: ignore[call-overload]
    if provider_name is None:
        return f"no provider serves {interval} (intervals in config.yaml)"
    provider = settings.providers[provider_name]
    if not provider.freshness:
        kind = "a historical drop folder" if isinstance(provider, FilesProvider) else "a provider"
        return (
            f"provider {provider_name!r} is {kind} with freshness: false "
            f"(providers.{provider_name}.freshness)"
        )
    if due is None:
        return "the calendar has no closed session yet"
    return ""


def variables(project: Project, now: datetime, since: date = WHOLE_HISTORY) -> dict[str, str]:
    checks = project.settings.checks
    due = due_times(project, now)
    known = ", ".join(
        "'" + f"{k.ticker} {k.session.isoformat()}".replace("'", "''") + "'"
        for k in checks.known_price_steps
    )
    return {
        "DATABASE": _database(project),
        "DAILY_DUE": (due["1d"] or datetime(1970, 1, 1, tzinfo=UTC)).isoformat(),
        "MINUTE_DUE": (due["1m"] or datetime(1970, 1, 1, tzinfo=UTC)).isoformat(),
        "PRICE_STEP": repr(float(checks.price_step)),
        "VOLUME_STEP": repr(float(checks.volume_step)),
        "STALE_SESSIONS": str(int(checks.stale_after_sessions)),
        "KNOWN_STEPS": known or "''",
        "SINCE": since.isoformat(),
    }


def _database(project: Project) -> str:
    wh = project.warehouse
    if wh.engine == "duckdb":
        assert wh.duckdb_path is not None
        return wh.duckdb_path.stem  # DuckDB names the catalog after the file
    return wh.database


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
    only: Sequence[str] | None = None,
    since: date = WHOLE_HISTORY,
    fresh_intervals: Sequence[str] | None = None,
) -> list[ContractCheck]:
    """Verify the contracts (all, or `only`, paths under checks/) as of `now`, over the
    sessions from `since` on where a contract is windowed. Freshness is judged for
    `fresh_intervals` (default: every interval; a run passes the ones it refreshed)."""
    from soda_core.contracts import verify_contract_locally  # noqa: F401  (plugins load after)

    validate_severity(project)
    values = variables(project, now, since)
    due = due_times(project, now)
    results: list[ContractCheck] = []
    for path in contract_paths(project, only):
        results.extend(_verify(project, path, values, due, fresh_intervals))
    return results


def _verify(
    project: Project,
    path: Path,
    values: dict[str, str],
    due: dict[str, datetime | None],
    fresh_intervals: Sequence[str] | None = None,
) -> list[ContractCheck]:
    from soda_core.contracts import verify_contract_locally

    contract = yaml.safe_load(path.read_text())
    table = ".".join(contract["dataset"].split("/")[-2:])
    session = verify_contract_locally(
        data_sources=[_data_source(project)],
        contract_file_path=str(path),
        variables=values,
    )
    errors = session.get_errors_str()
    results = []
    for verification in session.contract_verification_results:
        for outcome in verification.check_results:
            check = outcome.check
            interval = (check.attributes or {}).get("interval")
            skip = freshness_skip(project, interval, due[interval]) if interval else ""
            refreshed = fresh_intervals is None or interval in fresh_intervals
            if interval and not skip and not refreshed:
                skip = f"this run did not refresh {interval} bars (a backfill or --interval)"
            severity = project.settings.checks.severity.get(
                check.name, (check.attributes or {}).get("severity", "fail")
            )
            detail = skip
            if not skip and outcome.outcome.name == "FAILED" and check.type == "failed_rows":
                detail = _examples(project, contract, check.name, values)
            elif not skip and outcome.outcome.name == "NOT_EVALUATED":
                detail = _first_line(errors) or "not evaluated"
            elif not skip and check.type == "freshness" and interval:
                detail = _due_text(project, interval, due[interval])
            results.append(
                ContractCheck(
                    name=check.name,
                    table=table,
                    severity=severity,
                    outcome=outcome.outcome.name,
                    value=None if skip else _number(outcome.threshold_value),
                    threshold=_threshold(check, contract),
                    detail=detail,
                    skipped=bool(skip),
                )
            )
    if not results:  # the contract could not even be parsed or run
        results.append(
            ContractCheck(
                name=f"contract {path.relative_to(project.path(CONTRACTS))}",
                table=table,
                severity="fail",
                outcome="NOT_EVALUATED",
                value=None,
                threshold="",
                detail=_first_line(errors) or "no result",
            )
        )
    return results


def _data_source(project: Project) -> Any:
    wh = project.warehouse
    if wh.engine == "duckdb":
        import duckdb
        from soda_duckdb.common.data_sources.duckdb_data_source import DuckDBDataSourceImpl
        from soda_duckdb.common.data_sources.duckdb_data_source_connection import (
            DuckDBDataSource,
        )

        # The process's own configuration (not read_only), so it can share the file with a
        # connection SQLMesh or dlt still holds; Soda closes it when done.
        connection = duckdb.connect(str(wh.duckdb_path))
        connection.execute("SET TimeZone = 'UTC'")  # not the machine's zone
        model = DuckDBDataSource(name=DATA_SOURCE, connection={"duckdb_connection": connection})
        return DuckDBDataSourceImpl(data_source_model=model)
    from soda_postgres.common.data_sources.postgres_data_source import PostgresDataSourceImpl
    from soda_postgres.common.data_sources.postgres_data_source_connection import (
        PostgresDataSource,
    )

    model = PostgresDataSource(
        name=DATA_SOURCE,
        connection={
            "host": wh.host,
            "port": wh.port,
            "database": wh.database,
            "user": wh.user,
            "password": wh.password,
        },
    )
    return PostgresDataSourceImpl(data_source_model=model)


def _examples(project: Project, contract: dict, name: str, values: dict[str, str]) -> str:
    """A few of the rows a failed_rows check found, so the report says where to look."""
    table = ".".join(contract["dataset"].split("/")[-2:])
    body = next((c for c in _checks(contract) if c.get("name") == name), {})
    if body.get("query"):
        sql = f"SELECT * FROM ({_resolve(body['query'], values)}) AS failed LIMIT {EXAMPLES}"
    elif body.get("expression"):
        where = f"({_resolve(body['expression'], values)})"
        if contract.get("filter"):
            where += f" AND ({_resolve(contract['filter'], values)})"
        sql = f"SELECT * FROM {table} WHERE {where} LIMIT {EXAMPLES}"
    else:
        return ""
    try:
        columns, rows = project.warehouse.fetch(sql)
    except Exception as exc:  # the count stands; the examples are a courtesy
        return f"(examples unavailable: {_first_line(str(exc))})"
    day = next((c for c in ("session_date", "bar_date") if c in columns), "ts")
    keys = [c for c in ("ticker", day, "interval", "reason") if c in columns]
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


def _threshold(check: Any, contract: dict) -> str:
    """Soda's 'must be less than: 12' as '< 12 hour'."""
    text = str(check.threshold or "").replace("level: fail", "").replace("level: warn", "")
    parts = []
    for line in filter(None, (part.strip() for part in text.splitlines())):
        words, _, number = line.rpartition(":")
        parts.append(f"{_OPERATORS.get(words.strip(), words.strip())} {number.strip()}")
    body = next((c for c in _checks(contract) if c.get("name") == check.name), {})
    unit = (body.get("threshold") or {}).get("unit", "")
    return " and ".join(parts) + (f" {unit}" if unit and parts else "")


def _number(value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int | float) else None


def _due_text(project: Project, interval: str, moment: datetime | None) -> str:
    if moment is None:
        return "nothing due yet"
    local = moment.astimezone(ZoneInfo(project.settings.exchange.timezone))
    if interval == "1d":
        return f"due: the bar of session {local.date().isoformat()}"
    return f"due: the minute of {local.strftime('%Y-%m-%d %H:%M %Z')}"


def _first_line(text: str) -> str:
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
