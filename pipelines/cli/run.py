"""`marketflow run`: an incremental refresh of the configured universe."""

from __future__ import annotations

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
from pipelines.config.params import parse_interval, parse_tickers
from pipelines.run.execute import execute_run
from pipelines.run.options import RunOptions, run_moment, session_day


def run(
    interval: IntervalOpt = None,
    tickers: TickersOpt = None,
    provider: ProviderOpt = None,
    gateway: GatewayOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Incremental refresh: ingest -> raw -> bronze -> silver/gold -> checks."""

    def body() -> int:
        loaded = project(gateway)
        moment = run_moment(loaded, as_of)
        chosen = parse_interval("interval", interval)
        options = RunOptions(
            intervals=[chosen] if chosen else None,
            tickers=parse_tickers("tickers", tickers),
            provider=provider,
            as_of=session_day(loaded, moment),
            now=moment,
        )
        outcome = execute_run(loaded, options, "run", console)
        print_run(outcome)
        return outcome.exit_code

    guarded(body)
