"""`marketflow publish`: the serving copy of a warehouse that computes elsewhere (Spark)."""

from __future__ import annotations

from pipelines.cli.common import GatewayOpt, console, guarded, project
from pipelines.run.publish import execute_publish


def publish(gateway: GatewayOpt = None) -> None:
    """Copy gold and the silver tables the API and the report read to the serving store (a run
    on the spark gateway does it at its end)."""

    def body() -> int:
        loaded = project(gateway)
        published = execute_publish(loaded, lambda m: console.print(f"  {m}"))
        console.print(f"[bold]Publish[/bold]: {published}")
        return 0

    guarded(body)
