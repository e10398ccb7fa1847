"""The FastAPI application: routers per resource, errors as JSON naming the parameter."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse

from api.db import Unavailable, open_database
from api.deps import ApiError
from api.routers import backtests, bars, features, health, prices, signals, tickers
from pipelines.config import Project, load_project

DESCRIPTION = """Read-only access to MarketFlow's warehouse: the universe, latest prices, daily
and 1-minute bars (as traded or adjusted), daily features and moving-average crossovers.
Errors are JSON naming the offending parameter; an unknown ticker is 404."""


def create_app(project: Project | None = None) -> FastAPI:
    project = project or load_project(
        os.environ.get("MARKETFLOW_CONFIG", "config.yaml"), os.environ.get("MARKETFLOW_GATEWAY")
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        yield
        app.state.db.close()

    app = FastAPI(
        title="MarketFlow",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses={
            404: {"description": "unknown ticker", "model": _error_model()},
            422: {"description": "invalid parameter", "model": _error_model()},
            503: {
                "description": "warehouse busy or not built yet; see Retry-After",
                "model": _error_model(),
            },
        },
    )
    app.state.project = project
    app.state.db = open_database(project)
    api = project.settings.api
    if api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=api.cors_origins,
            allow_methods=["GET"],
            allow_headers=["*"],
        )
    app.add_middleware(GZipMiddleware, minimum_size=api.gzip_minimum_bytes)
    for router in (health, tickers, prices, bars, features, signals, backtests):
        app.include_router(router.router)
    _error_handlers(app)
    return app


def _error_model() -> Any:
    from api.models import ErrorResponse

    return ErrorResponse


def _error(status: int, parameter: str | None, message: str, **headers: str) -> JSONResponse:
    body = {"error": {"parameter": parameter, "message": message}}
    return JSONResponse(status_code=status, content=body, headers=headers or None)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.parameter, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        parameter = str(first["loc"][-1]) if first.get("loc") else None
        return _error(422, parameter, first.get("msg", "invalid"))

    @app.exception_handler(Unavailable)
    async def unavailable(_: Request, exc: Unavailable) -> JSONResponse:
        return _error(503, None, str(exc), **{"Retry-After": str(exc.retry_after)})
