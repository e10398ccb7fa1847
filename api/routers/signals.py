"""GET /v1/signals: moving-average crossovers (gold.ma_crossovers)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import DB, Limit, ProjectDep, page_size, paging, ticker_list
from api.models import SignalsPage
from pipelines.config.params import parse_date
from pipelines.warehouse import queries

router = APIRouter(tags=["signals"])


@router.get("/signals", response_model=SignalsPage, summary="Golden and death crosses")
def list_signals(
    db: DB,
    project: ProjectDep,
    since: Annotated[
        str | None, Query(description="ISO date: crosses on or after it", examples=["2012-01-01"])
    ] = None,
    tickers: Annotated[str | None, Query(description="comma-separated; default all")] = None,
    limit: Limit = None,
) -> dict:
    """The newest crosses first, `limit` of them."""
    first = parse_date("since", since) or date(1, 1, 1)
    size = page_size(project, limit)
    found = queries.signals(db, first, ticker_list(db, tickers), size)
    return {"data": found, "paging": paging(size)}
