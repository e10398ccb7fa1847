"""Response models: the API's documentation (OpenAPI at /docs) and its contract."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    parameter: str | None = Field(description="the offending parameter, when there is one")
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail

    model_config = ConfigDict(
        json_schema_extra={
            "example": {"error": {"parameter": "ticker", "message": "unknown ticker 'ZZZZ'"}}
        }
    )


class TableFreshness(BaseModel):
    table: str
    latest: str | None = Field(description="latest session date or bar timestamp in the table")
    due: str | None = Field(description="what the exchange calendar says must be there by now")
    fresh: bool | None = Field(description="null when freshness is not judged for this table")


class LastRun(BaseModel):
    run_id: str
    command: str
    status: str = Field(description="ok | checks_failed | failed")
    started_at: datetime
    ended_at: datetime
    exit_code: int


class Agreement(BaseModel):
    interval: Literal["1d", "1m"]
    primary_source: str | None = Field(description="the provider `intervals` names")
    secondary: str = Field(description="a provider compared with it (reconciliation)")
    compared: int = Field(description="bars compared")
    agreed: int = Field(description="bars within the tolerances")
    agreement_rate: float = Field(description="agreed / compared")


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    checked_at: datetime
    tables: list[TableFreshness]
    last_run: LastRun | None
    reconciliation: list[Agreement] = Field(
        default_factory=list,
        description="gold.provider_agreement: how often each pair of providers agrees",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "status": "ok",
                "checked_at": "2024-11-29T23:00:00Z",
                "tables": [
                    {
                        "table": "silver.bars_daily",
                        "latest": "2024-11-29",
                        "due": "2024-11-29",
                        "fresh": True,
                    }
                ],
                "last_run": None,
                "reconciliation": [
                    {
                        "interval": "1d",
                        "primary_source": "polygon",
                        "secondary": "yahoo",
                        "compared": 1260,
                        "agreed": 1254,
                        "agreement_rate": 0.9952,
                    }
                ],
            }
        }
    )


class Paging(BaseModel):
    limit: int = Field(description="rows per page asked for (or the default)")
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


class Ticker(BaseModel):
    ticker: str = Field(examples=["AAPL"])
    name: str | None
    sector: str | None = Field(description="GICS sector, where the index data names one")
    industry: str | None
    first_session: date | None
    last_session: date | None


class TickersPage(BaseModel):
    data: list[Ticker]
    paging: Paging


class LatestPrice(BaseModel):
    ticker: str = Field(examples=["AAPL"])
    session_date: date
    close: float = Field(description="as traded")
    adj_close: float = Field(description="adjusted for every later split and dividend")
    return_1d: float | None
    volume: int


class LatestPrices(BaseModel):
    data: list[LatestPrice]
    paging: Paging


class DailyBar(BaseModel):
    ticker: str
    session_date: date = Field(description="the session (the exchange's date)")
    open: float
    high: float
    low: float
    close: float
    volume: int = Field(description="shares; adjusted: for splits only, to whole shares")


class MinuteBar(BaseModel):
    ticker: str
    ts: datetime = Field(description="start of the minute (UTC)")
    session_date: date = Field(description="its session")
    open: float
    high: float
    low: float
    close: float
    volume: int = Field(description="shares; adjusted: for splits only, to whole shares")


class BarsPage(BaseModel):
    interval: Literal["1d", "1m"]
    adjusted: bool = Field(
        description="prices adjusted for splits and dividends, volume for splits only"
    )
    as_of: str | None = Field(description="the moment the answer is as of (None: now)")
    data: list[MinuteBar] | list[DailyBar] = Field(description="by ticker, then time")
    paging: Paging


class FeaturesPage(BaseModel):
    fields: list[str]
    as_of: str | None = Field(description="the moment the answer is as of (None: now)")
    data: list[dict[str, date | float | str | None]] = Field(
        description="gold.daily_features rows: ticker, session_date and the requested fields"
    )
    paging: Paging


class Signal(BaseModel):
    ticker: str
    session_date: date
    signal: Literal["golden", "death"]
    fast: float = Field(description="fast SMA at the cross, adjusted")
    slow: float = Field(description="slow SMA at the cross, adjusted")
    fast_window: int
    slow_window: int


class SignalsPage(BaseModel):
    data: list[Signal] = Field(description="the newest first")
    paging: Paging


class BacktestMetrics(BaseModel):
    first_session: date
    last_session: date
    sessions: int
    total_return: float
    cagr: float
    sharpe: float | None = Field(description="annualised: daily excess returns * sqrt(252)")
    sortino: float | None
    max_drawdown: float = Field(description="worst fall from a peak, e.g. -0.25")
    max_drawdown_peak: date
    max_drawdown_trough: date
    exposure: float = Field(description="share of sessions holding a position")
    trades: int
    win_rate: float | None = Field(description="share of closed round trips that made money")
    buy_and_hold_return: float


class BacktestTrade(BaseModel):
    side: Literal["long", "short"]
    entry_date: date
    entry_price: float = Field(description="adjusted open")
    exit_date: date | None = Field(description="null while still open (marked at the last close)")
    exit_price: float
    return_: float = Field(alias="return")


class EquityPoint(BaseModel):
    session_date: date
    position: int = Field(description="1 long, 0 flat, -1 short, held from the open")
    equity: float = Field(description="growth of 1 invested at the first open")
    buy_and_hold: float


class BacktestResult(BaseModel):
    ticker: str
    params: dict[str, str | int | float | bool]
    metrics: BacktestMetrics
    trades: list[BacktestTrade]
    equity: list[EquityPoint]
