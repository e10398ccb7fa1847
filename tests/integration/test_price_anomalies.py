"""Price anomalies on real bundled bars with planted errors: AAPL's real 2:1 split of
2005-02-28 removed from the actions (a missed split), a phantom 2:1 split on IBM, one MSFT
session multiplied by 100 (a unit error), IBM's close of 2005-06-01 halved alone (off its
day's range). Each is found once, with its rule and the step
computed from the vendor's CSV (pandas); nothing else in the half-year is flagged, and the
whole demo, with its real actions, flags nothing. With repair on, each is fixed and recorded:
AAPL's adjusted closes are those the real split gives (pandas, 1e-9), MSFT's session is the
vendor's again, IBM's phantom split adjusts nothing; landed in two steps around the unit error,
the repaired warehouse equals the one-shot build."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import yaml

from pipelines.analytics.price_anomalies import repair_text, rule_text
from pipelines.ingest import demo_data as demo
from tests.conftest import AS_OF, BACKENDS, Project
from tests.tables import GOLD_TABLES, SILVER_TABLES, assert_same_tables, snapshot

ANOMALIES = (
    "SELECT ticker, session_date, rule, detected_on, step, expected_step, previous_session "
    "FROM silver.price_anomalies ORDER BY ticker, session_date"
)
PRICES = ["Open", "High", "Low", "Close"]


REPAIRS = (
    "SELECT ticker, session_date, rule, repair, factor, source, close "
    "FROM silver.repairs ORDER BY ticker, session_date"
)


def plant(project: Project, end: date = date(2005, 6, 30)) -> pd.DataFrame:
    """Stage AAPL, IBM and MSFT from 2005-01-03 to `end` with the three planted errors; the
    bars as staged."""
    demo.stage(project.drop, tickers=["AAPL", "IBM", "MSFT"], start=date(2005, 1, 3), end=end)
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
    halved = (bars["Ticker"] == "IBM") & (bars["Date"] == "2005-06-01")  # the close alone
    bars.loc[halved, "Close"] /= 2
    bars.to_csv(project.drop / demo.BAR_FILE, index=False)
    return bars


def repair_on(project: Project) -> None:
    config = yaml.safe_load(project.config.read_text())
    config["variables"]["repair"] = {"files": True}
    project.config.write_text(
        yaml.safe_dump(config, sort_keys=False, default_style='"', width=1 << 20)
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_missed_split_a_phantom_split_and_a_unit_error_are_flagged_then_repaired(
    new_project, backend
):
    project = new_project(backend)
    bars = plant(project)
    # The price-step check fails on the same steps (exit 3); the anomalies say what they are.
    assert project.cli("run", "--as-of", AS_OF, check=False).returncode == 3

    def close(ticker: str, day: str) -> float:
        return float(bars[(bars["Ticker"] == ticker) & (bars["Date"] == day)]["Close"].iloc[0])

    found = project.query(ANOMALIES)
    assert found[["ticker", "session_date", "rule"]].values.tolist() == [
        ["AAPL", pd.Timestamp("2005-02-28"), rule_text("missed_split")],
        ["IBM", pd.Timestamp("2005-05-02"), rule_text("split_without_step")],
        ["IBM", pd.Timestamp("2005-06-01"), rule_text("close_outside_range")],
        ["MSFT", pd.Timestamp("2005-04-12"), rule_text("unit_error")],
    ]
    aapl, ibm, ibm_close, msft = found.itertuples()
    day = bars[(bars["Ticker"] == "IBM") & (bars["Date"] == "2005-06-01")].iloc[0]
    assert ibm_close.step == pytest.approx(day["Close"] / ((day["High"] + day["Low"]) / 2))
    assert ibm_close.expected_step == 0.5
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
    assert project.scalar("SELECT COUNT(*) FROM silver.repairs") == 0  # repair is off

    # Repair on: the models that use it are rebuilt, each anomaly fixed and recorded.
    repair_on(project)
    result = project.cli("run", "--as-of", AS_OF, check=False)
    assert "no prices repaired" in result.stdout  # never silent: a warning per run
    repairs = project.query(REPAIRS)
    assert repairs[["ticker", "rule", "repair", "factor", "source"]].values.tolist() == [
        ["AAPL", rule_text("missed_split"), repair_text("missed_split"), 2.0, "files"],
        ["IBM", rule_text("split_without_step"), repair_text("split_without_step"), 2.0, "files"],
        ["MSFT", rule_text("unit_error"), repair_text("unit_error"), pytest.approx(0.01), "files"],
    ]
    assert repairs["close"].iloc[2] == close("MSFT", "2005-04-12")  # the evidence: as sent
    assert_repaired(project, pd.read_csv(project.drop / demo.BAR_FILE))
    if backend == "duckdb":  # the repaired warehouse above is the one-shot build
        assert_a_unit_error_repaired_later_equals_the_one_shot_build(new_project, project)


def assert_repaired(project: Project, staged: pd.DataFrame) -> None:
    """Silver as the vendor's real data gives it (pandas): AAPL adjusted by its real split,
    MSFT's session its real price, IBM's adjustment without the phantom split."""
    vendor = demo.bundled_bars()
    vendor = vendor[vendor["Date"].isin(staged["Date"])].set_index(["Ticker", "Date"])["Close"]
    silver = project.query(
        "SELECT ticker, CAST(session_date AS VARCHAR) AS day, close, adj_close, adj_factor "
        "FROM silver.bars_daily ORDER BY ticker, session_date"
    ).set_index(["ticker", "day"])
    aapl = vendor["AAPL"]
    expected = aapl.where(aapl.index >= "2005-02-28", aapl / 2)  # AAPL pays no dividend in 2005
    pd.testing.assert_series_equal(
        silver.loc["AAPL", "adj_close"], expected, check_names=False, rtol=1e-9, atol=0
    )
    assert silver.loc[("MSFT", "2005-04-12"), "close"] == pytest.approx(
        vendor["MSFT", "2005-04-12"], rel=1e-12
    )
    ibm = silver.loc["IBM", "adj_factor"]  # no IBM dividend between 04-29 and 05-06
    assert ibm["2005-05-02"] / ibm["2005-04-29"] == pytest.approx(1.0, rel=1e-12)


def assert_a_unit_error_repaired_later_equals_the_one_shot_build(new_project, one_shot) -> None:
    """Incremental equals rebuild: MSFT's 100x session lands alone, its repair is found only
    with the next landing (the session it steps back) and must reach back to it."""
    stepwise = new_project("duckdb")
    staged = plant(stepwise)
    repair_on(stepwise)
    staged[staged["Date"] <= "2005-04-12"].to_csv(stepwise.drop / demo.BAR_FILE, index=False)
    stepwise.cli("run", "--as-of", AS_OF, check=False)
    staged[staged["Date"] > "2005-04-12"].to_csv(stepwise.drop / "1d" / "later.csv", index=False)
    stepwise.cli("run", "--as-of", AS_OF, check=False)
    tables = (
        GOLD_TABLES
        | SILVER_TABLES
        | {
            "silver.price_anomalies": ["ticker", "session_date", "rule"],
            "silver.repairs": ["ticker", "session_date", "rule"],
        }
    )
    assert_same_tables(snapshot(stepwise, tables), snapshot(one_shot, tables))
    assert_repaired(stepwise, staged)
