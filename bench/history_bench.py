"""What restatement history, reconciliation and repair cost: the pipeline benchmark's SYNTHETIC
data (500 tickers x 20 years of daily bars, bench/pipeline_bench.py), through the real CLI, at
this commit and at a baseline commit from before them (a git worktree, the same virtualenv).

    python bench/history_bench.py [--backend duckdb|postgres] [--tickers 500]
                                  [--baseline c38f09c]

Measured, at both commits, wall time of the `marketflow` process:
  backfill        every file -> raw -> bronze (and its history) -> silver -> gold -> checks
  incremental     one more session for every ticker
  restatement     the last five sessions of every ticker sent again (what a web provider's
                  restatement_lag re-reads), one bar in 100 revised by 1 %
Then, at this commit only:
  storage         bronze.bars and its history (bronze.bar_versions, action_versions) and
                  silver.bar_revisions: rows and bytes (DuckDB: each table copied alone into a
                  file of its own; PostgreSQL: pg_total_relation_size)
  as-of reads     one ticker's 20 years and ten tickers' year of adjusted bars and features, as
                  of the moment before the restatement (the first read renders the models)
Prints a Markdown table; exits non-zero if a run fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import synthetic  # noqa: E402
from bench.measure import Measure, marketflow  # noqa: E402
from bench.pipeline_bench import AS_OF, WORK, prepare_drop, project  # noqa: E402
from pipelines.client import connect  # noqa: E402
from pipelines.config import load_project  # noqa: E402
from pipelines.warehouse.engines import Warehouse  # noqa: E402
from tests.conftest import PROJECT_FILES  # noqa: E402

Project = tuple[Path, dict[str, str]]

STEPS = ("backfill", "incremental", "restatement")
HISTORY_TABLES = (
    "bronze.bars",
    "bronze.bar_versions",
    "bronze.action_versions",
    "silver.bar_revisions",
)


def drop_folder(backend: str, base: Path, name: str) -> Path:
    drop = WORK / f"drop-history-{backend}-{name}"
    shutil.rmtree(drop, ignore_errors=True)
    (drop / "1d").mkdir(parents=True)
    for path in (base / "1d").glob("*.parquet"):
        os.symlink(path, drop / "1d" / path.name)
    shutil.copy(base / "corporate_actions.csv", drop / "corporate_actions.csv")
    return drop


def restatement_file(drop: Path, tickers: int) -> int:
    """The last five sessions of every ticker again, one bar in 100 with its close moved 1 %
    (within its range: the high and low move with it)."""
    frames = []
    for i in range(1, tickers + 1):
        bars = pq.read_table(drop / "1d" / f"{synthetic.ticker_name(i)}.parquet").to_pandas()
        frames.append(bars.sort_values("ts").tail(5))
    again = pd.concat(frames, ignore_index=True)
    revised = again.index % 100 == 0
    for column in ("high", "low", "close"):
        again.loc[revised, column] = again.loc[revised, column] * 1.01
    again.to_parquet(drop / "1d" / "restated.parquet", index=False)
    return int(revised.sum())


def steps(
    code: Path, backend: str, base: Path, tickers: int, name: str
) -> tuple[dict[str, Measure], Project]:
    """The three runs with the code at `code` (its package on PYTHONPATH, its models linked
    into the project), in a project of its own."""
    drop = drop_folder(backend, base, name)
    root, env = project(backend, tickers, drop, name=f"history-{backend}-{name}")
    for linked in PROJECT_FILES:
        (root / linked).unlink(missing_ok=True)
        (root / linked).symlink_to(code / linked)
    env = env | {"PYTHONPATH": str(code)}
    print(f"[{name}] backfill: {tickers} tickers x 20 years", flush=True)
    results = {"backfill": marketflow(["run", "--as-of", AS_OF], env, root)}
    synthetic.next_session_file(drop, tickers, "next-1.parquet", nth=1)
    print(f"[{name}] incremental: one more session", flush=True)
    results["incremental"] = marketflow(["run", "--as-of", AS_OF], env, root)
    (root / "restated-before").write_text(datetime.now(UTC).isoformat())
    revised = restatement_file(drop, tickers)
    print(f"[{name}] restatement: 5 sessions again, {revised} bars revised", flush=True)
    results["restatement"] = marketflow(["run", "--as-of", AS_OF], env, root)
    return results, (root, env)


def storage(backend: str, root: Path, env: dict[str, str]) -> dict[str, tuple[int, int]]:
    """(rows, bytes) of each history table."""
    os.environ.update(env)
    warehouse = Warehouse.of(load_project(root / "config.yaml"))
    found = {}
    for table in HISTORY_TABLES:
        rows = warehouse.fetch(f"SELECT COUNT(*) FROM {table}")[1][0][0]
        if backend == "postgres":
            size = warehouse.fetch(f"SELECT pg_total_relation_size('{table}')")[1][0][0]
        else:
            alone = WORK / f"alone-{table}.duckdb"
            alone.unlink(missing_ok=True)
            con = duckdb.connect(str(alone))
            con.execute(f"ATTACH '{root / 'data' / 'warehouse.duckdb'}' AS w (READ_ONLY)")
            con.execute(f"CREATE TABLE copy AS SELECT * FROM w.{table}")
            con.close()
            size = alone.stat().st_size
            alone.unlink()
        found[table] = (int(rows), int(size))
    return found


def as_of_reads(root: Path, env: dict[str, str]) -> dict[str, float]:
    """Seconds of as-of reads through the client, as of the moment before the restatement."""
    os.environ.update(env)
    moment = (root / "restated-before").read_text()
    client = connect(root / "config.yaml")
    ten = [synthetic.ticker_name(i) for i in range(1, 11)]
    reads = {
        "1 ticker x 20 years, adjusted bars (first: renders the models)": lambda: client.bars(
            synthetic.ticker_name(1), adjusted=True, as_of=moment
        ),
        "1 ticker x 20 years, adjusted bars": lambda: client.bars(
            synthetic.ticker_name(1), adjusted=True, as_of=moment
        ),
        "10 tickers x 1 year, adjusted bars": lambda: client.bars(
            ten, start="2024-01-01", adjusted=True, as_of=moment
        ),
        "10 tickers x 1 year, every feature": lambda: client.features(
            ten, start="2024-01-01", as_of=moment
        ),
        "the same, current (no as_of)": lambda: client.features(ten, start="2024-01-01"),
    }
    found = {}
    for label, read in reads.items():
        started = time.perf_counter()
        frame = read()
        found[label] = time.perf_counter() - started
        assert len(frame), label
    client.close()
    return found


def worktree(commit: str) -> Path:
    path = WORK / f"baseline-{commit}"
    if not (path / "pipelines").is_dir():
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], check=True)
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), commit], check=True
        )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="duckdb", choices=("duckdb", "postgres"))
    parser.add_argument("--tickers", type=int, default=500)
    parser.add_argument("--baseline", default="c38f09c", help="a commit from before history")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    base, _ = prepare_drop(args.tickers, 1)
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    before, _ = steps(worktree(args.baseline), args.backend, base, args.tickers, "baseline")
    now, (root, env) = steps(ROOT, args.backend, base, args.tickers, "head")
    sizes = storage(args.backend, root, env)
    reads = as_of_reads(root, env)
    lines = [
        f"History, reconciliation and repair: {args.tickers} SYNTHETIC tickers x 20 years, "
        f"{args.backend}, {datetime.now(UTC):%Y-%m-%d}, {head} against {args.baseline}",
        "",
        f"| run | {args.baseline} | {head} | ratio |",
        "|---|---:|---:|---:|",
    ]
    for step in STEPS:
        a, b = before[step].seconds, now[step].seconds
        lines.append(f"| {step} | {a:.1f} s | {b:.1f} s | {b / a:.2f}x |")
    bars_bytes = sizes["bronze.bars"][1]
    lines += ["", "| table | rows | bytes | of bronze.bars |", "|---|---:|---:|---:|"]
    for table, (rows, size) in sizes.items():
        lines.append(f"| {table} | {rows:,} | {size / 1e6:,.1f} MB | {size / bars_bytes:.2f}x |")
    lines += ["", "| as-of read | seconds |", "|---|---:|"]
    lines += [f"| {label} | {seconds:.2f} |" for label, seconds in reads.items()]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
