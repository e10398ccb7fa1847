"""GET /v1/tickers: the universe."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DB
from api.models import Ticker
from pipelines.warehouse import queries

router = APIRouter(tags=["tickers"])


@router.get("/tickers", response_model=list[Ticker], summary="The universe")
def list_tickers(db: DB) -> list[dict]:
    """Every ticker of config.yaml's universe, with its first and last session with a good
    daily bar and its sector where the index data names one."""
    return queries.tickers(db)
