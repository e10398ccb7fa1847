"""GET /v1/backtests/{ticker}: a strategy's metrics, trades and equity curve."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.deps import DB, ProjectDep, known_ticker
from api.models import BacktestResult
from pipelines.run.backtests import backtest

router = APIRouter(prefix="/backtests", tags=["backtests"])


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
    result = backtest(
        project, db, ticker, long_short, start, end,
        strategy=strategy, fast=fast, slow=slow, lookback=lookback,
    )  # fmt: skip
    return {"ticker": ticker, **result.as_dict()}
