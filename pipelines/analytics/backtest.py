"""Backtests of one ticker on adjusted daily prices: SMA crossover and N-day momentum.

The one implementation behind `marketflow backtest`, the API's /v1/backtests route and the
report's backtest page; the bars come from pipelines/warehouse/queries.py (adjusted_bars).

Timing, without look-ahead: the signal of session t uses closes up to t only; the position it
asks for is taken at the open of session t+1. So session t+1's return is the overnight move
(close t -> open t+1) on the old position, then a trade at the open that costs
(fee_bps + slippage_bps) / 10,000 of the traded notional, then the day's move
(open t+1 -> close t+1) on the new position. Buy-and-hold enters at the same first open and
pays the same cost once.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from pipelines.analytics.crossover import side
from pipelines.config.errors import ParameterError

Strategy = Literal["sma_cross", "momentum"]
TRADING_DAYS = 252


@dataclass(frozen=True)
class Params:
    strategy: Strategy = "sma_cross"
    fast: int = 50  # sma_cross
    slow: int = 200
    lookback: int = 20  # momentum: long when the trailing N-session return is positive
    long_short: bool = False  # short instead of flat when the signal is off
    fee_bps: float = 0.0
    slippage_bps: float = 0.0
    risk_free_rate: float = 0.0  # annual

    @classmethod
    def from_settings(cls, costs: Any, long_short: bool | None = None, **rule: Any) -> Params:
        """The rule's parameters with the costs (and default side) of config.yaml's
        `backtest` block; raises ParameterError naming a bad parameter."""
        params = cls(
            **rule,
            long_short=costs.long_short if long_short is None else long_short,
            fee_bps=costs.fee_bps,
            slippage_bps=costs.slippage_bps,
            risk_free_rate=costs.risk_free_rate,
        )
        params.check()
        return params

    @property
    def rule(self) -> str:
        """The rule in words: `SMA 50/200 crossover`, `20-session momentum`."""
        if self.strategy == "sma_cross":
            return f"SMA {self.fast}/{self.slow} crossover"
        return f"{self.lookback}-session momentum"

    def describe(self) -> str:
        side = "long/short" if self.long_short else "long only"
        return f"{self.rule}, {side}, costs {self.fee_bps + self.slippage_bps:g} bps"

    def check(self) -> None:
        """ParameterError naming the parameter."""
        if self.strategy not in ("sma_cross", "momentum"):
            raise ParameterError("strategy", f"{self.strategy!r} is not sma_cross or momentum")
        if self.strategy == "sma_cross" and not 1 <= self.fast < self.slow:
            raise ParameterError(
                "fast", f"fast ({self.fast}) must be at least 1 and below slow ({self.slow})"
            )
        if self.strategy == "momentum" and self.lookback < 1:
            raise ParameterError("lookback", f"{self.lookback} must be at least 1")
        for name in ("fee_bps", "slippage_bps"):
            if not 0 <= getattr(self, name) < 10_000:
                raise ParameterError(name, "must be in [0, 10000)")


@dataclass
class Result:
    params: Params
    daily: pd.DataFrame  # session_date, adj_open, adj_close, signal, position, equity, buy_and_hold
    trades: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "params": asdict(self.params),
            "metrics": self.metrics,
            "trades": self.trades,
            "equity": [
                {
                    "session_date": row.session_date,
                    "position": int(row.position),
                    "equity": float(row.equity),
                    "buy_and_hold": float(row.buy_and_hold),
                }
                for row in self.daily.itertuples()
            ],
        }


def signals(close: pd.Series, params: Params) -> pd.Series:
    """The position each session's close asks for (from closes up to that session only)."""
    off = -1 if params.long_short else 0
    if params.strategy == "sma_cross":
        # Long while the fast SMA is above the slow one by the crossover rule, which also
        # decides gold.ma_crossover_events: a tie within its tolerance is not "above".
        fast = close.rolling(params.fast).mean()
        slow = close.rolling(params.slow).mean()
        wanted = np.where(side(fast.to_numpy(), slow.to_numpy()) > 0, 1, off)
        ready = slow.notna()
    else:
        trailing = close / close.shift(params.lookback) - 1
        wanted = np.where(trailing > 0, 1, off)
        ready = trailing.notna()
    return pd.Series(np.where(ready, wanted, 0), index=close.index, dtype="int64")


def run(bars: pd.DataFrame, params: Params) -> Result:
    """`bars`: session_date, adj_open, adj_close of one ticker in session order."""
    params.check()
    bars = bars.sort_values("session_date").reset_index(drop=True)
    if len(bars) < 2:
        raise ValueError("at least two sessions are needed")
    opens = bars["adj_open"].to_numpy(float)
    closes = bars["adj_close"].to_numpy(float)
    signal = signals(bars["adj_close"], params).to_numpy()
    position = np.zeros(len(bars), dtype="int64")
    position[1:] = signal[:-1]  # decided at the close of t, held from the open of t+1
    cost = (params.fee_bps + params.slippage_bps) / 10_000

    equity = np.ones(len(bars))
    hold = np.ones(len(bars))
    for t in range(1, len(bars)):
        before, now = position[t - 1], position[t]
        value = equity[t - 1] * (1 + before * (opens[t] / closes[t - 1] - 1))
        value *= 1 - cost * abs(now - before)
        equity[t] = value * (1 + now * (closes[t] / opens[t] - 1))
        held = hold[t - 1] * (1 - cost) if t == 1 else hold[t - 1] * opens[t] / closes[t - 1]
        hold[t] = held * closes[t] / opens[t]
    daily = bars[["session_date", "adj_open", "adj_close"]].assign(
        signal=signal, position=position, equity=equity, buy_and_hold=hold
    )
    result = Result(params, daily)
    result.trades = _trades(daily, cost)
    result.metrics = _metrics(daily, result.trades, params)
    return result


def _trades(daily: pd.DataFrame, cost: float) -> list[dict[str, Any]]:
    """Round trips: entered at an open, left at a later open (or still open at the end)."""
    trades: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    rows = list(daily.itertuples())
    for row in rows:
        side = int(row.position)
        if current and side != current["side"]:
            current.update(exit_date=row.session_date, exit_price=float(row.adj_open))
            trades.append(_close_trade(current, cost))
            current = None
        if side != 0 and current is None:
            current = {
                "side": side,
                "entry_date": row.session_date,
                "entry_price": float(row.adj_open),
            }
    if current:
        last = rows[-1]
        current.update(exit_date=None, exit_price=float(last.adj_close))  # marked at the close
        trades.append(_close_trade(current, cost))
    return trades


def _close_trade(trade: dict[str, Any], cost: float) -> dict[str, Any]:
    gross = trade["exit_price"] / trade["entry_price"] - 1
    trade["return"] = (1 - cost) * (1 + trade["side"] * gross) * (
        (1 - cost) if trade["exit_date"] else 1
    ) - 1
    return {
        "side": "long" if trade["side"] > 0 else "short",
        "entry_date": trade["entry_date"],
        "entry_price": trade["entry_price"],
        "exit_date": trade["exit_date"],
        "exit_price": trade["exit_price"],
        "return": trade["return"],
    }


def _metrics(daily: pd.DataFrame, trades: list[dict[str, Any]], params: Params) -> dict[str, Any]:
    equity = daily["equity"].to_numpy()
    returns = equity[1:] / equity[:-1] - 1
    excess = returns - params.risk_free_rate / TRADING_DAYS
    sessions = len(returns)
    std = excess.std(ddof=1) if sessions > 1 else 0.0
    downside = math.sqrt(np.mean(np.minimum(excess, 0) ** 2)) if sessions else 0.0
    peak = np.maximum.accumulate(equity)
    drawdown = equity / peak - 1
    trough = int(np.argmin(drawdown))
    peak_at = int(np.argmax(equity[: trough + 1])) if trough else 0
    total = equity[-1] / equity[0] - 1
    hold_total = daily["buy_and_hold"].iloc[-1] / daily["buy_and_hold"].iloc[0] - 1
    closed = [t for t in trades if t["exit_date"] is not None]
    dates = daily["session_date"]
    return {
        "first_session": _day(dates.iloc[0]),
        "last_session": _day(dates.iloc[-1]),
        "sessions": sessions + 1,
        "total_return": total,
        "cagr": (1 + total) ** (TRADING_DAYS / sessions) - 1 if sessions else 0.0,
        "sharpe": excess.mean() / std * math.sqrt(TRADING_DAYS) if std > 0 else None,
        "sortino": excess.mean() / downside * math.sqrt(TRADING_DAYS) if downside > 0 else None,
        "max_drawdown": float(drawdown[trough]),
        "max_drawdown_peak": _day(dates.iloc[peak_at]),
        "max_drawdown_trough": _day(dates.iloc[trough]),
        "exposure": float(np.mean(daily["position"].to_numpy()[1:] != 0)) if sessions else 0.0,
        "trades": len(trades),
        "win_rate": (sum(t["return"] > 0 for t in closed) / len(closed)) if closed else None,
        "buy_and_hold_return": hold_total,
    }


def _day(value: Any) -> date:
    return value.date() if hasattr(value, "date") and not isinstance(value, date) else value
