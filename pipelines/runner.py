"""One pipeline run: providers -> raw landing -> bronze -> silver/gold -> checks.

Every stage is restartable: raw files are immutable and only count once their manifest exists,
bronze merges are idempotent and remember which landings they hold, and silver/gold are
restated from the earliest landing they have not seen. A killed run, rerun, converges.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from pipelines.bronze import (
    BronzeResult,
    latest_bar_dates,
    load_bronze,
    load_universe,
    origins_seen,
)
from pipelines.calendar import sessions_back
from pipelines.checks import CheckResult, run_checks
from pipelines.config import ConfigError, Project
from pipelines.landing import land
from pipelines.preflight import preflight
from pipelines.providers import (
    SourceRequest,
    build_source,
    max_failed_tickers,
    restatement_lag,
    uses_drop_files,
)
from pipelines.raw_store import Manifest, RawStore, new_load_id
from pipelines.sources import Rejection
from pipelines.transform import TransformResult, progress_console, transform


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


@dataclass
class RunReport:
    manifests: list[Manifest] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    tolerated_failures: int = 0  # failed tickers within the providers' max_failed_tickers
    bronze: BronzeResult | None = None
    transform: TransformResult | None = None
    checks: list[CheckResult] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def landed_rows(self, table: str) -> int:
        return sum(m.rows(table) for m in self.manifests)


def today_at_exchange(project: Project) -> date:
    return datetime.now(ZoneInfo(project.settings.exchange.timezone)).date()


def resolve_options(project: Project, options: RunOptions) -> RunOptions:
    """Check the run's arguments against config.yaml; ConfigError names the bad flag."""
    settings = project.settings
    intervals = options.intervals or list(settings.intervals)
    for interval in intervals:
        if interval not in settings.intervals and options.provider is None:
            raise ConfigError(
                f"--interval: {interval!r} has no provider in config.yaml intervals "
                f"(configured: {sorted(settings.intervals)}); add one or pass --provider"
            )
    if options.provider is not None and options.provider not in settings.providers:
        raise ConfigError(
            f"--provider: {options.provider!r} is not defined under providers "
            f"(defined: {sorted(settings.providers)})"
        )
    universe = settings.universe.members
    tickers = options.tickers or list(universe)
    unknown = [t for t in tickers if t not in universe]
    if unknown:
        raise ConfigError(f"--tickers: not in the universe of config.yaml: {', '.join(unknown)}")
    if options.start and options.end and options.start > options.end:
        raise ConfigError(f"--start {options.start} is after --end {options.end}")
    return RunOptions(
        intervals=intervals,
        tickers=tickers,
        provider=options.provider,
        start=options.start,
        end=options.end,
        as_of=options.as_of or today_at_exchange(project),
        now=options.now,
        checks=options.checks,
        full_checks=options.full_checks,
    )


@contextmanager
def _stage(report: RunReport, name: str, console: Console) -> Iterator[None]:
    started = time.perf_counter()
    console.print(f"[bold]▸ {name}[/bold]")
    try:
        yield
    finally:
        report.seconds[name] = time.perf_counter() - started


def run_pipeline(project: Project, options: RunOptions, console: Console) -> RunReport:
    options = resolve_options(project, options)
    report = RunReport()
    store = project.raw_store()

    preflight(project, store)
    if load_universe(project):
        console.print("  universe: bronze.tickers updated from config.yaml")
    with _stage(report, "ingest → raw", console):
        report.manifests = _ingest(project, options, store, report, console)
        for rejection in report.rejections:
            label = "failed" if rejection.kind == "ticker" else "rejected"
            console.print(f"  [red]{label}[/red] {rejection}")

    with _stage(report, "raw → bronze", console):
        report.bronze = load_bronze(project, store, status=lambda m: console.print(f"  {m}"))
        console.print(
            f"  {report.bronze.bars:,} bars and {report.bronze.corporate_actions:,} corporate "
            f"actions merged from {len(report.bronze.manifests)} landing(s)"
        )

    with _stage(report, "bronze → silver → gold (SQLMesh)", console):
        assert options.as_of is not None
        report.transform = transform(project, options.as_of, progress_console(console))
        if report.transform.restated_from:
            console.print(f"  restated from {report.transform.restated_from}")

    if options.checks:
        with _stage(report, "checks", console):
            report.checks = run_checks(
                project,
                options.now or datetime.now(UTC),
                full=options.full_checks,
                since=report.transform.restated_from if report.transform else None,
                # Freshness is about the intervals this run refreshed; a backfill refreshes
                # history, not the present.
                fresh_intervals=[] if options.start or options.end else options.intervals,
            )
    return report


def _ingest(
    project: Project,
    options: RunOptions,
    store: RawStore,
    report: RunReport,
    console: Console,
) -> list[Manifest]:
    manifests = []
    assert options.intervals is not None and options.tickers is not None
    # A complete run skips input files landed before and records the ones it lands; a backfill
    # or a subset of tickers reads them all and records none, since it keeps only part of them.
    complete = (
        options.start is None
        and options.end is None
        and set(options.tickers) == set(project.settings.universe.members)
    )
    seen: frozenset[str] | None = None
    fingerprints = _load_fingerprints(project)
    for interval in options.intervals:
        name = options.provider or project.settings.intervals[interval]
        if complete and uses_drop_files(project, name) and seen is None:
            seen = frozenset(origins_seen(project, store))
        failures_before = sum(r.kind == "ticker" for r in report.rejections)

        def notice(message: str) -> None:
            report.notices.append(message)
            console.print(f"  [yellow]{message}[/yellow]")

        request = SourceRequest(
            name=name,
            interval=interval,
            tickers=options.tickers,
            start=options.start,
            end=options.end or (options.as_of if not uses_drop_files(project, name) else None),
            skip_sha256=seen or frozenset(),
            on_reject=report.rejections.append,
            on_notice=notice,
            starts=_incremental_starts(project, name, interval, options),
            now=options.now,
            options={"fingerprints": fingerprints},
        )
        source = build_source(project, request)
        load_id = new_load_id()
        with Progress(
            SpinnerColumn(),
            TextColumn("  {task.description}"),
            BarColumn(bar_width=None),
            TextColumn("{task.completed:,} rows"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task(f"{name} {interval}", total=None)

            def advance(
                what: str, rows: int, task: int = task, label: str = f"{name} {interval}"
            ) -> None:
                progress.update(task, advance=rows, description=f"{label}: {what}")

            manifest = land(
                source,
                store,
                load_id=load_id,
                source_name=name,
                interval=interval,
                exchange_timezone=project.settings.exchange.timezone,
                window=(options.start, options.end),
                record_origins=complete,
                progress=advance,
            )
        failures = sum(r.kind == "ticker" for r in report.rejections) - failures_before
        if 0 < failures <= max_failed_tickers(project, name):
            report.tolerated_failures += failures
        if manifest is None:
            console.print(f"  {name} {interval}: nothing new")
            continue
        if seen is not None:  # another interval of the same folder must not land them again
            seen = seen | frozenset(manifest.origins.values())
        console.print(
            f"  {name} {interval}: landed {manifest.rows('bars'):,} bars and "
            f"{manifest.rows('corporate_actions'):,} corporate actions "
            f"({len(manifest.files)} files, load {manifest.load_id})"
        )
        manifests.append(manifest)
    _save_fingerprints(project, fingerprints)
    return manifests


def _incremental_starts(
    project: Project, name: str, interval: str, options: RunOptions
) -> dict[str, date]:
    """For a web provider's incremental run: each ticker from `restatement_lag` sessions
    before its latest bar in bronze, so revised bars replace old ones. Tickers without bars
    start at the provider's history start."""
    lag = restatement_lag(project, name)
    if lag is None or options.start is not None:
        return {}
    calendar = project.settings.exchange.calendar
    latest = latest_bar_dates(project, name, interval)
    wanted = set(options.tickers or [])
    return {
        ticker: sessions_back(calendar, day, lag - 1) if lag else day + timedelta(days=1)
        for ticker, day in latest.items()
        if ticker in wanted
    }


def _fingerprints_file(project: Project) -> Path:
    return project.pipelines_dir / "drop-fingerprints.json"


def _load_fingerprints(project: Project) -> dict:
    """A local cache only: losing it costs one re-read of the drop folder."""
    try:
        return json.loads(_fingerprints_file(project).read_text())
    except (OSError, ValueError):
        return {}


def _save_fingerprints(project: Project, fingerprints: dict) -> None:
    path = _fingerprints_file(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(fingerprints))
    tmp.replace(path)
