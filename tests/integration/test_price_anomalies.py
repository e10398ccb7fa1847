"""Price anomalies on real bundled bars with planted errors: AAPL's real 2:1 split of
2005-02-28 removed from the actions (a missed split), a phantom 2:1 split on IBM, one MSFT
session multiplied by 100 (a unit error). Each is found once, with its rule and the step
computed from the vendor's CSV (pandas); nothing else in the half-year is flagged, and the
whole demo, with its real actions, flags nothing."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pipelines.analytics.price_anomalies import rule_text
from pipelines.ingest import demo_data as demo
from tests.conftest import AS_OF, BACKENDS

ANOMALIES = (
    "SELECT ticker, session_date, rule, detected_on, step, expected_step, previous_session "
    "FROM silver.price_anomalies ORDER BY ticker, session_date"
)
PRICES = ["Open", "High", "Low", "Close"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_missed_split_a_phantom_split_and_a_unit_error_are_flagged(new_project, backend):
    project = new_project(backend)
    demo.stage(project.drop, tickers=["AAPL", "IBM", "MSFT"], start=date(2005, 1, 3),
               end=date(2005, 6, 30))  # fmt: skip
    actions = pd.read_csv(project.drop / demo.ACTIONS_FILE)
    real_split = (actions["ticker"] == "AAPL") & (actions["ex_date"] == "2005-02-28")
    assert real_split.sum() == 1
    phantom = pd.DataFrame([{"ticker": "IBM", "ex_date": "2005-05-02", "action": "split",
                             "value": 2.0}])  # fmt: skip
    pd.concat([actions[~real_split], phantom]).to_csv(project.drop / demo.ACTIONS_FILE,
                                                      index=False)  # fmt: skip
    bars = pd.read_csv(project.drop / demo.BAR_FILE)
    pence = (bars["Ticker"] == "MSFT") & (bars["Date"] == "2005-04-12")
    bars.loc[pence, PRICES] *= 100
    bars.to_csv(project.drop / demo.BAR_FILE, index=False)
    # The price-step check fails on the same steps (exit 3); the anomalies say what they are.
    assert project.cli("run", "--as-of", AS_OF, check=False).returncode == 3

    def close(ticker: str, day: str) -> float:
        return float(bars[(bars["Ticker"] == ticker) & (bars["Date"] == day)]["Close"].iloc[0])

    found = project.query(ANOMALIES)
    assert found[["ticker", "session_date", "rule"]].values.tolist() == [
        ["AAPL", pd.Timestamp("2005-02-28"), rule_text("missed_split")],
        ["IBM", pd.Timestamp("2005-05-02"), rule_text("split_without_step")],
        ["MSFT", pd.Timestamp("2005-04-12"), rule_text("unit_error")],
    ]
    aapl, ibm, msft = found.itertuples()
    assert aapl.step == pytest.approx(close("AAPL", "2005-02-25") / close("AAPL", "2005-02-28"))
    assert (aapl.expected_step, aapl.previous_session) == (2.0, pd.Timestamp("2005-02-25"))
    assert ibm.step == pytest.approx(close("IBM", "2005-04-29") / close("IBM", "2005-05-02"))
    assert ibm.expected_step == 2.0
    assert msft.step == pytest.approx(close("MSFT", "2005-04-11") / close("MSFT", "2005-04-12"))
    assert msft.expected_step == pytest.approx(0.01)
    assert msft.detected_on == pd.Timestamp("2005-04-13")  # the session it stepped back
    # A flag, not a removal: the bars stay in silver.
    kept = "SELECT COUNT(*) FROM silver.bars_daily WHERE session_date = DATE '2005-04-12'"
    assert project.scalar(kept) == 3


def test_the_demo_with_its_real_actions_flags_nothing(demo_project):
    assert demo_project.scalar("SELECT COUNT(*) FROM silver.price_anomalies") == 0
