"""The recursive indicators continue from a saved row with exactly the result of a full run."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.analytics.indicators import OUTPUT_COLUMNS, STATE_COLUMNS, compute, is_seeded


@pytest.fixture(scope="module")
def series() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, 700)))
    spread = np.abs(rng.normal(0, 0.01, 700)) + 0.001
    return close, close * (1 + spread), close * (1 - spread)


@pytest.mark.parametrize("split", [34, 35, 100, 251, 699])
def test_continuing_from_a_saved_row_equals_the_full_run(series, split: int) -> None:
    close, high, low = series
    full = compute(close, high, low)
    head = compute(close[:split], high[:split], low[:split])
    state = {name: head[name][-1] for name in STATE_COLUMNS}
    assert is_seeded(state)
    tail = compute(close[split:], high[split:], low[split:], state)
    for name in OUTPUT_COLUMNS:
        # Bit for bit: the same operations on the same doubles.
        np.testing.assert_array_equal(tail[name], full[name][split:], err_msg=name)


def test_an_unseeded_row_cannot_be_continued(series) -> None:
    close, high, low = series
    head = compute(close[:20], high[:20], low[:20])
    state = {name: head[name][-1] for name in STATE_COLUMNS}
    assert not is_seeded(state)  # MACD's signal starts at the 34th bar
    with pytest.raises(ValueError, match="seeded"):
        compute(close[20:], high[20:], low[20:], state)


def test_hand_checkable_ema_and_rsi() -> None:
    # 12 closes of 1..12: EMA 12 seeds at their mean, 6.5; the 13th close, 19, moves it by
    # alpha = 2/13 of the gap: 6.5 + (19 - 6.5) * 2/13 = 8.4230769...
    close = np.array([*range(1, 13), 19.0])
    out = compute(close, close, close)
    assert np.isnan(out["ema_12"][10])
    assert out["ema_12"][11] == 6.5
    assert out["ema_12"][12] == pytest.approx(6.5 + 12.5 * 2 / 13, rel=1e-15)
    # Only gains so far: RSI is 100 from the 15th bar on (index 14).
    rising = np.arange(1.0, 17.0)
    rsi = compute(rising, rising, rising)["rsi_14"]
    assert np.isnan(rsi[13]) and rsi[14] == 100.0 and rsi[15] == 100.0
    # Bars 1 wide, each closing 1 above the last: the true range is high - previous close,
    # (c + 0.5) - (c - 1) = 1.5, every day, so ATR is 1.5.
    atr = compute(rising, rising + 0.5, rising - 0.5)["atr_14"]
    assert np.isnan(atr[13]) and atr[14] == 1.5 and atr[15] == pytest.approx(1.5, rel=1e-15)
