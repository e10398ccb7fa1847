"""`marketflow demo`: the bundled real dataset through the whole pipeline, offline."""

from __future__ import annotations

from pipelines.cli.common import AsOfOpt, GatewayOpt, console, guarded, project
from pipelines.cli.printing import print_run
from pipelines.run import demo as demo_run
from pipelines.run.execute import execute_run
from pipelines.run.options import run_moment

NEXT = """
[bold]Next[/bold]
  marketflow check                      the data-quality table
  marketflow run                        incremental refresh (new drop files)
  marketflow backfill --start 2005-01-01 --end 2005-12-31 --tickers AAPL
  sqlmesh plan dev                      change a model in a virtual environment
  sqlmesh fetchdf "SELECT * FROM gold.latest_prices"   query the local warehouse"""


def demo(gateway: GatewayOpt = None, as_of: AsOfOpt = None) -> None:
    """Offline: stage the bundled real dataset into the drop folder and run the whole pipeline."""

    def body() -> int:
        loaded = project(gateway)
        staged = demo_run.stage(loaded, run_moment(loaded, as_of))
        for message in staged.messages:
            console.print(message)
        outcome = execute_run(loaded, staged.options, "demo", console)
        print_run(outcome)
        console.print(NEXT)
        return outcome.exit_code

    guarded(body)
