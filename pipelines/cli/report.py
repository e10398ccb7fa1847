"""`marketflow report`: the Evidence report site, built from the warehouse offline."""

from __future__ import annotations

from typing import Annotated

import typer

from pipelines.cli.common import GatewayOpt, console, guarded, project
from pipelines.report import site
from pipelines.warehouse.engines import Warehouse

FullOpt = Annotated[
    bool,
    typer.Option(
        "--full",
        help="bundle the pages again even if they, the packages and the patches are unchanged",
    ),
]


def report(gateway: GatewayOpt = None, full: FullOpt = False) -> None:
    """Build the Evidence report site into report.build_dir (npm ci the first time; offline).
    When the pages are unchanged since the last build, only the data steps run again."""

    def body() -> int:
        loaded = project(gateway)
        console.print(
            f"[bold]marketflow report[/bold]: {Warehouse.of(loaded).display} -> "
            f"{loaded.settings.report.build_dir}"
        )
        summary = site.build(loaded, full=full, log=console.print)
        took = sum(summary.steps.values())
        console.print(
            f"report: {summary.pages} pages, {summary.backtests} backtests, "
            f"{summary.megabytes:,.1f} MB in {summary.build} ({took:.1f} s)\n"
            f"view it: python -m http.server 8080 --bind 127.0.0.1 --directory {summary.build}"
        )
        return 0

    guarded(body)
