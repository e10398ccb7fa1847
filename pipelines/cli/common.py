"""What every command shares: the option types, the consoles, the one error guard (which prints
what the run layer's exit-code policy says and exits with its code), and the checks table."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from pipelines.config import Project, load_project
from pipelines.config.constants import DEFAULT_CONFIG
from pipelines.run.execute import CommandFailed, Logged
from pipelines.run.outcome import classify

console = Console(stderr=False, highlight=False)
errors = Console(stderr=True, highlight=False)


class State:
    """The global options (before the command name)."""

    config: Path = Path(DEFAULT_CONFIG)


def project(gateway: str | None = None) -> Project:
    return load_project(State.config, gateway)


GatewayOpt = Annotated[
    str | None, typer.Option("--gateway", help="SQLMesh gateway (default: config's default)")
]
IntervalOpt = Annotated[
    str | None, typer.Option("--interval", help="1d or 1m (default: every configured interval)")
]
TickersOpt = Annotated[
    str | None, typer.Option("--tickers", help="comma-separated subset of the universe")
]
ProviderOpt = Annotated[
    str | None, typer.Option("--provider", help="provider name from config.yaml providers")
]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", help="SQLMesh's own output too: plans, each model, warnings")
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="process and check as of this date or timestamp (default: now)"),
]


def guarded(action: Callable[[], int]) -> None:
    """Run a command's body and exit with its code; a failure is printed as the run layer's
    policy describes it and exits with its code (MARKETFLOW_DEBUG=1 shows the traceback)."""
    try:
        code = action()
    except typer.Exit:
        raise
    except Exception as exc:
        if os.environ.get("MARKETFLOW_DEBUG"):
            raise
        if isinstance(exc, CommandFailed):
            print_logged(exc.logged)
        code, message = classify(exc)
        errors.print(f"[red]error:[/red] {message}", soft_wrap=True)
    raise typer.Exit(code)


def print_logged(logged: Logged) -> None:
    """What happened to the run log and the alert: on stderr (`check --json` keeps stdout)."""
    if logged.log_error:
        errors.print(f"[yellow]run log not written[/yellow]: {logged.log_error}")
    if logged.alert:
        errors.print(f"  {logged.alert}")


def format_metric(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in ("total_return", "cagr", "max_drawdown", "exposure", "win_rate") or key.endswith(
        "_return"
    ):
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
