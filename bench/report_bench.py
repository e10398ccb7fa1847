"""The report site's build: `marketflow report` on the demo warehouse, wall time and the peak
memory of the whole process tree (marketflow, npm, node and Evidence's workers), sampled every
0.1 s, plus the time of each step as the command prints it.

    python bench/report_bench.py [--builds 3]

The first build after a fresh demo is a full one (`--full`: Vite bundles the pages, then
they are prerendered with the data); each later one rebuilds the same site the way a scheduled
run does, pages unchanged, so only the data steps run. Prints a Markdown table
(docs/benchmarks.md's) and writes bench/work/report.md. Targets: under 60 s and 1.5 GB peak.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from tests.conftest import AS_OF, make_project  # noqa: E402

WORK = ROOT / "bench" / "work" / "report"
BIN = Path(sys.executable).parent
ENV = {"MARKETFLOW_GATEWAY": "local", "MARKETFLOW_RAW_URL": "data/raw"}


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += member.memory_info().rss
    return total


def measured(command: list[str]) -> tuple[float, float, str]:
    """(seconds, peak MB of the process tree, stdout)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command, env={**os.environ, **ENV}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    watched, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        try:
            peak = max(peak, tree_rss(watched))
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    out = child.stdout.read() if child.stdout else ""
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {child.returncode}:\n{out[-2000:]}")
    return time.perf_counter() - started, peak / 1e6, out


def steps(out: str) -> str:
    """The step timings the command prints ('evidence build 41.2s', ...)."""
    found = re.findall(r"^\s*(npm ci|warehouse source|backtests|evidence sources|evidence build|"
                       r"rebuild \(data only\)): (\d+(?:\.\d+)?) s\b", out, re.M)  # fmt: skip
    return ", ".join(f"{name} {seconds} s" for name, seconds in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", type=int, default=3)
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    config = make_project(WORK, {"report": {"build_dir": str(WORK / "site")}}).config
    print("building the demo warehouse", flush=True)
    subprocess.run(
        [str(BIN / "marketflow"), "--config", str(config), "demo", "--as-of", AS_OF],
        env={**os.environ, **ENV}, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    rows = []
    for n in range(1, args.builds + 1):
        kind, extra = ("full", ["--full"]) if n == 1 else ("data only", [])
        report = [str(BIN / "marketflow"), "--config", str(config), "report", *extra]
        seconds, peak, out = measured(report)
        rows.append((n, kind, seconds, peak, steps(out)))
        print(f"build {n} ({kind}): {seconds:.1f} s, peak {peak:,.0f} MB", flush=True)
    lines = [
        "| build | kind | seconds | peak MB (process tree) | steps | target |",
        "|---:|---|---:|---:|---|---|",
    ]
    for n, kind, seconds, peak, detail in rows:
        target = "< 60 s, < 1,500 MB"
        lines.append(f"| {n} | {kind} | {seconds:.1f} | {peak:,.0f} | {detail} | {target} |")
    table = "\n".join(lines)
    print(table)
    (WORK.parent / "report.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
