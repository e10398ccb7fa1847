"""What the end of a run reports: per ticker, the daily bars it covers; the row counts of the
published tables (for the demo, which describes the whole warehouse); the stages' timings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipelines.config import Project
from pipelines.quality.checks import row_counts
from pipelines.run.report import RunReport
from pipelines.warehouse import queries
from pipelines.warehouse.engines import Warehouse


@dataclass
class Summary:
    whole: bool  # the whole warehouse (the demo), or only what this run restated
    since: date | None  # where the run restated from
    per_ticker: list[tuple[str, int, date, date]]  # ticker, bars, first and last session
    counts: dict[str, int | None]  # published table -> rows (whole only)
    landed_bars: int
    seconds: float
    stages: dict[str, float]
    standing: tuple[int, date | None] | None = None  # restated nothing: tickers, latest session
    shard: str | None = None  # `2/3`: a shard's run, which lands raw files only


def summarize(project: Project, report: RunReport, seconds: float, whole: bool) -> Summary:
    """A run's summary; a run that restated nothing covers no bars, so its summary costs the
    same on any length of history."""
    since = None if whole else (report.transform.restated_from if report.transform else None)
    per_ticker = []
    if whole or since is not None:
        per_ticker = queries.daily_coverage(Warehouse.of(project), since)
    counts = row_counts(project) if whole else {}
    summary = Summary(
        whole, since, per_ticker, counts, report.landed_rows("bars"), seconds, report.seconds
    )
    if not whole and since is None and report.transform is not None:
        summary.standing = queries.latest_coverage(Warehouse.of(project))
    return summary
