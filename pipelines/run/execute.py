"""A command's whole life in the run layer: the work, its exit code, its row in the run log and
its alert, whatever the outcome (a failure is logged, then raised for the command line to
show). Neither the log nor the alert may change the command's own exit code."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import datetime

from rich.console import Console

from pipelines.checkpoints import checkpoint
from pipelines.config import Project
from pipelines.ingest.bronze.landings import BronzeResult
from pipelines.ingest.listing import refresh_listing, with_listing
from pipelines.ingest.raw_store import open_store
from pipelines.quality.checks import run_checks
from pipelines.quality.contracts import validate_severity
from pipelines.quality.results import CheckResult, failed
from pipelines.run.options import RunOptions, resolve_options
from pipelines.run.outcome import ExitCode, classify, describe
from pipelines.run.pipeline import run_pipeline
from pipelines.run.report import RunReport
from pipelines.run.runlog import RunRecord, encoded_row, send_alert, write_run
from pipelines.run.shards import ShardRecord, write_record
from pipelines.run.summary import Summary, summarize
from pipelines.transform.pending import mark_transformed
from pipelines.warehouse.engines import Warehouse


@dataclass
class Logged:
    """What happened to the run log and the alert, for the command line's stderr."""

    log_error: str | None = None  # why the run log was not written
    alert: str | None = None  # sent, or why not (None: nothing to send)


def log_and_alert(project: Project, record: RunRecord, also: list[list] | None = None) -> Logged:
    logged = Logged()
    try:
        write_run(project, record, also)
    except Exception as exc:  # the run's own outcome stands
        logged.log_error = describe(exc)
    logged.alert = send_alert(project, record)
    return logged


def _failure_code(exc: BaseException) -> int:
    if isinstance(exc, SystemExit):
        return int(exc.code) if isinstance(exc.code, int) else ExitCode.RUNTIME
    return classify(exc)[0]


class CommandFailed(Exception):
    """A command that failed after its run log row was written: the failure, and what happened
    to the log and the alert (the command line shows both)."""

    def __init__(self, failure: Exception, logged: Logged) -> None:
        super().__init__(str(failure))
        self.failure, self.logged = failure, logged


def _failed(
    project: Project, record: RunRecord, exc: BaseException, logged: Logged | None = None
) -> BaseException:
    if logged is None:  # not yet logged: the failure is the run's verdict
        record.finish(_failure_code(exc), error=describe(exc))
        logged = log_and_alert(project, record)
    if isinstance(exc, Exception):
        return CommandFailed(exc, logged)
    return exc  # KeyboardInterrupt, SystemExit: logged, and on their way


@dataclass
class RunOutcome:
    record: RunRecord
    report: RunReport
    summary: Summary
    logged: Logged

    @property
    def exit_code(self) -> int:
        return self.record.exit_code


def execute_run(project: Project, options: RunOptions, title: str, console: Console) -> RunOutcome:
    """`run`, `backfill` or `demo`: the pipeline and its summary (of the whole warehouse with
    options.full_checks, as the demo asks), logged to ops.runs and alerted on.

    One run at a time holds the warehouse (warehouse/locks.py). The landings it transformed are
    marked only once its verdict is out (ops.runs written, the alert sent): a run killed before
    that is redone by the next one, checks and alert included, so no verdict is ever lost (an
    alert may then be sent twice, never not at all)."""
    started = time.perf_counter()
    # A mistyped flag is not a run: it exits 2 with no ops.runs row (config.yaml's own errors,
    # which a scheduled run can meet, are logged and alerted on below).
    record = RunRecord(command=title, arguments=sys.argv[1:])
    try:
        project = _with_listing(project, console)
    except Exception as exc:  # the provider's listing unreadable, none kept: logged, alerted
        raise _failed(project, record, exc) from exc
    options = resolve_options(project, options)
    if options.shard is not None:
        return _execute_shard(project, options, record, console)
    warehouse = Warehouse.of(project)
    console.print(
        f"[bold]marketflow {title}[/bold]: warehouse {warehouse.display}, "
        f"raw store {project.raw_url}  (run {record.run_id})"
    )
    logged = None
    try:
        validate_severity(project)  # a configuration error exits 2 before anything is written
        with warehouse.run_lock(record.holder(), project.settings.run_lock_wait_seconds):
            report = run_pipeline(project, options, console)
            bronze = report.bronze or BronzeResult()
            record.rows = _landed(report) | {
                "bronze_bars": bronze.bars,
                "bronze_corporate_actions": bronze.corporate_actions,
            }
            record.failed_tickers = [str(r) for r in report.failed_tickers]
            record.add_checks(report.checks)
            summary = summarize(
                project, report, time.perf_counter() - started, whole=options.full_checks
            )
            record.finish(report.exit_code)
            checkpoint("ops.runs")
            logged = log_and_alert(project, record, report.shard_log_rows)
            checkpoint("run.mark")
            if report.transform is not None:
                mark_transformed(project, report.transform.pending)
    except BaseException as exc:
        raise _failed(project, record, exc, logged) from exc
    return RunOutcome(record, report, summary, logged)


def _with_listing(project: Project, console: Console) -> Project:
    """The universe with the listing of `universe.listed`, asked now (every run, shards too)."""
    listing = refresh_listing(project, open_store(project), lambda m: console.print(f"  {m}"))
    if listing is not None and listing.fresh:
        console.print(f"  universe.listed: {listing.table.num_rows:,} tickers ({listing.path})")
    return with_listing(project, listing)


def _landed(report: RunReport) -> dict[str, int]:
    return {
        "landed_bars": report.landed_rows("bars"),
        "landed_corporate_actions": report.landed_rows("corporate_actions"),
    }


def _execute_shard(
    project: Project, options: RunOptions, record: RunRecord, console: Console
) -> RunOutcome:
    """`run --shard K/N`: raw files only, and no warehouse lock (shards land side by side).
    Its outcome, its ops.runs row included, goes to the raw store for the transform
    (`run --ingest none`) to judge and log; its alert is sent now."""
    started = time.perf_counter()
    assert options.shard is not None and options.as_of is not None
    console.print(
        f"[bold]marketflow {record.command} --shard {options.shard}[/bold]: "
        f"{len(options.tickers or [])} of {len(project.members)} tickers, "
        f"raw store {project.raw_url}  (run {record.run_id}; raw files only)"
    )
    report = RunReport()

    def outcome(error: str | None = None) -> Logged:
        write_record(
            open_store(project),
            ShardRecord(
                shard=options.shard,
                session=options.as_of,
                run_id=record.run_id,
                exit_code=record.exit_code,
                error=error,
                failed_tickers=record.failed_tickers,
                load_ids=[m.load_id for m in report.manifests],
                log_rows=[encoded_row(record)],
            ),
        )
        return Logged(alert=send_alert(project, record))

    try:
        report = run_pipeline(project, options, console)
        record.rows = _landed(report)
        record.failed_tickers = [str(r) for r in report.failed_tickers]
        summary = summarize(project, report, time.perf_counter() - started, whole=False)
        summary.shard = str(options.shard)
        record.finish(report.exit_code)
        logged = outcome()
    except BaseException as exc:
        record.finish(_failure_code(exc), error=describe(exc))
        try:
            logged = outcome(record.error)
        except Exception as lost:  # the raw store itself failed: the transform names the shard
            logged = Logged(log_error=describe(lost))
        raise (CommandFailed(exc, logged) if isinstance(exc, Exception) else exc) from exc
    return RunOutcome(record, report, summary, logged)


@dataclass
class CheckOutcome:
    record: RunRecord
    results: list[CheckResult]
    logged: Logged

    @property
    def exit_code(self) -> int:
        return self.record.exit_code


def execute_check(project: Project, now: datetime) -> CheckOutcome:
    """`check`: every check over the whole history, logged to ops.runs and alerted on."""
    record = RunRecord(command="check", arguments=sys.argv[1:])
    try:
        results = run_checks(project, now)
    except BaseException as exc:
        raise _failed(project, record, exc) from exc
    record.add_checks(results)
    record.finish(ExitCode.DATA_QUALITY if failed(results) else ExitCode.OK)
    return CheckOutcome(record, results, log_and_alert(project, record))
