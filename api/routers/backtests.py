"""GET /v1/backtests/{ticker}: a strategy's metrics, trades and equity curve."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, Path, Query

from api.deps import DB, ApiError, ProjectDep, known_ticker, rows
from api.models import BacktestResult
from pipelines import backtest as bt

router = APIRouter(prefix="/v1/backtests", tags=["backtests"])


@router.get("/{ticker}", response_model=BacktestResult, summary="Backtest one ticker")
def get_backtest(
    db: DB,
    project: ProjectDep,
    ticker: Annotated[str, Path(description="a ticker of the universe", examples=["AAPL"])],
    strategy: Annotated[Literal["sma_cross", "momentum"], Query()] = "sma_cross",
    fast: Annotated[int, Query(ge=1, le=252, description="sma_cross: fast SMA")] = 50,
    slow: Annotated[int, Query(ge=2, le=252, description="sma_cross: slow SMA")] = 200,
    lookback: Annotated[int, Query(ge=1, le=252, description="momentum: sessions")] = 20,
    long_short: Annotated[bool | None, Query(description="default from config.yaml")] = None,
    start: Annotated[date | None, Query(description="first session")] = None,
    end: Annotated[date | None, Query(description="last session")] = None,
) -> dict:
    """Signals at the close of a session trade at the next open, on adjusted prices, with
    the fees and slippage of config.yaml; compared with buy-and-hold."""
    ticker = known_ticker(db, ticker)
    try:
        params = bt.Params.from_settings(
            project.settings.backtest,
            long_short,
            strategy=strategy,
            fast=fast,
            slow=slow,
            lookback=lookback,
        )
    except ValueError as exc:
        raise ApiError(422, str(exc).split(":")[0].split(" ")[0].strip("("), str(exc)) from None
    found = rows(
        db,
        "SELECT session_date, adj_open, adj_close FROM silver.bars_daily WHERE ticker = ? "
        "AND session_date >= ? AND session_date <= ? ORDER BY session_date",
        [ticker, start or date(1, 1, 1), end or date(9999, 12, 31)],
    )
    if len(found) < 2:
        raise ApiError(422, "start", f"{ticker} has fewer than two sessions in the window")
    result = bt.run(pd.DataFrame(found), params)
    return {"ticker": ticker, **result.as_dict()}
