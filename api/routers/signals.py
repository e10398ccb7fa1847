"""GET /v1/signals: moving-average crossovers (gold.ma_crossovers)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import DB, Limit, ProjectDep, page_size, ticker_list
from api.models import Signal
from pipelines.config.params import parse_date
from pipelines.warehouse import queries

router = APIRouter(tags=["signals"])


@router.get("/signals", response_model=list[Signal], summary="Golden and death crosses")
def list_signals(
    db: DB,
    project: ProjectDep,
    since: Annotated[
        str | None, Query(description="ISO date: crosses on or after it", examples=["2012-01-01"])
    ] = None,
    tickers: Annotated[str | None, Query(description="comma-separated; default all")] = None,
    limit: Limit = None,
) -> list[dict]:
    """The newest crosses first."""
    first = parse_date("since", since) or date(1, 1, 1)
    return queries.signals(db, first, ticker_list(db, tickers), page_size(project, limit))
