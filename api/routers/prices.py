"""GET /v1/prices/latest: the latest bar per ticker (gold.latest_prices)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import DB, rows, ticker_list
from api.models import LatestPrice

router = APIRouter(prefix="/v1/prices", tags=["prices"])


@router.get("/latest", response_model=list[LatestPrice], summary="Latest bar per ticker")
def latest_prices(
    db: DB,
    tickers: Annotated[
        str | None,
        Query(description="comma-separated; default the whole universe", examples=["AAPL,MSFT"]),
    ] = None,
) -> list[dict]:
    chosen = ticker_list(db, tickers)
    sql = "SELECT ticker, session_date, close, adj_close, return_1d, volume FROM gold.latest_prices"
    if chosen is None:
        return rows(db, sql + " ORDER BY ticker")
    marks = ", ".join("?" for _ in chosen)
    return rows(db, f"{sql} WHERE ticker IN ({marks}) ORDER BY ticker", chosen)
