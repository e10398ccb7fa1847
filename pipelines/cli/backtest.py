"""`marketflow backtest`: a strategy's metrics on one ticker's adjusted prices."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from pipelines.cli.common import GatewayOpt, console, format_metric, guarded, project
from pipelines.config import ParameterError
from pipelines.config.params import parse_date
from pipelines.run.backtests import backtest as run_backtest
from pipelines.warehouse import queries
from pipelines.warehouse.engines import Warehouse


def backtest(
    ticker: Annotated[str, typer.Option("--ticker", help="a ticker of the universe")],
    strategy: Annotated[
        str, typer.Option("--strategy", help="sma_cross or momentum")
    ] = "sma_cross",
    fast: Annotated[int, typer.Option("--fast", help="sma_cross: fast SMA, sessions")] = 50,
    slow: Annotated[int, typer.Option("--slow", help="sma_cross: slow SMA, sessions")] = 200,
    lookback: Annotated[int, typer.Option("--lookback", help="momentum: sessions")] = 20,
    long_short: Annotated[
        bool | None, typer.Option("--long-short/--long-only", help="default from config.yaml")
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="first session")] = None,
    end: Annotated[str | None, typer.Option("--end", help="last session")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    gateway: GatewayOpt = None,
) -> None:
    """Backtest a strategy on one ticker's adjusted daily prices; print its metrics."""

    def body() -> int:
        loaded = project(gateway)
        name = ticker.strip().upper()
        warehouse = Warehouse.of(loaded)
        if not queries.known_tickers(warehouse, [name]):  # silver.tickers: the universe
            raise ParameterError("ticker", f"{name!r} is not in the universe of config.yaml")
        result = run_backtest(
            loaded,
            warehouse,
            name,
            long_short,
            parse_date("start", start),
            parse_date("end", end),
            strategy=strategy,
            fast=fast,
            slow=slow,
            lookback=lookback,
        )
        if as_json:
            sys.stdout.write(json.dumps(result.as_dict(), default=str) + "\n")
            return 0
        title = f"Backtest {name}: {result.params.describe()}"
        table = Table(title=title, title_justify="left")
        table.add_column("metric")
        table.add_column("value", justify="right")
        for key, value in result.metrics.items():
            table.add_row(key, format_metric(key, value))
        console.print(table)
        return 0

    guarded(body)
