"""One pipeline run: providers -> raw landing -> bronze -> silver/gold -> checks.

Every stage is restartable: raw files are immutable and only count once their manifest exists,
bronze merges are idempotent and remember which landings they hold, and silver/gold are
restated from the earliest landing they have not seen. A killed run, rerun, converges.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from rich.console import Console

from pipelines.checkpoints import checkpoint
from pipelines.config import Project
from pipelines.ingest.bronze.load import load_bronze
from pipelines.ingest.bronze.universe import load_universe
from pipelines.ingest.raw_store import open_store
from pipelines.quality.checks import run_checks
from pipelines.run.ingest import ingest
from pipelines.run.options import RunOptions, listing
from pipelines.run.publish import publish_serving
from pipelines.run.report import RunReport
from pipelines.run.shards import judge_session
from pipelines.transform.console import transform_console
from pipelines.transform.driver import transform
from pipelines.warehouse.engines import Warehouse


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
            report.manifests = ingest(project, options, store, report, console)
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
                since=report.transform.changed_from if report.transform else None,
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
