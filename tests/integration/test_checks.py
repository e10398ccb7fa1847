"""`marketflow check`: Soda contracts on a real warehouse. Freshness is judged against the
exchange calendar (weekends, holidays and early closes), planted faults are each reported by
name while real events are not, the run log records every command, and alerts reach a
webhook (or fail without failing the command)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from pipelines.config import load_project
from pipelines.ingest import demo_data as demo
from pipelines.quality.contracts import run_contracts
from pipelines.quality.freshness import due_times
from pipelines.run.options import run_moment
from tests.conftest import AS_OF, Project, make_project
from tests.webhook import Webhook, webhook_server

FRESH_FILES = {"providers": {"files": {"freshness": True}}}
NEW_YORK = ZoneInfo("America/New_York")


def contracts(project: Project, monkeypatch, as_of: str, only=("bronze/freshness.yml",)):
    """The contracts as of `as_of` (exchange-zone time), in-process: {check name: status}."""
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    settings = load_project(project.config)
    checks = run_contracts(settings, run_moment(settings, as_of), only=list(only))
    return {c.name: c.status for c in checks}


def stage_ibm(project: Project, end: date) -> None:
    demo.stage(project.drop, tickers=["IBM"], start=date(2012, 8, 1), end=end)
    if (project.drop / demo.MINUTE_FILE).exists():
        (project.drop / demo.MINUTE_FILE).unlink()


def test_freshness_follows_the_exchange_calendar(new_project, backend, monkeypatch) -> None:
    project = new_project(backend, {**FRESH_FILES, "intervals": {"1m": None}})  # daily only
    stage_ibm(project, end=date(2012, 8, 31))  # the Friday before Labor Day
    project.cli("run", "--as-of", "2012-09-01T12:00")  # ends with the freshness check: passes

    daily = "daily bars are fresh"
    assert contracts(project, monkeypatch, "2012-09-01T12:00")[daily] == "pass"  # Saturday
    assert contracts(project, monkeypatch, "2012-09-04T10:00")[daily] == "pass"  # after Labor Day
    assert contracts(project, monkeypatch, "2012-09-05T10:00")[daily] == "fail"  # Tuesday's due
    assert contracts(project, monkeypatch, "2012-09-04T18:30")[daily] == "fail"  # 16:00 + 2 h
    # No provider serves 1-minute bars here: their freshness is not judged.
    assert contracts(project, monkeypatch, "2012-09-01T12:00")["1-minute bars are fresh"] == "skip"

    # Black Friday 2012 closed at 13:00: its bar is due at 15:00 (2 h grace), not 18:00.
    stage_ibm(project, end=date(2012, 11, 21))
    project.cli("run", "--as-of", "2012-11-23T14:30")
    assert contracts(project, monkeypatch, "2012-11-23T14:30")[daily] == "pass"  # Wed's is due
    assert contracts(project, monkeypatch, "2012-11-23T15:30")[daily] == "fail"  # Friday's is


def test_intraday_freshness_inside_a_session(new_project, monkeypatch) -> None:
    # DuckDB only: the engine's part (Soda's MAX(ts) freshness query) is the daily test's on
    # both backends; this one exercises the calendar arithmetic.
    project = new_project("duckdb", FRESH_FILES)
    day = demo.bundled_bars()
    day = day[(day["Ticker"] == "IBM") & (day["Date"] == "2012-11-26")]
    minutes = demo.synthetic_minutes(day)
    local = pd.to_datetime(minutes["Date"]).dt.strftime("%H:%M")
    (project.drop / "1m").mkdir(parents=True)
    minutes[local < "10:40"].to_csv(project.drop / demo.MINUTE_FILE, index=False)  # to 10:39
    demo.stage(project.drop, tickers=["IBM"], start=date(2012, 11, 1), end=date(2012, 11, 26))
    project.cli("run", "--as-of", "2012-11-26T10:50")

    minute = "1-minute bars are fresh"
    # 15-minute delay: at 10:50 the 10:34 minute is due (there), at 11:00 the 10:44 one (a
    # 20-minute gap: not there).
    assert contracts(project, monkeypatch, "2012-11-26T10:50")[minute] == "pass"
    assert contracts(project, monkeypatch, "2012-11-26T11:00")[minute] == "fail"
    # Before the open (and in its first minutes) the previous session's last minute is due:
    # Friday 2012-11-23 closed early, so 12:59, not 15:59.
    settings = load_project(project.config)
    due = due_times(settings, run_moment(settings, "2012-11-26T09:35"))["1m"]
    assert due.astimezone(NEW_YORK).isoformat() == "2012-11-23T12:59:00-05:00"
    assert contracts(project, monkeypatch, "2012-11-26T09:35")[minute] == "pass"
    minutes.to_csv(project.drop / demo.MINUTE_FILE, index=False)  # the whole session
    project.cli("run", "--as-of", "2012-11-26T17:00")
    assert contracts(project, monkeypatch, "2012-11-26T11:00")[minute] == "pass"
    assert contracts(project, monkeypatch, "2012-11-26T17:00")[minute] == "pass"  # after close


@pytest.fixture
def webhook():
    with webhook_server() as url:
        yield url


# Faults planted in the new sessions of a vendor file (a real daily run's situation).
PLANTED = {
    "no duplicate bars": ("IBM", "2005-07-12"),  # two different bars for one key
    "no impossible prices": ("IBM", "2005-07-19"),  # high below low
    "no unexplained price steps": ("IBM", "2005-08-09"),  # +60 %, no corporate action
    "no missing daily sessions": ("IBM", "2005-08-16"),  # no bar at all
}


def test_planted_faults_are_named_and_alerted(new_project, backend, webhook) -> None:
    project = new_project(backend)
    demo.stage(project.drop, tickers=["AAPL", "IBM"], start=date(2005, 1, 3), end=date(2005, 6, 30))
    project.cli("run", "--as-of", AS_OF)
    clean = project.cli("check", "--as-of", AS_OF, "--json", env={"ALERTS__WEBHOOK_URL": webhook})
    report = json.loads(clean.stdout)
    assert report["failed"] == 0, [c for c in report["checks"] if c["status"] == "fail"]
    # AAPL's 2:1 split of 2005-02-28 halves the close: a corporate action explains it.
    steps = next(c for c in report["checks"] if c["name"] == "no unexplained price steps")
    assert steps["status"] == "pass" and steps["value"] == 0
    assert Webhook.received == []  # nothing to say

    demo.stage(project.drop, tickers=["AAPL", "IBM"], start=date(2005, 1, 3), end=date(2005, 8, 31))
    bars = pd.read_csv(project.drop / demo.BAR_FILE)

    def at(day: str) -> pd.Series:
        return (bars["Ticker"] == "IBM") & (bars["Date"] == day)

    bars.loc[at("2005-07-19"), "High"] = bars.loc[at("2005-07-19"), "Low"] - 1
    bars.loc[at("2005-08-09"), ["Close", "High"]] = (
        bars.loc[at("2005-08-09"), "Close"].iloc[0] * 1.6
    )
    twin = bars[at("2005-07-12")].assign(Close=lambda d: d["Low"])
    bars = pd.concat([bars[~at("2005-08-16")], twin])
    bars.to_csv(project.drop / demo.BAR_FILE, index=False)
    run = project.cli("run", "--as-of", AS_OF, check=False, env={"ALERTS__WEBHOOK_URL": webhook})
    assert run.returncode == 3, run.stdout + run.stderr

    checked = project.cli("check", "--as-of", AS_OF, "--problems", check=False)
    assert checked.returncode == 3
    faulty = project.cli("check", "--as-of", AS_OF, "--json", check=False)
    failing = {c["name"]: c for c in json.loads(faulty.stdout)["checks"] if c["status"] == "fail"}
    # --problems: the checks that warn or fail, none that passed, and the count of each status.
    statuses = Counter(c["status"] for c in json.loads(faulty.stdout)["checks"])
    passed = [c["name"] for c in json.loads(faulty.stdout)["checks"] if c["status"] == "pass"]
    shown = {line.split("│")[1].strip() for line in checked.stdout.splitlines() if "│" in line}
    assert shown and not shown & set(passed), shown
    counts = (
        f"{statuses['pass']} passed, {statuses['warn']} warned, {statuses['fail']} failed, "
        f"{statuses['skip']} skipped"
    )
    assert f"Checks: {sum(statuses.values())}: {counts}" in checked.stdout, checked.stdout
    for name, (ticker, day) in PLANTED.items():
        assert name in checked.stdout
        assert f"{ticker}, {day}" in failing[name]["detail"], failing[name]
    assert "AAPL" not in failing["no unexplained price steps"]["detail"]

    # The run that found them alerted the webhook: run id and the failed checks, no secret.
    (alert,) = Webhook.received
    assert alert["status"] == "checks_failed" and alert["run_id"] in run.stdout
    assert set(PLANTED) <= {name.split(" (")[0] for name in alert["failed_checks"]}
    assert "secret-token" not in json.dumps(alert)

    runs = project.query(
        "SELECT command, status, exit_code, checks FROM ops.runs ORDER BY started_at"
    )
    assert runs[["command", "status", "exit_code"]].values.tolist() == [
        ["run", "ok", 0],
        ["check", "ok", 0],
        ["run", "checks_failed", 3],
        ["check", "checks_failed", 3],
        ["check", "checks_failed", 3],
    ]
    assert json.loads(runs["checks"].iloc[2])["failed"] >= len(PLANTED)
    # Each check of each run is a row of ops.check_results, the report's data-quality page.
    per_check = project.query(
        "SELECT c.run_id, r.command, c.name, c.dataset, c.status, c.detail "
        "FROM ops.check_results c JOIN ops.runs r USING (run_id) ORDER BY r.started_at"
    )
    last_run = per_check[per_check["command"] == "check"]["run_id"].iloc[-1]
    last = per_check[per_check["run_id"] == last_run]
    reported = json.loads(faulty.stdout)["checks"]
    assert len(last) == len(reported)
    stored = zip(last["name"], last["dataset"], last["status"], last["detail"], strict=True)
    assert sorted(stored) == sorted(
        (c["name"], c["table"], c["status"], c["detail"]) for c in reported
    )
    assert per_check.groupby("command")["run_id"].nunique().to_dict() == {"check": 3, "run": 2}


def test_a_dead_webhook_does_not_fail_the_command(tmp_path) -> None:
    project = make_project(tmp_path)
    (project.drop / "1d").mkdir(parents=True)
    (project.drop / "1d" / "broken.csv").write_text("Ticker,Date\nIBM,not-a-date\n")
    dead = "http://127.0.0.1:9/hooks/secret-token"  # discard port: nothing listens
    result = project.cli("run", "--as-of", AS_OF, check=False, env={"ALERTS__WEBHOOK_URL": dead})
    assert result.returncode == 1, result.stdout + result.stderr  # the bad file, not the webhook
    assert "alert webhook unreachable" in result.stderr
    assert "secret-token" not in result.stdout + result.stderr
    status = project.query("SELECT status, exit_code, error FROM ops.runs").iloc[0].tolist()
    assert status[:2] == ["failed", 1]
