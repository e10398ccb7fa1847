"""GET /v1/tickers: the universe."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DB, rows
from api.models import Ticker

router = APIRouter(prefix="/v1", tags=["tickers"])


@router.get("/tickers", response_model=list[Ticker], summary="The universe")
def list_tickers(db: DB) -> list[dict]:
    """Every ticker of config.yaml's universe, with its first and last session with a good
    daily bar and its sector where the index data names one."""
    return rows(
        db,
        "SELECT ticker, name, sector, industry, first_session, last_session "
        "FROM silver.tickers ORDER BY ticker",
    )
