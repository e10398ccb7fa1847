"""Recursive indicators, as docs/indicators.md defines them, continued from a saved state.

EMA(n): alpha = 2/(n+1), seeded by the simple mean of its first n values.
MACD: EMA12 - EMA26; signal: EMA9 of MACD (seeded by the mean of its first 9 values); hist.
RSI 14 and ATR 14: Wilder's smoothing (an EMA with alpha = 1/14), seeded by the simple mean of
the first 14 gains/losses or true ranges (which start at the second bar), as TA-Lib does; RSI
is 100 * avg_gain / (avg_gain + avg_loss), and 0 when both are 0 (TA-Lib).

Recursions cannot be windowed: an incremental run reads the last saved row of each ticker and
continues with the same floating-point operations a full run performs, so the two agree bit for
bit. A ticker whose state is missing or not yet fully seeded is recomputed from its first bar.

Plain functions and dicts on purpose: SQLMesh serialises this module into the Python model that
uses it, so a change here re-versions gold.features_recursive.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

EMA_FAST, EMA_SLOW, SIGNAL, WILDER = 12, 26, 9, 14
A_FAST, A_SLOW, A_SIGNAL = 2 / (EMA_FAST + 1), 2 / (EMA_SLOW + 1), 2 / (SIGNAL + 1)
# Index of the first bar at which every recursion has been seeded (the MACD signal's).
SEEDED_AT = EMA_SLOW - 1 + SIGNAL - 1

OUTPUT_COLUMNS = (
    "bar_index",
    "close_continuous",
    "ema_12",
    "ema_26",
    "macd",
    "macd_signal",
    "macd_hist",
    "avg_gain_14",
    "avg_loss_14",
    "rsi_14",
    "atr_14",
)
# A ticker's last computed row, as a dict with these keys (the model's own column names), is
# everything needed to continue the recursions.
STATE_COLUMNS = (
    "bar_index",
    "close_continuous",
    "ema_12",
    "ema_26",
    "macd_signal",
    "avg_gain_14",
    "avg_loss_14",
    "atr_14",
)


def is_seeded(state: dict | None) -> bool:
    """True when every recursion of that row has been seeded, so it can be continued."""
    return (
        state is not None
        and state.get("bar_index") is not None
        and state["bar_index"] >= SEEDED_AT
        and all(state.get(k) is not None for k in STATE_COLUMNS)
    )


def rsi(avg_gain: np.ndarray, avg_loss: np.ndarray) -> np.ndarray:
    total = avg_gain + avg_loss
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total != 0, 100.0 * avg_gain / total, 0.0)


def _smooth(previous: float, values: np.ndarray, alpha: float) -> np.ndarray:
    """y[k] = y[k-1] + alpha * (values[k] - y[k-1]) from y[-1] = previous, in C (pandas' ewm
    with adjust=False). A continuation from a saved y feeds the same loop the same double."""
    if len(values) == 0:
        return values
    series = pd.Series(np.concatenate(([previous], values)))
    return series.ewm(alpha=alpha, adjust=False).mean().to_numpy()[1:]


def _seeded(
    values: np.ndarray, first_index: int, n: int, alpha: float, previous: float | None
) -> np.ndarray:
    """An EMA of `values` (whose first element has global index first_index) seeded by the mean
    of its first n values (the recursion's own indices 0..n-1), or continued from `previous`."""
    out = np.full(len(values), np.nan)
    if previous is not None:  # continuing: every value is past the seed
        out[:] = _smooth(previous, values, alpha)
        return out
    if first_index != 0 or len(values) < n:
        return out
    out[n - 1] = values[:n].mean()
    out[n:] = _smooth(out[n - 1], values[n:], alpha)
    return out


def compute(
    close: Sequence[float],
    high: Sequence[float],
    low: Sequence[float],
    state: dict | None = None,
) -> dict[str, np.ndarray]:
    """Indicators for consecutive bars of one ticker, continuing from `state` (the bar before
    the first one given) or from the ticker's first bar when `state` is None."""
    if state is not None and not is_seeded(state):
        raise ValueError("continue only from a seeded state; recompute from the first bar")
    x, h, lo = (np.asarray(v, dtype=float) for v in (close, high, low))
    n = len(x)
    s = state or {}
    i0 = int(s["bar_index"]) + 1 if state else 0
    out: dict[str, np.ndarray] = {"bar_index": np.arange(i0, i0 + n, dtype=float)}
    out["close_continuous"] = x
    out["ema_12"] = _seeded(x, i0, EMA_FAST, A_FAST, s.get("ema_12"))
    out["ema_26"] = _seeded(x, i0, EMA_SLOW, A_SLOW, s.get("ema_26"))
    macd = out["ema_12"] - out["ema_26"]  # NaN until EMA 26 exists (index 25)
    out["macd"] = macd
    # The signal line is an EMA 9 over MACD's own series, which starts at index 25.
    signal = np.full(n, np.nan)
    if state:
        signal[:] = _smooth(s["macd_signal"], macd, A_SIGNAL)
    else:
        start = EMA_SLOW - 1
        signal[start:] = _seeded(macd[start:], 0, SIGNAL, A_SIGNAL, None)
    out["macd_signal"] = signal
    out["macd_hist"] = macd - signal

    # Changes and true ranges exist from the second bar on (index 1).
    previous = np.concatenate(([s["close_continuous"]] if state else [np.nan], x[:-1]))
    change = x - previous
    gain, loss = np.clip(change, 0, None), np.clip(-change, 0, None)
    true_range = np.fmax(h - lo, np.fmax(np.abs(h - previous), np.abs(lo - previous)))
    wilder = 1.0 / WILDER
    if state:
        avg_gain = _smooth(s["avg_gain_14"], gain, wilder)
        avg_loss = _smooth(s["avg_loss_14"], loss, wilder)
        atr = _smooth(s["atr_14"], true_range, wilder)
    else:  # the recursions run over indices 1.., seeded by their first 14 values
        avg_gain, avg_loss, atr = (np.full(n, np.nan) for _ in range(3))
        for target, series in ((avg_gain, gain), (avg_loss, loss), (atr, true_range)):
            target[1:] = _seeded(series[1:], 0, WILDER, wilder, None)
    out["avg_gain_14"], out["avg_loss_14"], out["atr_14"] = avg_gain, avg_loss, atr
    out["rsi_14"] = np.where(np.isnan(avg_gain), np.nan, rsi(avg_gain, avg_loss))
    return out
