"""Crash soak: kill `marketflow run` at random fault points and random moments, rerun, compare.

    python bench/soak.py [--kills 30] [--backend duckdb|postgres] [--seed 1]

On the crash tests' slice (tests/faults_slice.py). An uninterrupted run gives the reference
tables, verdict and how often it passes each fault point. Then, for each trial, a fresh project:
one run SIGKILLed — half the trials at a random pass of a random fault point (dev/faults.py),
half at a random moment of the run (the kill an out-of-memory killer or a cancelled CI job
sends) — then, with dlt's working folder deleted in every other trial, one rerun to the end. A
trial converged when silver and gold equal the reference cell for cell and the rerun's verdict
(exit code, alert, ops.runs) is the reference's; no process of the killed run may be left.
Prints a Markdown table (the README's reliability section quotes it). Not part of `make test`:
about 40 s a trial on DuckDB on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import Project, ProjectFactory  # noqa: E402
from tests.faults_slice import (  # noqa: E402
    OVERRIDES,
    armed_run,
    run,
    session_processes,
    stage_slice,
    verdict,
)
from tests.tables import GOLD_TABLES, SILVER_TABLES, assert_same_tables, snapshot  # noqa: E402
from tests.webhook import Webhook, webhook_server  # noqa: E402

TABLES = {**SILVER_TABLES, **GOLD_TABLES}


def new_project(factory: ProjectFactory, root: Path, backend: str) -> Project:
    project = factory(root, backend, OVERRIDES)
    stage_slice(project.drop)
    return project


class NotKilled(Exception):
    """The run ended before the moment drawn for its kill."""


def kill_once(project: Project, rng: random.Random, counts: dict, seconds: float, hook: str) -> str:
    """One run, SIGKILLed at a random point or moment; returns how, and what it left. It
    alerts `hook`, as the rerun does: a run killed after its alert has delivered it."""
    alerts = {"ALERTS__WEBHOOK_URL": hook}
    if rng.random() < 0.5:
        point = rng.choice(sorted(counts))
        how = f"{point}#{rng.randint(1, counts[point])}"
        child = armed_run(project, {"MARKETFLOW_KILL_AT": how, **alerts}, **_quiet())
        child.wait(timeout=900)
    else:
        # Within the reference run's length; a run that still ends first was not killed, and
        # its rerun rightly finds nothing new: the trial draws again.
        after = rng.uniform(0.5, 0.9 * seconds)
        how = f"after {after:.1f} s"
        child = armed_run(project, alerts, **_quiet())
        try:
            child.wait(timeout=after)
            raise NotKilled(how)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            child.wait()
    time.sleep(1)
    left = session_processes(child.pid)
    for line in left:
        os.kill(int(line.split(":")[0]), signal.SIGKILL)
    return how + (f"; {len(left)} process(es) outlived it" if left else "")


def _logged(found: dict) -> dict:
    return {k: found[k] for k in ("alert", "ops.runs")}


def delivered(project: Project) -> dict | None:
    """The verdict the killed run logged and alerted, if it got that far."""
    try:
        return _logged(verdict(project, subprocess.CompletedProcess([], -9)))
    except Exception:  # no ops.runs yet, or no row of a run
        return None


def _quiet() -> dict:
    return {
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
        "start_new_session": True,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--backend", choices=["duckdb", "postgres"], default="duckdb")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="marketflow-soak-"))
    factory = ProjectFactory()  # the tests' projects: starts the services when needed
    rows = []
    try:
        reference = new_project(factory, work / "reference", args.backend)
        counts_file = work / "counts.json"
        with webhook_server() as hook:
            started = time.perf_counter()
            counted = armed_run(
                reference,
                {"MARKETFLOW_COUNT_POINTS": str(counts_file), "ALERTS__WEBHOOK_URL": hook},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            output = counted.communicate(timeout=900)[0]
            seconds = time.perf_counter() - started
            result = subprocess.CompletedProcess(counted.args, counted.returncode, output, "")
            expected = verdict(reference, result)
        counts = json.loads(counts_file.read_text())
        tables = snapshot(reference, TABLES)
        print(f"reference: exit {result.returncode}, {seconds:.1f} s, points passed {counts}")
        trial = 0
        while trial < args.kills:
            project = new_project(factory, work / f"t{trial + 1}", args.backend)
            with webhook_server() as hook:
                try:
                    how = kill_once(project, rng, counts, seconds, hook)
                except NotKilled as ended:
                    print(f"  ({ended}: the run ended first; drawn again)")
                    shutil.rmtree(project.root, ignore_errors=True)
                    continue
                trial += 1
                wiped = trial % 2 == 0
                if wiped:
                    shutil.rmtree(project.root / "data" / "pipelines", ignore_errors=True)
                # A run killed after its verdict was out (ops.runs and the alert) has given it;
                # its rerun then rightly finds nothing new.
                given = delivered(project)
                Webhook.received.clear()
                rerun = run(project, hook)
                got = verdict(project, rerun)
                same_verdict = got == expected or given == _logged(expected)
                if not same_verdict:
                    print(f"    verdict {got}; the killed run gave {given}; expected {expected}")
            try:
                assert_same_tables(snapshot(project, TABLES), tables)
                same_tables = True
            except AssertionError:
                same_tables = False
            rows.append((trial, how, wiped, same_tables, same_verdict))
            print(f"  trial {trial}: {how}; wiped={wiped}; tables {same_tables}, "
                  f"verdict {same_verdict}", flush=True)  # fmt: skip
            shutil.rmtree(project.root, ignore_errors=True)
    finally:
        factory.close()  # drops the databases, stops what it started
        shutil.rmtree(work, ignore_errors=True)
    print(render(rows, args))


def render(rows: list[tuple], args: argparse.Namespace) -> str:
    converged = sum(1 for r in rows if r[3] and r[4])
    outlived = sum(1 for r in rows if "outlived" in r[1])
    lines = [
        f"Crash soak, {args.backend}, seed {args.seed}, "
        f"{datetime.now(UTC):%Y-%m-%d}: {converged} of {len(rows)} converged "
        f"(tables and verdict), {outlived} with a process left behind",
        "",
        "| trial | killed | dlt folder wiped | tables equal | verdict equal |",
        "|---:|---|---|---|---|",
    ]
    lines += [
        f"| {t} | {how} | {'yes' if w else 'no'} | {'yes' if s else 'NO'} | "
        f"{'yes' if v else 'NO'} |"
        for t, how, w, s, v in rows
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
