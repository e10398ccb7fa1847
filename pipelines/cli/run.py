"""`marketflow run`: an incremental refresh of the configured universe."""

from __future__ import annotations

from typing import Annotated

import typer

from pipelines.cli.common import (
    AsOfOpt,
    GatewayOpt,
    IntervalOpt,
    ProviderOpt,
    TickersOpt,
    VerboseOpt,
    console,
    guarded,
    project,
)
from pipelines.cli.printing import print_run
from pipelines.config import ParameterError
from pipelines.config.params import parse_date, parse_interval, parse_tickers
from pipelines.run.execute import execute_run
from pipelines.run.options import RunOptions, run_moment, session_day
from pipelines.run.shards import Shard

ShardOpt = Annotated[
    str | None,
    typer.Option(
        "--shard", help="K/N: land shard K of N of the universe as raw files, nothing else"
    ),
]
IngestOpt = Annotated[
    str,
    typer.Option(
        "--ingest", help="all, or none: merge, transform and check what the shards landed"
    ),
]


def run(
    interval: IntervalOpt = None,
    tickers: TickersOpt = None,
    provider: ProviderOpt = None,
    gateway: GatewayOpt = None,
    as_of: AsOfOpt = None,
    verbose: VerboseOpt = False,
    shard: ShardOpt = None,
    ingest: IngestOpt = "all",
) -> None:
    """Incremental refresh: ingest -> raw -> bronze -> silver/gold -> checks."""
    guarded(
        lambda: pipeline_run(
            "run",
            interval,
            tickers,
            provider,
            gateway,
            as_of,
            verbose=verbose,
            shard=shard,
            ingest=ingest,
        )
    )


def pipeline_run(
    title: str,
    interval: str | None,
    tickers: str | None,
    provider: str | None,
    gateway: str | None,
    as_of: str | None,
    start: str | None = None,
    end: str | None = None,
    verbose: bool = False,
    shard: str | None = None,
    ingest: str = "all",
) -> int:
    """`run`, or with a window `backfill`: the options as typed, the run, its report."""
    if ingest not in ("all", "none"):
        raise ParameterError("ingest", f"{ingest!r}: all (the default) or none")
    loaded = project(gateway)
    moment = run_moment(loaded, as_of)
    chosen = parse_interval("interval", interval)
    options = RunOptions(
        intervals=[chosen] if chosen else None,
        tickers=parse_tickers("tickers", tickers),
        provider=provider,
        start=parse_date("start", start),
        end=parse_date("end", end),
        as_of=session_day(loaded, moment),
        now=moment,
        verbose=verbose,
        shard=Shard.parse(shard),
        ingest=ingest == "all",
    )
    outcome = execute_run(loaded, options, title, console)
    print_run(outcome)
    return outcome.exit_code
