"""SYNTHETIC corporate actions explain every split in the generated prices: two splits drawn on
the same session (SYN04674's two 3:1 on 2005-03-18 in the 20-year set) are one action of their
product. As two identical rows, silver kept one 3:1 for a 9:1 step, and the run's price-step
check failed the benchmark's growth backfill."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import synthetic


def test_two_splits_drawn_on_one_session_are_one_action_of_their_product() -> None:
    days = synthetic.sessions(20)
    bars, actions = synthetic.one_ticker(4674, days, seed=7)
    splits = [(d, v) for _, d, kind, v in actions if kind == "split"]
    keys = [(d, kind) for _, d, kind, _ in actions]
    assert len(keys) == len(set(keys)), "one action per session and kind"
    assert ("2005-03-18", 9.0) in splits
    # Every split's ratio is the as-traded close's drop over its session, within a day's move.
    close = bars.set_index(bars["ts"].dt.strftime("%Y-%m-%d"))["close"]
    for day, ratio in splits:
        position = close.index.get_loc(day)
        step = close.iloc[position - 1] / close.iloc[position]
        assert np.isclose(step, ratio, rtol=0.15), (day, ratio, step)
