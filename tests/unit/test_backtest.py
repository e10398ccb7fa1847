"""Backtests: a ten-session series checked by hand, no look-ahead, the cost of fees, and real
prices against an independent pandas computation (the command and the API route on the demo
warehouse: tests/integration/test_backtest_demo.py)."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipelines.analytics.backtest import Params, run
from pipelines.analytics.crossover import TIE
from pipelines.config.errors import ParameterError
from pipelines.ingest.demo_data import bundled_bars

CLOSES = [10.0, 11.0, 12.0, 11.0, 10.0, 11.0, 12.0, 13.0, 12.0, 11.0]


def ten_sessions() -> pd.DataFrame:
    # Each session opens at the previous close: only the day's move counts.
    return pd.DataFrame(
        {
            "session_date": pd.bdate_range("2024-01-01", periods=10).date,
            "adj_open": [10.0, *CLOSES[:-1]],
            "adj_close": CLOSES,
        }
    )


def test_ten_sessions_by_hand() -> None:
    """1-session momentum: long after a session that closed up. Up closes on sessions 1, 2, 5,
    6, 7, so the position (taken at the next open) is 0 0 1 1 0 0 1 1 1 0. Equity: x12/11 on
    session 2, x11/12 on 3, x12/11, x13/12, x12/13 on 6-8: 12/11 at the end. Trades: open 11
    -> open 11 (0 %), open 11 -> open 12 (+1/11). Buy-and-hold from the first possible open
    (session 1 at 10) to the last close 11: +10 %."""
    result = run(ten_sessions(), Params(strategy="momentum", lookback=1))
    assert result.daily["position"].tolist() == [0, 0, 1, 1, 0, 0, 1, 1, 1, 0]
    assert result.daily["equity"].iloc[-1] == pytest.approx(12 / 11)
    assert [(t["entry_price"], t["exit_price"]) for t in result.trades] == [(11, 11), (11, 12)]
    assert [t["return"] for t in result.trades] == pytest.approx([0.0, 1 / 11])
    m = result.metrics
    assert m["total_return"] == pytest.approx(1 / 11)
    assert m["buy_and_hold_return"] == pytest.approx(0.1)
    assert m["trades"] == 2 and m["win_rate"] == 0.5
    assert m["exposure"] == pytest.approx(5 / 9)
    assert m["max_drawdown"] == pytest.approx(-1 / 12)  # 12/11 -> 1 on session 3
    assert (m["max_drawdown_peak"], m["max_drawdown_trough"]) == (
        date(2024, 1, 3),
        date(2024, 1, 4),
    )
    returns = result.daily["equity"].pct_change().dropna()
    assert m["sharpe"] == pytest.approx(returns.mean() / returns.std() * math.sqrt(252))


def test_fees_cost_what_they_should() -> None:
    """Four position changes, each paying the cost on the whole equity: the final equity is
    the costless one times (1 - c)^4."""
    free = run(ten_sessions(), Params(strategy="momentum", lookback=1))
    for bps in (10, 20):
        paid = run(ten_sessions(), Params(strategy="momentum", lookback=1, fee_bps=bps))
        expected = free.daily["equity"].iloc[-1] * (1 - bps / 10_000) ** 4
        assert paid.daily["equity"].iloc[-1] == pytest.approx(expected, rel=1e-12)


@pytest.fixture(scope="module")
def aapl() -> pd.DataFrame:
    """AAPL's real bars 2000-2013, adjusted by the vendor's own Adj Close / Close."""
    bars = bundled_bars()
    bars = bars[bars["Ticker"] == "AAPL"].sort_values("Date").reset_index(drop=True)
    factor = bars["Adj Close"] / bars["Close"]
    return pd.DataFrame(
        {
            "session_date": pd.to_datetime(bars["Date"]).dt.date,
            "adj_open": bars["Open"] * factor,
            "adj_close": bars["Adj Close"],
        }
    )


@pytest.mark.parametrize(
    "params",
    [
        Params(strategy="sma_cross", fast=50, slow=200, fee_bps=1, slippage_bps=2),
        Params(strategy="momentum", lookback=20, long_short=True, fee_bps=5),
    ],
    ids=["sma_cross", "momentum_long_short"],
)
def test_no_look_ahead(aapl: pd.DataFrame, params: Params) -> None:
    cut = 1500
    changed = aapl.copy()
    noise = np.random.default_rng(7).uniform(0.5, 2.0, len(aapl) - cut - 1)
    changed.loc[cut + 1 :, ["adj_open", "adj_close"]] *= noise[:, None]  # after session `cut`
    before, after = run(aapl, params).daily, run(changed, params).daily
    for column in ("signal", "position", "equity"):
        assert before[column].iloc[: cut + 1].tolist() == after[column].iloc[: cut + 1].tolist()
    assert before["position"].iloc[cut + 1] == after["position"].iloc[cut + 1]  # decided at t


@pytest.mark.parametrize(
    "params",
    [
        Params(strategy="sma_cross", fast=50, slow=200, fee_bps=1, slippage_bps=2),
        Params(strategy="momentum", lookback=20, long_short=True, fee_bps=5, risk_free_rate=0.02),
    ],
    ids=["sma_cross", "momentum_long_short"],
)
def test_demo_metrics_match_an_independent_pandas_computation(aapl, params: Params) -> None:
    result = run(aapl, params)
    close, open_ = aapl["adj_close"], aapl["adj_open"]
    off = -1 if params.long_short else 0
    if params.strategy == "sma_cross":
        fast, slow = close.rolling(params.fast).mean(), close.rolling(params.slow).mean()
        signal = pd.Series(np.where(fast > slow, 1, off)).where(slow.notna(), 0)
    else:
        change = close.pct_change(params.lookback, fill_method=None)
        signal = pd.Series(np.where(change > 0, 1, off)).where(change.notna(), 0)
    position = signal.shift(1, fill_value=0)
    cost = (params.fee_bps + params.slippage_bps) / 10_000
    growth = (
        (1 + position.shift(1, fill_value=0) * (open_ / close.shift(1) - 1)).fillna(1)
        * (1 - cost * (position - position.shift(1, fill_value=0)).abs())
        * (1 + position * (close / open_ - 1))
    )
    growth.iloc[0] = 1.0
    equity = growth.cumprod()
    daily = equity.pct_change().dropna() - params.risk_free_rate / 252
    drawdown = equity / equity.cummax() - 1
    m = result.metrics
    assert m["total_return"] == pytest.approx(equity.iloc[-1] - 1, rel=1e-9)
    assert m["sharpe"] == pytest.approx(daily.mean() / daily.std() * math.sqrt(252), rel=1e-9)
    downside = math.sqrt((daily.clip(upper=0) ** 2).mean())
    assert m["sortino"] == pytest.approx(daily.mean() / downside * math.sqrt(252), rel=1e-9)
    assert m["max_drawdown"] == pytest.approx(drawdown.min(), rel=1e-9)
    assert m["max_drawdown_trough"] == aapl["session_date"].iloc[int(drawdown.idxmin())]
    assert m["exposure"] == pytest.approx((position.iloc[1:] != 0).mean())
    entries = ((position != 0) & (position != position.shift(1, fill_value=0))).sum()
    assert m["trades"] == entries
    years = (len(aapl) - 1) / 252
    assert m["cagr"] == pytest.approx(equity.iloc[-1] ** (1 / years) - 1, rel=1e-9)


def test_a_tie_within_the_crossover_tolerance_is_not_long() -> None:
    """The SMA crossover is long only when the fast SMA is above the slow one by more than the
    crossover rule's tolerance, the same rule gold.ma_crossover_events draws crosses by; a fast
    SMA a hair above a flat slow one (well within it) stays flat."""
    closes = [10.0] * 3 + [10.0 * (1 + TIE / 10)]  # fast (1) above slow (3) by 1e-10 relative
    bars = pd.DataFrame(
        {
            "session_date": pd.bdate_range("2024-01-01", periods=4).date,
            "adj_open": closes,
            "adj_close": closes,
        }
    )
    tied = run(bars, Params(strategy="sma_cross", fast=1, slow=3))
    assert tied.daily["signal"].tolist() == [0, 0, 0, 0]
    clear = bars.assign(adj_close=[10.0, 10.0, 10.0, 10.5])
    assert run(clear, Params(strategy="sma_cross", fast=1, slow=3)).daily["signal"].iloc[-1] == 1


@pytest.mark.parametrize(
    ("params", "said"),
    [
        (Params(strategy="bogus"), "--strategy: 'bogus' is not sma_cross or momentum"),
        (Params(fast=200, slow=50), "--fast: fast (200) must be at least 1 and below slow (50)"),
        (Params(strategy="momentum", lookback=0), "--lookback: 0 must be at least 1"),
        (Params(fee_bps=-1), "--fee-bps: must be in [0, 10000)"),
    ],
)
def test_a_bad_parameter_is_named_once(params: Params, said: str) -> None:
    """The CLI shows `error: <what ParameterError says>`: the flag once, then what is wrong."""
    with pytest.raises(ParameterError) as caught:
        params.check()
    assert str(caught.value) == said
