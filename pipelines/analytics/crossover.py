"""Which side of the slow moving average the fast one is on: the one rule behind the crossover
events of gold.ma_crossover_events (through the @crossover_side macro) and the SMA crossover
backtest (pipelines/analytics/backtest.py).

+1 above, -1 below, 0 level. Two equal averages computed by different sums (running sums in
SQL, pandas' rolling mean) can differ in their last bits, so a difference within TIE, relative
to the slow average, is level: neither a cross nor a reason to hold a position.
"""

from __future__ import annotations

import numpy as np

TIE = 1e-9


def side(fast: np.ndarray, slow: np.ndarray) -> np.ndarray:
    """+1, -1 or 0 per element (0 where either average is missing)."""
    fast, slow = np.asarray(fast, dtype=float), np.asarray(slow, dtype=float)
    band = TIE * np.abs(slow)
    with np.errstate(invalid="ignore"):
        above, below = fast - slow > band, slow - fast > band
    return np.where(above, 1, np.where(below, -1, 0))


def side_sql(fast: str, slow: str) -> str:
    """The same rule as a SQL expression over two column expressions."""
    return (
        f"CASE WHEN {fast} - {slow} > {TIE!r} * ABS({slow}) THEN 1 "
        f"WHEN {slow} - {fast} > {TIE!r} * ABS({slow}) THEN -1 ELSE 0 END"
    )
