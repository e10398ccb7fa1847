"""Recursive indicators, exactly as SPEC.md defines them, continued from a saved state.

EMA(n): alpha = 2/(n+1), seeded by the simple mean of its first n values.
MACD: EMA12 - EMA26; signal: EMA9 of MACD (seeded by the mean of its first 9 values); hist.
RSI 14 and ATR 14: Wilder's smoothing (avg = (avg*13 + x)/14), seeded by the simple mean of the
first 14 gains/losses or true ranges (which start at the second bar), as TA-Lib does; RSI is
100 * avg_gain / (avg_gain + avg_loss), and 0 when both are 0 (TA-Lib).

Recursions cannot be windowed: an incremental run reads the last saved row of each ticker and
continues with the same floating-point operations a full run performs, so the two agree bit for
bit. A ticker whose state is missing or not yet fully seeded is recomputed from its first bar.

Plain functions and dicts on purpose: SQLMesh serialises this module into the Python model that
uses it, so a change here re-versions gold.features_recursive.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def rsi(avg_gain: float, avg_loss: float) -> float:
    total = avg_gain + avg_loss
    return 100.0 * avg_gain / total if total != 0 else 0.0


def compute(
    close: Sequence[float],
    high: Sequence[float],
    low: Sequence[float],
    state: dict | None = None,
) -> dict[str, list]:
    """Indicators for consecutive bars of one ticker, continuing from `state` (the bar before
    the first one given) or from the ticker's first bar when `state` is None."""
    if state is not None and not is_seeded(state):
        raise ValueError("continue only from a seeded state; recompute from the first bar")
    n = len(close)
    out: dict[str, list] = {name: [None] * n for name in OUTPUT_COLUMNS}
    if state is None:
        i0, prev = 0, None
        ema12 = ema26 = signal = avg_gain = avg_loss = atr = None
    else:
        i0, prev = int(state["bar_index"]) + 1, state["close_continuous"]
        ema12, ema26, signal = state["ema_12"], state["ema_26"], state["macd_signal"]
        avg_gain, avg_loss, atr = state["avg_gain_14"], state["avg_loss_14"], state["atr_14"]
    sum12 = sum26 = sum_signal = sum_gain = sum_loss = sum_tr = 0.0

    for k in range(n):
        i, x, h, lo = i0 + k, close[k], high[k], low[k]
        out["bar_index"][k] = i
        out["close_continuous"][k] = x

        # EMA 12 and 26, seeded by their simple means.
        if i < EMA_FAST:
            sum12 += x
            if i == EMA_FAST - 1:
                ema12 = sum12 / EMA_FAST
        else:
            ema12 = ema12 + A_FAST * (x - ema12)
        if i < EMA_SLOW:
            sum26 += x
            if i == EMA_SLOW - 1:
                ema26 = sum26 / EMA_SLOW
        else:
            ema26 = ema26 + A_SLOW * (x - ema26)
        out["ema_12"][k] = ema12
        out["ema_26"][k] = ema26

        # MACD and its signal line (an EMA 9 of MACD, from MACD's 9th value).
        if i >= EMA_SLOW - 1:
            macd = ema12 - ema26
            out["macd"][k] = macd
            if i < SEEDED_AT:
                sum_signal += macd
            elif i == SEEDED_AT:
                signal = (sum_signal + macd) / SIGNAL
            else:
                signal = signal + A_SIGNAL * (macd - signal)
            if i >= SEEDED_AT:
                out["macd_signal"][k] = signal
                out["macd_hist"][k] = macd - signal

        # RSI and ATR: Wilder's smoothing of changes / true ranges from the second bar on.
        if i >= 1:
            change = x - prev
            gain, loss = max(change, 0.0), max(-change, 0.0)
            true_range = max(h - lo, abs(h - prev), abs(lo - prev))
            if i <= WILDER:
                sum_gain += gain
                sum_loss += loss
                sum_tr += true_range
                if i == WILDER:
                    avg_gain, avg_loss, atr = sum_gain / WILDER, sum_loss / WILDER, sum_tr / WILDER
            else:
                avg_gain = (avg_gain * (WILDER - 1) + gain) / WILDER
                avg_loss = (avg_loss * (WILDER - 1) + loss) / WILDER
                atr = (atr * (WILDER - 1) + true_range) / WILDER
            if i >= WILDER:
                out["avg_gain_14"][k] = avg_gain
                out["avg_loss_14"][k] = avg_loss
                out["rsi_14"][k] = rsi(avg_gain, avg_loss)
                out["atr_14"][k] = atr
        prev = x
    return out
