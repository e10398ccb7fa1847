"""`marketflow demo`: the bundled real dataset through the whole pipeline, offline."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from pipelines.cli.common import AsOfOpt, GatewayOpt, VerboseOpt, console, guarded, project
from pipelines.cli.printing import print_run
from pipelines.run import demo as demo_run
from pipelines.run.execute import execute_run
from pipelines.run.options import run_moment

# What to try next, as commands that run where they are printed: `marketflow` and `sqlmesh` sit
# beside the Python that runs this (the virtualenv's bin/), which need not be on PATH.
NEXT = (
    ("marketflow check", "the data-quality table"),
    ("marketflow run", "incremental refresh (new drop files)"),
    ("marketflow backfill --start 2005-01-01 --end 2005-12-31 --tickers AAPL", ""),
    ("marketflow serve", "the read-only API on http://127.0.0.1:8000/v1 (docs: /docs)"),
    ("marketflow report", "the static report site, built into reports/build"),
    ("marketflow backtest --ticker AAPL", "the SMA 50/200 crossover on AAPL"),
    ("sqlmesh plan dev", "change a model in a virtual environment"),
    ('sqlmesh fetchdf "SELECT * FROM gold.latest_prices"', "query the local warehouse"),
)


def next_steps() -> str:
    """The NEXT list, each command with the path it needs from the current folder."""
    bin_dir = Path(sys.executable).parent
    found = shutil.which("marketflow")
    on_path = found is not None and Path(found).parent.resolve() == bin_dir.resolve()
    prefix = ""
    if not on_path:
        shown = (
            os.path.relpath(bin_dir) if bin_dir.resolve().is_relative_to(Path.cwd()) else bin_dir
        )
        prefix = f"{shown}/"
    lines = ["", "[bold]Next[/bold]"]
    lines += [f"  {prefix}{command:<36}  {what}".rstrip() for command, what in NEXT]
    if prefix:
        lines.append(f"  (to type them without {prefix}: source {prefix}activate)")
    return "\n".join(lines)


def demo(gateway: GatewayOpt = None, as_of: AsOfOpt = None, verbose: VerboseOpt = False) -> None:
    """Offline: stage the bundled real dataset into the drop folder and run the whole pipeline."""

    def body() -> int:
        loaded = project(gateway)
        staged = demo_run.stage(loaded, run_moment(loaded, as_of))
        for message in staged.messages:
            console.print(message)
        options = replace(staged.options, verbose=verbose)
        outcome = execute_run(loaded, options, "demo", console)
        print_run(outcome)
        console.print(next_steps(), soft_wrap=True)
        return outcome.exit_code

    guarded(body)
