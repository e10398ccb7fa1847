"""GET /v1/prices/latest: the latest bar per ticker (gold.latest_prices)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import DB, paging, ticker_list
from api.models import LatestPrices
from pipelines.warehouse import queries

router = APIRouter(prefix="/prices", tags=["prices"])


@router.get("/latest", response_model=LatestPrices, summary="Latest bar per ticker")
def latest_prices(
    db: DB,
    tickers: Annotated[
        str | None,
        Query(description="comma-separated; default the whole universe", examples=["AAPL,MSFT"]),
    ] = None,
) -> dict:
    found = queries.latest_prices(db, ticker_list(db, tickers))
    return {"data": found, "paging": paging(len(found))}
