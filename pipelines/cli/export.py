"""`marketflow export`: silver and gold tables as Hive-partitioned files for research and BI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from pipelines.cli.common import GatewayOpt, TickersOpt, console, errors, guarded, project
from pipelines.run.export import export as run_export


def export(
    tables: Annotated[
        str,
        typer.Option("--tables", help="comma-separated silver/gold tables (gold.daily_features)"),
    ],
    out: Annotated[Path, typer.Option("--out", help="folder to write into")],
    fmt: Annotated[
        Literal["parquet", "csv"], typer.Option("--format", help="parquet or csv")
    ] = "parquet",
    tickers: TickersOpt = None,
    start: Annotated[str | None, typer.Option("--start", help="first session")] = None,
    end: Annotated[str | None, typer.Option("--end", help="last session")] = None,
    gateway: GatewayOpt = None,
) -> None:
    """Write tables to OUT/<schema>/<table>/ticker=<T>/part-<n>-0.<format>, one whole table at a
    time (never half of one), read without blocking a run."""

    def body() -> int:
        names = [t.strip() for t in tables.split(",") if t.strip()]
        done = run_export(
            project(gateway), names, out, fmt, tickers, start, end,
            progress=lambda line: errors.print(f"  {line}", highlight=False),
        )  # fmt: skip
        for item in done:
            spread = f"{item.tickers} tickers, " if item.tickers else ""
            console.print(
                f"{item.table}: {spread}{item.rows:,} rows, {item.bytes / 1e6:.1f} MB "
                f"in {item.seconds:.1f} s -> {item.folder}",
                soft_wrap=True,
            )
        return 0

    guarded(body)
