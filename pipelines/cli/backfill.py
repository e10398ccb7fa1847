"""`marketflow backfill`: the same as run over an explicit window of sessions."""

from __future__ import annotations

from typing import Annotated

import typer

from pipelines.cli.common import (
    AsOfOpt,
    GatewayOpt,
    IntervalOpt,
    ProviderOpt,
    TickersOpt,
    console,
    guarded,
    project,
)
from pipelines.cli.printing import print_run
from pipelines.config.params import parse_date, parse_interval, parse_tickers
from pipelines.run.execute import execute_run
from pipelines.run.options import RunOptions, run_moment, session_day


def backfill(
    start: Annotated[str, typer.Option("--start", help="first session, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="last session, YYYY-MM-DD")],
    interval: IntervalOpt = None,
    tickers: TickersOpt = None,
    provider: ProviderOpt = None,
    gateway: GatewayOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """The same as run over an explicit historical window; silver and gold are restated."""

    def body() -> int:
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
        )
        outcome = execute_run(loaded, options, "backfill", console)
        print_run(outcome)
        return outcome.exit_code

    guarded(body)
