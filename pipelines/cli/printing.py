"""How a run's outcome reads on the terminal: the coverage and row-count tables, the summary
line, the checks that did not pass, and what was refused (on stderr)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from pipelines.cli.common import console, errors, print_logged
from pipelines.quality.results import CheckResult, failed, problems
from pipelines.run.execute import RunOutcome
from pipelines.run.summary import Summary

WORDS = {"pass": "passed", "warn": "warned", "fail": "failed", "skip": "skipped"}


def print_run(outcome: RunOutcome) -> None:
    report = outcome.report
    print_summary(outcome.summary, report.checks)
    if report.checks:
        print_checks(report.checks, only_problems=True)
    files, tickers = report.rejected_files, report.failed_tickers
    if files:
        errors.print(
            f"[red]{len(files)} input file(s) rejected[/red]; nothing from them was "
            "loaded. Fix them and run again:"
        )
        for rejection in files:
            errors.print(f"  {rejection}")
    if tickers:
        tolerated = len(tickers) <= report.tolerated_failures
        colour = "yellow" if tolerated else "red"
        errors.print(
            f"[{colour}]{len(tickers)} ticker(s) failed[/{colour}] after the retries; every "
            "other ticker was loaded"
            + (" (within providers.<name>.max_failed_tickers)" if tolerated else "")
            + ":"
        )
        for rejection in tickers:
            errors.print(f"  {rejection}")
    if report.failed_shards:
        errors.print(
            f"[red]{len(report.failed_shards)} shard(s) of the session failed or never "
            "reported[/red]; what the others landed was transformed. Rerun them, then "
            "`marketflow run --ingest none`:"
        )
        for failure in report.failed_shards:
            errors.print(f"  shard {failure}")
    complete = not files and not report.failed_shards
    if complete and len(tickers) <= report.tolerated_failures and failed(report.checks):
        errors.print(f"[red]{len(failed(report.checks))} data-quality check(s) failed[/red]")
    print_logged(outcome.logged)


def print_summary(summary: Summary, checks: list[CheckResult]) -> None:
    """Per ticker: bars and sessions covered. The whole warehouse for the demo; otherwise only
    what this run restated, so a run costs the same on any history."""
    per_ticker = summary.per_ticker
    if per_ticker and len(per_ticker) <= 50:
        title = f"Daily bars restated since {summary.since}"
        if summary.whole:
            title = "Daily bars in silver"
        table = Table(title=title, title_justify="left")
        for column in ("ticker", "bars", "first session", "last session"):
            table.add_column(column, justify="right" if column == "bars" else "left")
        for ticker, n, first, last in per_ticker:
            table.add_row(ticker, f"{n:,}", str(first), str(last))
        console.print(table)
    if summary.counts:
        sizes = Table(title="Warehouse", title_justify="left")
        sizes.add_column("table")
        sizes.add_column("rows", justify="right")
        for name, n in summary.counts.items():
            sizes.add_row(name, "-" if n is None else f"{n:,}")
        console.print(sizes)

    scope = "" if summary.whole else " restated"
    bars = sum(r[1] for r in per_ticker)
    span = (
        f" from {min(r[2] for r in per_ticker)} to {max(r[3] for r in per_ticker)}"
        if per_ticker
        else ""
    )
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in summary.stages.items())
    covered = f"{len(per_ticker)} tickers, {bars:,}{scope} daily bars{span}"
    if summary.standing is not None:
        tickers, last = summary.standing
        covered = f"up to date: {tickers} tickers through {last}"
    if summary.shard is not None:
        covered = f"shard {summary.shard}, raw files only (then `marketflow run --ingest none`)"
    console.print(
        f"[bold]Summary[/bold]: {covered}; landed {summary.landed_bars:,} bars this run"
        + (f"; checks: {tally(checks)}" if checks else "")
        + f"; {summary.seconds:.1f}s ({stages})"
    )


def tally(results: list[CheckResult], every: bool = False) -> str:
    """`46 passed, 1 warned, 1 failed, 2 skipped` (statuses with no check left out, but passed,
    unless `every`)."""
    statuses = [r.status for r in results]
    return ", ".join(
        f"{statuses.count(status)} {word}"
        for status, word in WORDS.items()
        if every or statuses.count(status) or status == "pass"
    )


def print_checks(results: list[CheckResult], only_problems: bool = False) -> None:
    shown = problems(results) if only_problems else results
    if only_problems and not shown:
        skipped = sum(r.status == "skip" for r in results)
        console.print(
            f"[green]All {len(results) - skipped} checks passed[/green]"
            + (f" ({skipped} skipped)." if skipped else ".")
        )
        return
    table = Table(title="Data-quality checks", title_justify="left")
    for column in ("check", "table", "severity", "status", "value", "threshold", "detail"):
        table.add_column(column)
    colours = {"pass": "green", "warn": "yellow", "fail": "red", "skip": "dim"}
    for r in shown:
        table.add_row(
            r.name,
            r.table,
            r.severity,
            f"[{colours[r.status]}]{r.status}[/]",
            "-" if r.value is None else str(r.value),
            r.threshold,
            r.detail,
        )
    # Piped output gets room for the check names and details (rich would assume 80 columns).
    out = console if console.is_terminal else Console(highlight=False, width=170)
    out.print(table)
