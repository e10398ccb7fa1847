"""gold.daily_features against an independent full-history computation written here with
pandas (rolling windows and ewm), on the real demo data, following docs/indicators.md."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import Project

RTOL = 1e-6  # docs/indicators.md's tolerance; the model in fact agrees to about 1e-12


def seeded_ema(x: pd.Series, n: int, alpha: float) -> pd.Series:
    """EMA seeded by the simple mean of the first n values; NaN before."""
    x = x.dropna()
    out = pd.Series(np.nan, index=x.index)
    if len(x) < n:
        return out
    seed = x.iloc[:n].mean()
    tail = pd.concat([pd.Series([seed], index=[x.index[n - 1]]), x.iloc[n:]])
    out.loc[tail.index] = tail.ewm(alpha=alpha, adjust=False).mean()
    return out


def reference(bars: pd.DataFrame) -> pd.DataFrame:
    c, h, lo = bars["adj_close"], bars["adj_high"], bars["adj_low"]
    out = pd.DataFrame(index=bars.index)
    out["return_1d"] = c / c.shift() - 1
    out["log_return_1d"] = np.log(c / c.shift())
    for n in (20, 50, 200):
        out[f"sma_{n}"] = c.rolling(n).mean()
    out["ema_12"] = seeded_ema(c, 12, 2 / 13)
    out["ema_26"] = seeded_ema(c, 26, 2 / 27)
    out["macd"] = out["ema_12"] - out["ema_26"]
    out["macd_signal"] = seeded_ema(out["macd"], 9, 2 / 10)
    out["macd_hist"] = out["macd"] - out["macd_signal"]
    change = c.diff()
    avg_gain = seeded_ema(change.clip(lower=0), 14, 1 / 14)
    avg_loss = seeded_ema((-change).clip(lower=0), 14, 1 / 14)
    out["rsi_14"] = 100 * avg_gain / (avg_gain + avg_loss)
    true_range = pd.concat([h - lo, (h - c.shift()).abs(), (lo - c.shift()).abs()], axis=1).max(
        axis=1
    )
    true_range.iloc[0] = np.nan  # needs a previous close
    out["atr_14"] = seeded_ema(true_range, 14, 1 / 14)
    std = c.rolling(20).std(ddof=0)
    out["bb_middle"] = out["sma_20"]
    out["bb_upper"] = out["sma_20"] + 2 * std
    out["bb_lower"] = out["sma_20"] - 2 * std
    out["volatility_20d"] = out["log_return_1d"].rolling(20).std(ddof=1) * np.sqrt(252)
    out["high_52w"] = h.rolling(252).max()
    out["low_52w"] = lo.rolling(252).min()
    return out


COLUMNS = [
    "return_1d",
    "log_return_1d",
    "sma_20",
    "sma_50",
    "sma_200",
    "ema_12",
    "ema_26",
    "macd",
    "macd_signal",
    "macd_hist",
    "rsi_14",
    "atr_14",
    "bb_upper",
    "bb_middle",
    "bb_lower",
    "volatility_20d",
    "high_52w",
    "low_52w",
]


@pytest.mark.parametrize("ticker", ["AAPL", "MSFT", "IBM", "GOOG", "FB"])
def test_indicators_match_full_history_reference(demo_project: Project, ticker: str) -> None:
    bars = demo_project.query(
        f"SELECT session_date, adj_close, adj_high, adj_low FROM silver.bars_daily "
        f"WHERE ticker = '{ticker}' ORDER BY session_date"
    )
    gold = demo_project.query(
        f"SELECT * FROM gold.daily_features WHERE ticker = '{ticker}' ORDER BY session_date"
    )
    assert list(gold["session_date"]) == list(bars["session_date"])
    expected = reference(bars)
    np.testing.assert_allclose(gold["adj_close"], bars["adj_close"], rtol=0)
    for column in COLUMNS:
        got, want = gold[column].to_numpy(float), expected[column].to_numpy(float)
        # Same rows are null ("not enough history") ...
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=column)
        # ... and the rest agree (atol only matters for values that cross zero).
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-12, err_msg=column)


def test_indicator_warmup_lengths(demo_project: Project) -> None:
    """Each indicator becomes non-null exactly when its history requirement is met
    (docs/indicators.md)."""
    gold = demo_project.query(
        "SELECT * FROM gold.daily_features WHERE ticker = 'FB' ORDER BY session_date"
    )
    first_valid = {c: int(gold[c].first_valid_index()) for c in COLUMNS if gold[c].notna().any()}
    assert first_valid["return_1d"] == 1
    assert first_valid["sma_20"] == 19 and first_valid["sma_50"] == 49
    assert first_valid["ema_12"] == 11 and first_valid["ema_26"] == 25
    assert first_valid["macd_signal"] == 33
    assert first_valid["rsi_14"] == 14 and first_valid["atr_14"] == 14
    assert first_valid["volatility_20d"] == 20
    assert gold["sma_200"].isna().all()  # FB has 196 bars: never 200
    assert gold["high_52w"].isna().all()


def test_rsi_in_range(demo_project: Project) -> None:
    bounds = demo_project.query("SELECT MIN(rsi_14), MAX(rsi_14) FROM gold.daily_features")
    assert bounds.iloc[0, 0] >= 0 and bounds.iloc[0, 1] <= 100
