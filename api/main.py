"""The FastAPI application: the routers, gathered under /v1 (set once, here), and the JSON error
answers that name the offending parameter."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES

from api.answer_cache import AnswerCache, Versioned
from api.deps import known_parameters
from api.docs import add_docs
from api.formats import BINARY_FORMATS, TooLarge
from api.models import ErrorResponse
from api.routers import backtests, bars, features, health, prices, signals, tickers
from pipelines.config import ParameterError, Project, load_project
from pipelines.warehouse.engines import Warehouse
from pipelines.warehouse.readers import Unavailable

DESCRIPTION = """Read-only access to MarketFlow's warehouse: the universe, latest prices, daily
and 1-minute bars (as traded or adjusted), daily features and moving-average crossovers.
Every list answers `{"data": [...], "paging": {...}}`; the bars and features of many tickers
also come whole as CSV, Parquet or Arrow (`format=` or Accept). Errors are JSON naming the
offending parameter; an unknown ticker is 404."""
VERSION_PREFIX = "/v1"
VERSIONED = (tickers, prices, bars, features, signals, backtests)


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
        docs_url=None,  # add_docs: from bundled assets, not a CDN
        redoc_url=None,
        dependencies=[Depends(known_parameters)],
        responses={
            404: {"description": "unknown ticker", "model": ErrorResponse},
            422: {"description": "invalid parameter", "model": ErrorResponse},
            503: {
                "description": "warehouse busy or not built yet; see Retry-After",
                "model": ErrorResponse,
            },
        },
    )
    app.state.project = project
    app.state.db = Warehouse.of(project).reader(project.path(project.settings.api.snapshot_dir))
    api = project.settings.api
    if api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=api.cors_origins,
            allow_methods=["GET"],
            allow_headers=["*"],
        )
    app.add_middleware(
        GZipMiddleware,
        minimum_size=api.gzip_minimum_bytes,
        # Parquet is compressed already and Arrow is meant to be read as it comes: gzip would
        # only cost the server (a year of 500 tickers: 0.41 s instead of 0.13 s).
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, *BINARY_FORMATS),
    )
    if isinstance(app.state.db, Versioned):  # a DuckDB snapshot: answers kept as bytes
        app.add_middleware(AnswerCache, reader=app.state.db, prefix=VERSION_PREFIX)
    app.include_router(health.router)  # unversioned: for load balancers and monitors
    v1 = APIRouter(prefix=VERSION_PREFIX)
    for module in VERSIONED:
        v1.include_router(module.router)
    app.include_router(v1)
    add_docs(app)
    _error_handlers(app)
    return app


def _error(status: int, parameter: str | None, message: str, **headers: str) -> JSONResponse:
    body = {"error": {"parameter": parameter, "message": message}}
    return JSONResponse(status_code=status, content=body, headers=headers or None)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ParameterError)
    async def bad_parameter(_: Request, exc: ParameterError) -> JSONResponse:
        return _error(exc.status, exc.parameter, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        parameter = str(first["loc"][-1]) if first.get("loc") else None
        return _error(422, parameter, first.get("msg", "invalid"))

    @app.exception_handler(StarletteHTTPException)
    async def no_route(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        path = request.url.path
        if exc.status_code == 404:
            return _error(404, None, f"no such route: {path} (see /docs)")
        if exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow", "GET")
            message = f"{request.method} is not allowed on {path}: read-only, {allowed}"
            return _error(405, None, message, Allow=allowed)
        return _error(exc.status_code, None, str(exc.detail))

    @app.exception_handler(TooLarge)
    async def too_large(_: Request, exc: TooLarge) -> JSONResponse:
        return _error(413, None, str(exc))

    @app.exception_handler(Unavailable)
    async def unavailable(_: Request, exc: Unavailable) -> JSONResponse:
        return _error(503, None, str(exc), **{"Retry-After": str(exc.retry_after)})
