"""The corporate actions derived from the bundled data are the real, documented ones."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.ingest.demo_data import derive_corporate_actions


@pytest.fixture(scope="module")
def actions(bundled: pd.DataFrame) -> pd.DataFrame:
    return derive_corporate_actions(bundled)


def test_known_splits(actions: pd.DataFrame) -> None:
    splits = actions[actions["action"] == "split"]
    assert sorted(map(tuple, splits[["ticker", "ex_date", "value"]].to_numpy().tolist())) == [
        ("AAPL", "2000-06-21", 2.0),
        ("AAPL", "2005-02-28", 2.0),
        ("MSFT", "2003-02-18", 2.0),
    ]


def test_known_dividends(actions: pd.DataFrame) -> None:
    dividends = actions[actions["action"] == "dividend"].set_index(["ticker", "ex_date"])["value"]
    assert dividends[("MSFT", "2004-11-15")] == pytest.approx(3.08, abs=1e-6)  # special
    assert dividends[("AAPL", "2012-08-09")] == pytest.approx(2.65, abs=1e-6)  # first since 1995
    assert dividends[("IBM", "2000-05-08")] == pytest.approx(0.13, abs=1e-6)
    assert dividends[("MSFT", "2003-02-19")] == pytest.approx(0.08, abs=1e-6)  # first ever
    counts = actions[actions["action"] == "dividend"].groupby("ticker").size().to_dict()
    assert counts == {"AAPL": 3, "IBM": 52, "MSFT": 37}
    assert "GOOG" not in set(actions["ticker"]) and "FB" not in set(actions["ticker"])
