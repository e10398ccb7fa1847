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
    VerboseOpt,
    guarded,
)
from pipelines.cli.run import pipeline_run


def backfill(
    start: Annotated[str, typer.Option("--start", help="first session, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="last session, YYYY-MM-DD")],
    interval: IntervalOpt = None,
    tickers: TickersOpt = None,
    provider: ProviderOpt = None,
    gateway: GatewayOpt = None,
    as_of: AsOfOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """The same as run over an explicit historical window; silver and gold are restated."""
    guarded(
        lambda: pipeline_run(
            "backfill", interval, tickers, provider, gateway, as_of, start, end, verbose
        )
    )
