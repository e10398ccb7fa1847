"""A run's first stage: ask each interval's provider for the run's tickers and window and land
what it sends; where config.yaml's `reconciliation` names secondaries for the interval, ask
each of them for the same tickers and window too, and land their bars apart
(SECONDARY_TABLES), for silver.reconciliation to compare."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from pipelines.analytics.exchange_calendar import sessions_back
from pipelines.config import Project
from pipelines.config.constants import PRIMARY_TABLES, SECONDARY_TABLES
from pipelines.ingest.bronze.state import latest_bar_dates, origins_seen
from pipelines.ingest.landing import land
from pipelines.ingest.providers import build_source, settings_of, uses_drop_files
from pipelines.ingest.raw_store import Manifest, RawStore, new_load_id
from pipelines.ingest.sources.files.drop_folder import load_fingerprints, save_fingerprints
from pipelines.ingest.sources.schema import SourceRequest
from pipelines.run.options import RunOptions
from pipelines.run.report import RunReport


def ingest(
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
        starts = _incremental_starts(project, name, interval, options)
        lands = _Landing(project, options, store, report, console, fingerprints)
        manifest = lands(name, interval, starts, seen, complete, PRIMARY_TABLES)
        if manifest is not None:
            if seen is not None:  # another interval of the same folder must not land them again
                seen = seen | frozenset(manifest.origins.values())
            manifests.append(manifest)
        reconcile = project.settings.reconciliation.get(interval)  # type: ignore[call-overload]
        for secondary in reconcile.secondaries if reconcile else []:
            if secondary != name:  # a run told to ask a secondary (--provider) asks it once
                # The primary's window for each ticker, so that both answer the same sessions.
                found = lands(secondary, interval, starts, None, False, SECONDARY_TABLES)
                manifests += [found] if found is not None else []
    save_fingerprints(_fingerprints_file(project), fingerprints)
    return manifests


class _Landing:
    """Ask one provider for one interval and land its answer."""

    def __init__(
        self,
        project: Project,
        options: RunOptions,
        store: RawStore,
        report: RunReport,
        console: Console,
        fingerprints: dict,
    ) -> None:
        self.project, self.options, self.store = project, options, store
        self.report, self.console, self.fingerprints = report, console, fingerprints

    def notice(self, message: str) -> None:
        self.report.notices.append(message)
        self.console.print(f"  [yellow]{message}[/yellow]")

    def __call__(
        self,
        name: str,
        interval: str,
        starts: dict[str, date],
        seen: frozenset[str] | None,
        complete: bool,
        tables: Mapping[str, str],
    ) -> Manifest | None:
        project, options, report = self.project, self.options, self.report
        failures_before = sum(r.kind == "ticker" for r in report.rejections)
        request = SourceRequest(
            name=name,
            interval=interval,
            tickers=options.tickers or [],
            start=options.start,
            end=options.end or (options.as_of if not uses_drop_files(project, name) else None),
            skip_sha256=seen or frozenset(),
            on_reject=report.rejections.append,
            on_notice=self.notice,
            starts=starts,
            now=options.now,
            options={"fingerprints": self.fingerprints},
            shares=options.shard.count if options.shard else 1,
        )
        source = build_source(project, request)
        role = "" if tables is PRIMARY_TABLES else " (secondary)"
        label = f"{name} {interval}{role}"
        with Progress(
            SpinnerColumn(),
            TextColumn("  {task.description}"),
            BarColumn(bar_width=None),
            TextColumn("{task.completed:,} rows"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        ) as progress:
            task = progress.add_task(label, total=None)

            def advance(what: str, rows: int) -> None:
                progress.update(task, advance=rows, description=f"{label}: {what}")

            manifest = land(
                source,
                self.store,
                load_id=new_load_id(),
                source_name=name,
                interval=interval,
                exchange_timezone=project.settings.exchange.timezone,
                window=(options.start, options.end),
                record_origins=complete,
                progress=advance,
                keep=options.shard.holds if options.shard else None,
                tables=tables,
            )
        failures = sum(r.kind == "ticker" for r in report.rejections) - failures_before
        if 0 < failures <= settings_of(project, name).tolerated_failures():
            report.tolerated_failures += failures
        if manifest is None:
            self.console.print(f"  {label}: nothing new")
            return None
        landed = (
            f"{manifest.rows('bars'):,} bars and {manifest.rows('corporate_actions'):,} "
            "corporate actions"
            if tables is PRIMARY_TABLES
            else f"{sum(manifest.rows(t) for t in tables.values()):,} bars to compare"
        )
        self.console.print(
            f"  {label}: landed {landed} ({len(manifest.files)} files, load {manifest.load_id})"
        )
        return manifest


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
