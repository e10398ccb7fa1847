"""`marketflow`: the command line (Typer + Rich), one module per command. Each command parses
its options, asks the run layer, prints the answer and exits with the code the run layer's
policy gives (pipelines/run/outcome.py: 0 ok, 1 runtime, 2 configuration or arguments, 3 data
quality, 4 no session)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import typer

from pipelines.cli import (
    backfill,
    backtest,
    check,
    demo,
    export,
    publish,
    report,
    run,
    schedule,
    serve,
)
from pipelines.cli.common import State
from pipelines.config.constants import DEFAULT_CONFIG
from pipelines.run.workers import die_with_parent

app = typer.Typer(
    name="marketflow",
    help="MarketFlow: market data from providers to a checked warehouse, an API and reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"marketflow {version('marketflow')}")
        raise typer.Exit()


@app.callback()
def _global(
    config: Annotated[
        Path, typer.Option("--config", help="config.yaml to use", show_default=True)
    ] = Path(DEFAULT_CONFIG),
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", help="print the version and exit", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    State.config = config


for command in (
    demo.demo,
    run.run,
    backfill.backfill,
    check.check,
    serve.serve,
    schedule.calendar,
    backtest.backtest,
    report.report,
    export.export,
    publish.publish,
):
    app.command()(command)


def main() -> None:
    die_with_parent()
    app()
