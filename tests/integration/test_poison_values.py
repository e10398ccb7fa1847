"""One bad value costs one bar, never the run: every kind of bad value a vendor file can carry
is quarantined with its reason (or its file refused by name), the good bars beside it reach
gold in the same run, and the next run does not fail the same way."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd

from pipelines.analytics.exchange_calendar import session_dates
from pipelines.ingest import demo_data as demo
from tests.conftest import AS_OF

START, END = date(2012, 1, 3), date(2012, 3, 30)
# session -> (what is wrong, the reason silver gives)
POISON = {
    "2012-02-01": ("high and close +inf", "non-finite price"),
    "2012-02-02": ("close NaN", "missing price"),
    "2012-02-03": ("low -inf", "non-finite price"),
    "2012-02-06": ("open 0", "non-positive price"),
    "2012-02-07": ("high below low", "high below low"),
    "2012-02-08": ("open above high", "open outside low-high"),
    "2012-02-09": ("close below low", "close outside low-high"),
    "2012-02-10": ("volume -5", "negative or missing volume"),
    "2012-02-13": ("two different bars", "conflicting duplicate 1 of 2"),
}


def poisoned(bars: pd.DataFrame) -> pd.DataFrame:
    bars = bars.copy()

    def at(day: str) -> pd.Series:
        return bars["Date"] == day

    for column in ("High", "Close"):
        bars.loc[at("2012-02-01"), column] = np.inf
    bars.loc[at("2012-02-02"), "Close"] = np.nan
    bars.loc[at("2012-02-03"), "Low"] = -np.inf
    bars.loc[at("2012-02-06"), "Open"] = 0
    bars.loc[at("2012-02-07"), "High"] = bars.loc[at("2012-02-07"), "Low"] - 1
    bars.loc[at("2012-02-08"), "Open"] = bars.loc[at("2012-02-08"), "High"] + 1
    bars.loc[at("2012-02-09"), "Close"] = bars.loc[at("2012-02-09"), "Low"] - 1
    bars.loc[at("2012-02-10"), "Volume"] = -5
    saturday = bars[at("2012-02-10")].assign(Date="2012-02-11", Volume=1000)
    twin = bars[at("2012-02-13")].assign(Close=lambda d: d["Low"])
    return pd.concat([bars, saturday, twin], ignore_index=True)


def test_every_bad_value_costs_one_bar(new_project) -> None:
    project = new_project("duckdb")
    demo.stage(project.drop, tickers=["IBM"], start=START, end=END)
    bars = pd.read_csv(project.drop / demo.BAR_FILE)
    poisoned(bars).to_csv(project.drop / demo.BAR_FILE, index=False)
    later = bars[bars["Date"] == "2012-03-30"].assign(Date="2012-04-02")
    later.assign(High="12.5O").to_csv(project.drop / "1d" / "text-price.csv", index=False)
    later.assign(Date=None).to_csv(project.drop / "1d" / "no-time.csv", index=False)
    actions = pd.read_csv(project.drop / demo.ACTIONS_FILE)
    impossible = {"ticker": "IBM", "ex_date": "2012-03-01", "action": "dividend", "value": 500.0}
    actions = pd.concat([actions, pd.DataFrame([impossible])])
    actions.to_csv(project.drop / demo.ACTIONS_FILE, index=False)

    first = project.cli("run", "--as-of", AS_OF, check=False)
    assert first.returncode == 1, first.stdout + first.stderr  # two files refused
    assert "1d/text-price.csv, column 'High': row 1: '12.5O' is not a number" in first.stderr
    assert "1d/no-time.csv, column 'Date': row 1: empty timestamp" in first.stderr
    assert "SQLMesh" not in first.stderr

    quarantined = project.query("SELECT bar_date, reason FROM silver.quarantine")
    reasons = {
        (str(d.date()), r)
        for d, r in zip(quarantined["bar_date"], quarantined["reason"], strict=True)
    }
    for day, (_, reason) in POISON.items():
        assert (day, reason) in reasons, (day, reason, sorted(reasons))
    assert ("2012-02-11", "not a session") in reasons
    assert ("2012-02-13", "conflicting duplicate 2 of 2") in reasons

    # Every good bar reached gold, in the same run; the impossible dividend adjusted nothing.
    sessions = {str(d) for d in session_dates("XNYS", START, END)}
    gold = project.query("SELECT session_date, adj_close FROM gold.daily_features")
    assert {str(d.date()) for d in gold["session_date"]} == sessions - set(POISON)
    assert np.isfinite(gold["adj_close"]).all()
    rejected = project.query("SELECT ex_date, rejected FROM silver.adjustment_events "
                             "WHERE rejected IS NOT NULL")  # fmt: skip
    assert rejected["rejected"].tolist() == ["dividend at or above the previous close"]

    report = json.loads(project.cli("check", "--as-of", AS_OF, "--json", check=False).stdout)
    failing = {c["name"]: c["detail"] for c in report["checks"] if c["status"] == "fail"}
    assert "IBM, 2012-03-01" in failing["no impossible corporate actions"]
    assert "IBM, 2012-02-01" in failing["no impossible prices"]

    again = project.cli("run", "--as-of", AS_OF, check=False)  # the bad files are still there
    assert again.returncode == 1 and "SQLMesh" not in again.stderr
    assert "files 1d: nothing new" in again.stdout or "landed 0 bars" in again.stdout
