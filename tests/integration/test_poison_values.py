"""One bad value costs one bar, never the run: every kind of bad value a provider can send is
quarantined with its reason (or its file refused by name), the good bars beside it reach gold
in the same run, and the next run does not fail the same way. Per provider: vendor drop files,
and Yahoo's and Polygon's answers from the local servers (tests/provider_servers.py), which
carry the bad values over their own protocol (JSON null for a missing price, the Infinity
token, a second bar with the same timestamp, a bar on a Saturday)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from pipelines.analytics.exchange_calendar import session_dates
from pipelines.ingest import demo_data as demo
from tests.conftest import AS_OF, Project
from tests.provider_data import API_KEY, SERVER_COLUMNS
from tests.provider_servers import MarketServer

START, END = date(2012, 1, 3), date(2012, 3, 30)
# session -> (what is wrong, the reason silver gives)
POISON = {
    "2012-02-01": ("high and close +inf", "non-finite price"),
    "2012-02-02": ("close missing (NaN, JSON null)", "missing price"),
    "2012-02-03": ("low -inf", "non-finite price"),
    "2012-02-06": ("open 0", "non-positive price"),
    "2012-02-07": ("high below low", "high below low"),
    "2012-02-08": ("open above high", "open outside low-high"),
    "2012-02-09": ("close below low", "close outside low-high"),
    "2012-02-10": ("volume -5", "negative or missing volume"),
    "2012-02-13": ("two different bars", "conflicting duplicate 1 of 2"),
}
SATURDAY = "2012-02-11"  # a bar off the calendar
# A ticker of the universe with no bar at all. Yahoo answers an unknown symbol with a 404 (a
# failed ticker, named on its own), so the web providers' is FB, which lists from 2012-05-18.
NO_BARS = {"files": "APPL", "yahoo": "FB", "polygon": "FB"}
NO_BARS_WARN = "every universe ticker has bars"
NO_BARS_FAIL = "no universe ticker long without bars"
FAST = {"requests_per_second": 200, "workers": 2, "retries": 1, "backoff_seconds": 0.01,
        "max_backoff_seconds": 0.05, "timeout_seconds": 10}  # fmt: skip


def poisoned(bars: pd.DataFrame) -> pd.DataFrame:
    """The vendor's bars (Date, Open, ... columns) with every bad value above planted in IBM's."""
    bars = bars.copy()

    def at(day: str) -> pd.Series:
        return (bars["Ticker"] == "IBM") & (bars["Date"] == day)

    for column in ("High", "Close"):
        bars.loc[at("2012-02-01"), column] = np.inf
    bars.loc[at("2012-02-02"), "Close"] = np.nan
    bars.loc[at("2012-02-03"), "Low"] = -np.inf
    bars.loc[at("2012-02-06"), "Open"] = 0
    bars.loc[at("2012-02-07"), "High"] = bars.loc[at("2012-02-07"), "Low"] - 1
    bars.loc[at("2012-02-08"), "Open"] = bars.loc[at("2012-02-08"), "High"] + 1
    bars.loc[at("2012-02-09"), "Close"] = bars.loc[at("2012-02-09"), "Low"] - 1
    bars.loc[at("2012-02-10"), "Volume"] = -5
    saturday = bars[at("2012-02-10")].assign(Date=SATURDAY, Volume=1000)
    twin = bars[at("2012-02-13")].assign(Close=lambda d: d["Low"])
    return pd.concat([bars, saturday, twin], ignore_index=True)


def files_project(new_project: Callable[..., Project]) -> Project:
    """Vendor files: the poisoned bars, two files that cannot be read, an impossible dividend
    and a dividend of a ticker outside the universe."""
    project = new_project("duckdb", {"universe": {"tickers": ["IBM", NO_BARS["files"]]}})
    demo.stage(project.drop, tickers=["IBM"], start=START, end=END)
    bars = pd.read_csv(project.drop / demo.BAR_FILE)
    poisoned(bars).to_csv(project.drop / demo.BAR_FILE, index=False)
    later = bars[bars["Date"] == "2012-03-30"].assign(Date="2012-04-02")
    later.assign(High="12.5O").to_csv(project.drop / "1d" / "text-price.csv", index=False)
    later.assign(Date=None).to_csv(project.drop / "1d" / "no-time.csv", index=False)
    actions = pd.read_csv(project.drop / demo.ACTIONS_FILE)
    actions = actions[actions["ex_date"] >= str(START)]  # a short restatement: a fast test
    impossible = {"ticker": "IBM", "ex_date": "2012-03-01", "action": "dividend", "value": 500.0}
    unknown = {"ticker": "MSFT", "ex_date": "2012-02-15", "action": "dividend", "value": 0.2}
    actions = pd.concat([actions, pd.DataFrame([impossible, unknown])])
    actions.to_csv(project.drop / demo.ACTIONS_FILE, index=False)
    return project


def web_project(new_project: Callable[..., Project], server: MarketServer, name: str) -> Project:
    """Yahoo or Polygon: the same bad bars in the answers of the local server."""
    vendor = {ours: theirs for theirs, ours in SERVER_COLUMNS.items()}
    server.bars = poisoned(server.bars.rename(columns=vendor)).rename(columns=SERVER_COLUMNS)
    server.actions = server.actions[server.actions["ex_date"] >= str(START)]  # a fast test
    entry = {"type": name, "base_url": server.url, "pacing": FAST, "history_start": str(START)}
    project = new_project(
        "duckdb",
        {
            "universe": {"tickers": ["IBM", NO_BARS[name]]},
            "intervals": {"1d": name},
            "providers": {name: entry},
        },
    )
    project.env["POLYGON_API_KEY"] = API_KEY
    return project


@pytest.fixture
def server() -> Iterator[MarketServer]:
    s = MarketServer().start()
    yield s
    s.stop()


def quarantined(project: Project) -> set[tuple[str, str]]:
    rows = project.query("SELECT bar_date, reason FROM silver.quarantine")
    return {(str(d.date()), r) for d, r in zip(rows["bar_date"], rows["reason"], strict=True)}


@pytest.mark.parametrize("provider", ["files", "yahoo", "polygon"])
def test_every_bad_value_costs_one_bar(new_project, server, provider) -> None:
    if provider == "files":
        project, run = files_project(new_project), ["run", "--as-of", AS_OF]
    else:
        project = web_project(new_project, server, provider)
        run = ["run", "--interval", "1d", "--provider", provider, "--as-of", str(END)]
    first = project.cli(*run, check=False)
    assert "SQLMesh" not in first.stderr and "ticker(s) failed" not in first.stderr
    if provider == "files":
        assert first.returncode == 1, first.stdout + first.stderr  # two files refused
        assert "1d/text-price.csv, column 'High': row 1: '12.5O' is not a number" in first.stderr
        assert "1d/no-time.csv, column 'Date': row 1: empty timestamp" in first.stderr
    else:  # the quarantine's checks fail: the run says what it refused
        assert first.returncode == 3, first.stdout + first.stderr

    reasons = quarantined(project)
    for day, (_, reason) in POISON.items():
        assert (day, reason) in reasons, (day, reason, sorted(reasons))
    assert (SATURDAY, "not a session") in reasons
    assert ("2012-02-13", "conflicting duplicate 2 of 2") in reasons
    conflicts = project.query("SELECT ts, close FROM bronze.bar_conflicts ORDER BY close")
    assert len(conflicts) == 2 and conflicts["close"].nunique() == 2  # both versions kept
    assert project.scalar("SELECT COUNT(*) FROM bronze.bars WHERE ts = "
                          "(SELECT MIN(ts) FROM bronze.bar_conflicts)") == 0  # fmt: skip

    # Every good bar reached gold, in the same run.
    sessions = {str(d) for d in session_dates("XNYS", START, END)}
    gold = project.query("SELECT session_date, adj_close FROM gold.daily_features")
    assert {str(d.date()) for d in gold["session_date"]} == sessions - set(POISON)
    assert np.isfinite(gold["adj_close"]).all()
    # The universe's ticker without a bar is named from the first run on (a warning).
    assert NO_BARS_WARN in first.stdout and NO_BARS[provider] in first.stdout

    if provider == "files":
        files_case(project)
        return
    again = project.cli(*run, check=False)  # the same answers, asked from the lag before
    assert "SQLMesh" not in again.stderr and "ticker(s) failed" not in again.stderr
    assert NO_BARS_WARN in again.stdout and NO_BARS_FAIL not in again.stdout
    # Yahoo answers the window asked (from the restatement lag): nothing new is wrong, and a
    # warning alone exits 0. Polygon answers every corporate action of IBM again (its reference
    # endpoints have no window), so the run restates from IBM's dividend of 2012-02-08 and the
    # quarantined bars after it are checked again: exit 3 again, the same verdict.
    assert again.returncode == (0 if provider == "yahoo" else 3), again.stdout + again.stderr


def files_case(project: Project) -> None:
    """What only vendor files carry: impossible corporate actions, and a run after the ticker
    without bars has been in the universe for more than stale_after_sessions (5) sessions."""
    rejected = project.query("SELECT ticker, ex_date, rejected FROM silver.adjustment_events "
                             "WHERE rejected IS NOT NULL ORDER BY ticker")  # fmt: skip
    assert rejected["rejected"].tolist() == [
        "dividend at or above the previous close",  # IBM, 2012-03-01: 500 on a ~$200 stock
        "ticker not in the universe",  # MSFT's dividend: nothing to adjust, named
    ]
    report = json.loads(project.cli("check", "--as-of", AS_OF, "--json", check=False).stdout)
    status = {c["name"]: (c["status"], c["detail"]) for c in report["checks"]}
    impossible = status["no impossible corporate actions"]
    assert impossible[0] == "fail" and "IBM, 2012-03-01" in impossible[1]
    assert "MSFT, 2012-02-15, ticker not in the universe" in impossible[1]
    assert status["no impossible prices"][0] == "fail"
    assert "IBM, 2012-02-01" in status["no impossible prices"][1]
    assert status[NO_BARS_WARN] == ("warn", "e.g. APPL, no bars")
    assert status[NO_BARS_FAIL][0] == "pass"

    # Four weeks after the universe was written (today), APPL has missed more than 5 sessions.
    later = (datetime.now().date() + timedelta(days=28)).isoformat()
    again = project.cli("run", "--as-of", later, check=False)  # the bad files are still there
    assert again.returncode == 1 and "SQLMesh" not in again.stderr
    assert "files 1d: nothing new" in again.stdout
    assert NO_BARS_FAIL in again.stdout and "APPL, no bars in" in again.stdout
