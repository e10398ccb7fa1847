"""What the crash-safety tests (tests/e2e/test_faults.py) and the soak (bench/soak.py) share:
the small slice they kill runs on — AAPL and IBM through 2005 (AAPL's 2:1 split of 2005-02-28
among the corporate actions), SYNTHETIC minutes of one session, and one planted fault, so a
run's verdict carries a failed check and an alert — the fault points, and how a run's verdict
and its leftover processes are read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from pipelines.ingest import demo_data as demo
from tests.conftest import AS_OF, REPO, Project
from tests.webhook import Webhook

TICKERS = ["AAPL", "IBM"]
OVERRIDES = {"universe": {"tickers": TICKERS, "indices": []}}
MINUTE_SESSION = date(2005, 12, 1)
# IBM +60 % on 2005-08-09 with no corporate action: "no unexplained price steps" fails.
PLANTED_STEP = ("IBM", "2005-08-09")


def stage_slice(drop: Path) -> None:
    demo.stage(drop, tickers=TICKERS, start=date(2005, 1, 3), end=date(2005, 12, 30))
    bars = pd.read_csv(drop / demo.BAR_FILE)
    at = (bars["Ticker"] == PLANTED_STEP[0]) & (bars["Date"] == PLANTED_STEP[1])
    bars.loc[at, ["Close", "High"]] = bars.loc[at, "Close"].iloc[0] * 1.6
    bars.to_csv(drop / demo.BAR_FILE, index=False)
    daily = demo.bundled_bars()
    one = daily[daily["Ticker"].isin(TICKERS) & (daily["Date"] == MINUTE_SESSION.isoformat())]
    target = drop / demo.MINUTE_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    demo.synthetic_minutes(one).to_csv(target, index=False)


# Each point at a pass inside the slice's run (#n: the n-th time the run passes it).
POINTS = [
    "raw.put#2",
    "raw.file#3",
    "raw.manifest#1",
    "bronze.universe#1",
    "bronze.job#2",
    "bronze.merged#1",
    "sqlmesh.batch#6",
    "sqlmesh.model#1",
    "sqlmesh.plan#1",
    "transform.done#1",
    "checks.contract#4",
    "ops.runs#1",
    "run.mark#1",
]


def verdict(project: Project, result: subprocess.CompletedProcess) -> dict:
    """What a run told the world: its exit code, the alert, its ops.runs row."""
    row = project.query(
        "SELECT status, exit_code, checks FROM ops.runs WHERE command = 'run' "
        "ORDER BY started_at DESC LIMIT 1"
    ).iloc[0]
    alerts = [
        {k: a[k] for k in ("status", "exit_code", "failed_checks", "failed_tickers")}
        for a in Webhook.received
    ]
    return {
        "exit_code": result.returncode,
        "alert": alerts[-1] if alerts else None,
        "ops.runs": [row["status"], int(row["exit_code"]), json.loads(row["checks"])],
    }


def run(project: Project, hook: str) -> subprocess.CompletedProcess:
    return project.cli("run", "--as-of", AS_OF, check=False, env={"ALERTS__WEBHOOK_URL": hook})


def armed_run(project: Project, env: dict[str, str], **popen: object) -> subprocess.Popen:
    """`marketflow run` through the fault injector, in the background."""
    args = [sys.executable, "-m", "dev.faults", "--config", str(project.config)]
    return subprocess.Popen(
        [*args, "run", "--as-of", AS_OF],
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200", "TZ": "Asia/Kolkata", **project.env, **env},
        **popen,  # type: ignore[arg-type]
    )


def session_processes(session: int) -> list[str]:
    """Command lines of the live processes of a session."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(f"{stat.parent.name}: {cmdline}")
    return found
