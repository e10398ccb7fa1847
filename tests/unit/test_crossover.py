"""The crossover rule has one home (pipelines/analytics/crossover.py): its SQL and its Python
agree on every case, ties included, and the model and the backtest both use it."""

from __future__ import annotations

import math

import duckdb
import numpy as np

from pipelines.analytics.crossover import TIE, side, side_sql
from tests.conftest import REPO

# (fast, slow) -> side, by hand: above by more than 1e-9 relative is +1, below -1, else level.
CASES = [
    (101.0, 100.0, 1),
    (99.0, 100.0, -1),
    (100.0, 100.0, 0),
    (100.0 * (1 + TIE / 2), 100.0, 0),  # a last-bits difference is level
    (100.0 * (1 - TIE / 2), 100.0, 0),
    (100.0 * (1 + 2 * TIE), 100.0, 1),
    (-5.0, -6.0, 1),  # the tolerance is relative to |slow|
    (math.nan, 100.0, 0),  # no average yet
]


def test_python_and_sql_agree_by_hand() -> None:
    fast = np.array([c[0] for c in CASES])
    slow = np.array([c[1] for c in CASES])
    assert side(fast, slow).tolist() == [c[2] for c in CASES]
    con = duckdb.connect()
    con.execute("CREATE TABLE s (i INT, fast DOUBLE, slow DOUBLE)")
    con.executemany(
        "INSERT INTO s VALUES (?, ?, ?)", [(i, f, s) for i, (f, s, _) in enumerate(CASES)]
    )
    sql = f"SELECT {side_sql('fast', 'slow')} FROM s WHERE NOT isnan(fast) ORDER BY i"
    assert [r[0] for r in con.execute(sql).fetchall()] == [c[2] for c in CASES if c[0] == c[0]]


def test_the_model_and_the_backtest_use_the_rule() -> None:
    model = (REPO / "models" / "gold" / "ma_crossover_events.sql").read_text()
    assert "@crossover_side(fast, slow) AS side" in model and "1e-9" not in model
    backtest = (REPO / "pipelines" / "analytics" / "backtest.py").read_text()
    assert "side(fast.to_numpy(), slow.to_numpy())" in backtest and "fast > slow" not in backtest
