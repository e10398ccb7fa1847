"""GET /v1/signals: moving-average crossovers (gold.ma_crossovers)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import DB, ApiError, Limit, ProjectDep, page_size, rows, ticker_list
from api.models import Signal

router = APIRouter(prefix="/v1", tags=["signals"])


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
    try:
        first = date.fromisoformat(since) if since else date(1, 1, 1)
    except ValueError:
        raise ApiError(422, "since", f"{since!r} is not an ISO date") from None
    chosen = ticker_list(db, tickers)
    where, params = "session_date >= ?", [first]
    if chosen:
        where += f" AND ticker IN ({', '.join('?' for _ in chosen)})"
        params += chosen
    return rows(
        db,
        "SELECT ticker, session_date, signal, fast, slow, fast_window, slow_window "
        f"FROM gold.ma_crossovers WHERE {where} ORDER BY session_date DESC, ticker LIMIT ?",
        [*params, page_size(project, limit)],
    )
