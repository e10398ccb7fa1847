"""GET /v1/tickers: the universe."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DB, paging
from api.models import TickersPage
from pipelines.warehouse import queries

router = APIRouter(tags=["tickers"])


@router.get("/tickers", response_model=TickersPage, summary="The universe")
def list_tickers(db: DB) -> dict:
    """Every ticker of config.yaml's universe, with its first and last session with a good
    daily bar and its sector where the index data names one."""
    found = queries.tickers(db)
    return {"data": found, "paging": paging(len(found))}
