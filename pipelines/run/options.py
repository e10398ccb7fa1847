"""What a run is asked to do (RunOptions), checked against config.yaml."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from pipelines.config import ConfigError, ParameterError, Project
from pipelines.config.params import parse_moment
from pipelines.run.shards import Shard


@dataclass
class RunOptions:
    intervals: list[str] | None = None  # default: every interval in config.yaml
    tickers: list[str] | None = None  # default: the universe
    provider: str | None = None  # default: the provider config.yaml names per interval
    start: date | None = None  # backfill window (sessions, exchange-zone dates)
    end: date | None = None
    as_of: date | None = None  # last session to process; default today at the exchange
    now: datetime | None = None  # the run's moment (--as-of as a timestamp); default now
    checks: bool = True
    full_checks: bool = False  # every audit over the whole history (slow on long histories)
    verbose: bool = False  # SQLMesh's own output too
    shard: Shard | None = None  # land this slice of the tickers as raw files, and nothing else
    ingest: bool = True  # False: merge, transform and check what earlier runs (shards) landed


def today_at_exchange(project: Project) -> date:
    return datetime.now(ZoneInfo(project.settings.exchange.timezone)).date()


def listing(names: list[str], most: int = 20) -> str:
    """`A, B, C` or, past `most` names, `A, B, ... and 480 more`."""
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown}, ... and {len(names) - most} more"


def resolve_options(project: Project, options: RunOptions) -> RunOptions:
    """Check the run's arguments against config.yaml; ConfigError names the bad flag."""
    settings = project.settings
    intervals = options.intervals or list(settings.intervals)
    for interval in intervals:
        if interval not in settings.intervals and options.provider is None:
            raise ParameterError(
                "interval",
                f"{interval!r} has no provider in config.yaml intervals "
                f"(configured: {sorted(settings.intervals)}); add one or pass --provider",
            )
    if options.provider is not None and options.provider not in settings.providers:
        raise ParameterError(
            "provider",
            f"{options.provider!r} is not defined under providers "
            f"(defined: {sorted(settings.providers)})",
        )
    universe = project.members
    tickers = options.tickers or list(universe)
    unknown = [t for t in tickers if t not in universe]
    if unknown:
        raise ParameterError(
            "tickers",
            f"not in the universe of config.yaml: {', '.join(unknown)} "
            f"(it holds {listing(sorted(universe))})",
        )
    if options.shard and not options.ingest:
        raise ParameterError("shard", "a shard only ingests: --shard and --ingest none exclude")
    if options.shard:
        tickers = options.shard.members(tickers)
    if options.start and options.end and options.start > options.end:
        raise ConfigError(f"--start {options.start} is after --end {options.end}")
    return replace(
        options,
        intervals=intervals,
        tickers=tickers,
        as_of=options.as_of or today_at_exchange(project),
    )


def run_moment(project: Project, as_of: str | None) -> datetime:
    """--as-of as an aware timestamp (a bare date: the end of that day at the exchange), or
    now: what a run processes up to and checks against."""
    zone = project.settings.exchange.timezone
    return parse_moment("as_of", as_of, zone, end_of_day=True) or datetime.now(UTC)


def session_day(project: Project, moment: datetime) -> date:
    """The exchange-zone date of a moment: the last session a run processes."""
    return moment.astimezone(ZoneInfo(project.settings.exchange.timezone)).date()
