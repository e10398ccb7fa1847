"""One pipeline run: providers -> raw landing -> bronze -> silver/gold -> checks.

Every stage is restartable: raw files are immutable and only count once their manifest exists,
bronze merges are idempotent and remember which landings they hold, and silver/gold are
restated from the earliest landing they have not seen. A killed run, rerun, converges.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from pipelines.analytics.exchange_calendar import sessions_back
from pipelines.checkpoints import checkpoint
from pipelines.config import Project
from pipelines.ingest.bronze.landings import BronzeResult
from pipelines.ingest.bronze.load import load_bronze
from pipelines.ingest.bronze.state import latest_bar_dates, origins_seen
from pipelines.ingest.bronze.universe import load_universe
from pipelines.ingest.landing import land
from pipelines.ingest.providers import build_source, settings_of, uses_drop_files
from pipelines.ingest.raw_store import Manifest, RawStore, new_load_id, open_store
from pipelines.ingest.sources.files.drop_folder import load_fingerprints, save_fingerprints
from pipelines.ingest.sources.schema import Rejection, SourceRequest
from pipelines.quality.checks import run_checks
from pipelines.quality.results import CheckResult, failed
from pipelines.run.options import RunOptions, listing
from pipelines.run.outcome import run_exit_code
from pipelines.run.publish import publish_serving
from pipelines.run.shards import judge_session
from pipelines.transform.console import transform_console
from pipelines.transform.driver import TransformResult, transform
from pipelines.warehouse.engines import Warehouse
from pipelines.warehouse.serving import Published


@dataclass
class RunReport:
    manifests: list[Manifest] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    tolerated_failures: int = 0  # failed tickers within the providers' max_failed_tickers
    failed_shards: list[str] = field(default_factory=list)  # `2/3 (exit 1: ...)`
    shard_log_rows: list[list] = field(default_factory=list)  # the shards' ops.runs rows
    bronze: BronzeResult | None = None
    transform: TransformResult | None = None
    checks: list[CheckResult] = field(default_factory=list)
    published: Published | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def landed_rows(self, table: str) -> int:
        return sum(m.rows(table) for m in self.manifests)

    @property
    def rejected_files(self) -> list[Rejection]:
        return [r for r in self.rejections if r.kind == "file"]

    @property
    def failed_tickers(self) -> list[Rejection]:
        return [r for r in self.rejections if r.kind == "ticker"]

    @property
    def exit_code(self) -> int:
        return run_exit_code(
            len(self.rejected_files),
            len(self.failed_tickers),
            self.tolerated_failures,
            len(failed(self.checks)),
            len(self.failed_shards),
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
    """The stages of a run, on options resolved by execute_run (resolve_options)."""
    report = RunReport()
    store = open_store(project)

    # Nothing is written before both can be: a run never half-starts on a missing service (the
    # warehouse's run lock has checked the warehouse).
    store.preflight()
    sweep = store.sweep_killed_landings()
    for load_id, files in sweep.swept.items():
        console.print(
            f"  swept {files} raw file(s) of landing {load_id}, killed before its manifest"
        )
    for load_id in sweep.writing:
        console.print(f"  landing {load_id} is still being written (another shard): left")
    if options.shard is None:  # a shard writes raw files only
        _load_universe(project, console)
    checkpoint("bronze.universe")
    if options.ingest:
        with _stage(report, "ingest → raw", console):
            report.manifests = _ingest(project, options, store, report, console)
            for rejection in report.rejections:
                label = "failed" if rejection.kind == "ticker" else "rejected"
                console.print(f"  [red]{label}[/red] {rejection}")
    if options.shard is not None:
        return report
    if not options.ingest:
        assert options.as_of is not None
        verdict = judge_session(project, store, options.as_of, console)
        report.failed_shards = verdict.failed
        report.shard_log_rows = [row for r in verdict.records for row in r.log_rows]

    with _stage(report, "raw → bronze", console):
        report.bronze = load_bronze(project, store, status=lambda m: console.print(f"  {m}"))
        checkpoint("bronze.merged")
        console.print(
            f"  {report.bronze.bars:,} bars and {report.bronze.corporate_actions:,} corporate "
            f"actions merged from {len(report.bronze.manifests)} landing(s)"
        )

    with _stage(report, "bronze → silver → gold (SQLMesh)", console):
        assert options.as_of is not None
        shown = transform_console(console, options.verbose)
        report.transform = transform(project, options.as_of, shown)
        if account := shown.account():
            console.print(f"  {account}")
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
    warehouse = Warehouse.of(project)
    if warehouse.publishes:  # whatever the checks said: gold is what it is
        with _stage(report, "gold → serving copy", console):
            report.published = publish_serving(
                project, warehouse, lambda m: console.print(f"  {m}")
            )
            console.print(f"  {report.published}")
    return report


def _load_universe(project: Project, console: Console) -> None:
    if written := load_universe(project):
        console.print(
            f"  universe: bronze.tickers updated from config.yaml ({written.tickers} tickers)"
        )
        if written.unknown:
            console.print(
                f"  [yellow]no name or sector known[/yellow] (pytickersymbols) for "
                f"{listing(written.unknown)}"
            )


def _ingest(
    project: Project,
    options: RunOptions,
    store: RawStore,
    report: RunReport,
    console: Console,
) -> list[Manifest]:
    manifests: list[Manifest] = []
    assert options.intervals is not None and options.tickers is not None
    if not options.tickers:  # a shard no ticker falls in: no provider need be asked
        console.print("  no ticker of the universe falls in this shard: nothing to land")
        return manifests
    # A complete run skips input files landed before and records the ones it lands; a backfill
    # or a subset of tickers reads them all and records none, since it keeps only part of them.
    complete = (
        options.start is None
        and options.end is None
        and set(options.tickers) == set(project.members)
    )
    seen: frozenset[str] | None = None
    fingerprints = load_fingerprints(_fingerprints_file(project))
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
            shares=options.shard.count if options.shard else 1,
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
                keep=options.shard.holds if options.shard else None,
            )
        failures = sum(r.kind == "ticker" for r in report.rejections) - failures_before
        if 0 < failures <= settings_of(project, name).tolerated_failures():
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
    save_fingerprints(_fingerprints_file(project), fingerprints)
    return manifests


def _incremental_starts(
    project: Project, name: str, interval: str, options: RunOptions
) -> dict[str, date]:
    """For a web provider's incremental run: each ticker from `restatement_lag` sessions
    before its latest bar in bronze, so revised bars replace old ones. Tickers without bars
    start at the provider's history start."""
    lag = settings_of(project, name).incremental_lag()
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
