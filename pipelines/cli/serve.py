"""`marketflow serve`: the read-only API."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from pipelines.cli.common import GatewayOpt, console, guarded, project
from pipelines.config import ParameterError
from pipelines.warehouse.engines import Warehouse


def serve(
    host: Annotated[str, typer.Option("--host", help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="uvicorn worker processes")] = 1,
    gateway: GatewayOpt = None,
) -> None:
    """The read-only API (OpenAPI docs at /docs)."""

    def body() -> int:
        loaded = project(gateway)
        if not 1 <= port <= 65535:
            raise ParameterError("port", f"{port} is not a TCP port")
        if workers < 1:
            raise ParameterError("workers", f"{workers} must be at least 1")
        # The workers build the app from these (uvicorn imports api.main:create_app).
        os.environ["MARKETFLOW_CONFIG"] = str(loaded.config_path)
        if gateway:
            os.environ["MARKETFLOW_GATEWAY"] = gateway
        console.print(
            f"[bold]marketflow serve[/bold]: {Warehouse.of(loaded).display} read-only on "
            f"http://{host}:{port} (docs at /docs)"
        )
        uvicorn.run(
            "api.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
        )
        return 0

    guarded(body)
