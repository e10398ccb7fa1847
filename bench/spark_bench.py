"""The spark gateway beside DuckDB on the same SYNTHETIC data, through the real CLI: backfills at
two sizes, one more session, and a projection from the measured per-bar cost to 5,000 and 10,000
tickers of daily and minute history.

    python bench/spark_bench.py [--tickers 50,500] [--years 2] [--minute-tickers 10,100]

SYNTHETIC DATA (bench/synthetic.py). Per engine, measured:
  daily backfill   `--tickers` sizes x `--years` of daily bars (a fresh project each)
  incremental      one more session for the smaller size's tickers
  minute backfill  `--minute-tickers` sizes x 5 sessions of 1-minute bars (a fresh project each)
The projection is arithmetic, not a measurement: the per-bar cost is the slope between the two
sizes' backfills ((time at the larger - time at the smaller) / (bars more)), and a history of N
bars is projected as the smaller backfill + (N - its bars) x that slope. On Spark in local mode
most of a run is fixed cost (a JVM, and a job for every model and interval); on a cluster the
per-bar part divides by its cores, which this two-core machine cannot show.
Prints Markdown tables and writes them to bench/work/spark-results.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import synthetic  # noqa: E402
from bench.measure import Measure, marketflow  # noqa: E402
from bench.pipeline_bench import WORK, configure  # noqa: E402

AS_OF = "2025-01-31"
ENGINES = {"duckdb": "local", "spark": "spark"}  # engine -> MARKETFLOW_GATEWAY
SESSIONS_A_YEAR, MINUTES_A_SESSION, MINUTE_SESSIONS = 252, 390, 5


def engine_project(
    engine: str, label: str, tickers: int, drop: Path, interval: str
) -> tuple[Path, dict[str, str]]:
    """A fresh project folder over `drop` for one engine."""
    root = WORK / f"spark-bench-{engine}-{label}"
    shutil.rmtree(root, ignore_errors=True)
    (root / "data").mkdir(parents=True)
    (root / "data" / "drop").symlink_to(drop)
    configure(root, tickers, interval)
    return root, {"MARKETFLOW_GATEWAY": ENGINES[engine], "MARKETFLOW_RAW_URL": "data/raw"}


def run(engine: str, what: str, root: Path, env: dict[str, str]) -> Measure:
    """One `marketflow run` (exits naming the command if it fails)."""
    print(f"[{engine}] {what}", flush=True)
    measure = marketflow(["run", "--as-of", AS_OF], env, root)
    transform = next((s for name, s in measure.stages.items() if "SQLMesh" in name), 0.0)
    print(f"[{engine}] {what}: {measure.seconds:.1f} s (transform {transform:.1f} s)", flush=True)
    return measure


def daily_drop(tickers: int, years: int) -> tuple[Path, int]:
    drop = WORK / f"spark-bench-drop-{tickers}x{years}"
    shutil.rmtree(drop, ignore_errors=True)
    return drop, synthetic.write(drop, tickers, years)["bars"]


def minute_drop(tickers: int, daily: Path) -> tuple[Path, int]:
    """The last MINUTE_SESSIONS sessions of 2024 (the Christmas Eve early close among them) as
    1-minute bars, from the daily files in `daily` (which hold at least `tickers` tickers)."""
    drop = WORK / f"spark-bench-drop-1m-{tickers}"
    shutil.rmtree(drop, ignore_errors=True)
    days = synthetic.sessions(1)[-MINUTE_SESSIONS:]
    return drop, sum(synthetic.write_minutes(drop, daily, tickers, days).values())


def measure(engine: str, args: argparse.Namespace, drops: dict) -> dict[str, tuple[int, float]]:
    """{step: (bars, seconds)} of one engine."""
    results: dict[str, tuple[int, float]] = {}
    small, large = args.tickers
    for i, tickers in enumerate((small, large)):
        drop, bars = drops["1d", tickers]
        root, env = engine_project(engine, f"1d-{tickers}", tickers, drop, "1d")
        what = f"daily backfill, {tickers} tickers x {args.years} years ({bars:,} bars)"
        results[f"1d backfill {tickers}"] = (bars, run(engine, what, root, env).seconds)
        if i == 0:
            name = f"next-{engine}.parquet"
            added = synthetic.next_session_file(drop, tickers, name)
            seconds = run(engine, f"+1 session ({added} bars)", root, env).seconds
            (drop / "1d" / name).unlink()  # the drop folder is shared by both engines
            results["1d incremental"] = (added, seconds)
    for tickers in args.minute_tickers:
        drop, bars = drops["1m", tickers]
        root, env = engine_project(engine, f"1m-{tickers}", tickers, drop, "1m")
        what = f"minute backfill, {tickers} tickers x {MINUTE_SESSIONS} sessions ({bars:,} bars)"
        results[f"1m backfill {tickers}"] = (bars, run(engine, what, root, env).seconds)
    return results


def projection(small: tuple[int, float], large: tuple[int, float], bars: int) -> float:
    """Seconds for `bars` bars: the smaller backfill plus the bars beyond it at the slope."""
    slope = (large[1] - small[1]) / (large[0] - small[0])
    return small[1] + (bars - small[0]) * max(slope, 0.0)


def render(results: dict[str, dict[str, tuple[int, float]]], args: argparse.Namespace) -> str:
    duck, spark = results["duckdb"], results["spark"]
    lines = ["| measured (SYNTHETIC) | bars | DuckDB | Spark (local[2]) | Spark / DuckDB |",
             "|---|---:|---:|---:|---:|"]  # fmt: skip
    labels = {f"1d backfill {t}": f"daily backfill, {t} tickers x {args.years} years"
              for t in args.tickers}  # fmt: skip
    labels["1d incremental"] = f"incremental, +1 session ({args.tickers[0]} tickers)"
    labels |= {f"1m backfill {t}": f"minute backfill, {t} tickers x {MINUTE_SESSIONS} sessions"
               for t in args.minute_tickers}  # fmt: skip
    for step, label in labels.items():
        (bars, d), (_, s) = duck[step], spark[step]
        lines.append(f"| {label} | {bars:,} | {d:.1f} s | {s:.1f} s | {s / d:.1f}x |")
    lines += ["", "| projected backfill, a year of | bars | DuckDB | Spark (local[2]) |",
              "|---|---:|---:|---:|"]  # fmt: skip
    for interval, per_year in (("1d", SESSIONS_A_YEAR),
                               ("1m", SESSIONS_A_YEAR * MINUTES_A_SESSION)):  # fmt: skip
        sizes = args.tickers if interval == "1d" else args.minute_tickers
        keys = [f"{interval} backfill {t}" for t in sizes]
        for tickers in (5_000, 10_000):
            n = tickers * per_year
            cells = [projection(r[keys[0]], r[keys[1]], n) / 3600 for r in (duck, spark)]
            name = "daily" if interval == "1d" else "minute"
            lines.append(f"| {tickers:,} tickers, {name} bars | {n:,} | {cells[0]:,.2f} h | "
                         f"{cells[1]:,.2f} h |")  # fmt: skip
    slopes = []
    for interval, sizes in (("1d", args.tickers), ("1m", args.minute_tickers)):
        for engine, r in results.items():
            (b0, t0), (b1, t1) = (r[f"{interval} backfill {t}"] for t in sizes)
            slopes.append(f"{engine} {interval}: {(t1 - t0) / (b1 - b0) * 1e6:,.0f} us/bar")
    lines += ["", "Per-bar slopes: " + "; ".join(slopes) + "."]
    return "\n".join(lines) + "\n"


def two_sizes(text: str) -> list[int]:
    values = [int(v) for v in text.split(",")]
    if len(values) != 2 or values[0] >= values[1]:
        raise argparse.ArgumentTypeError(f"two sizes, smaller first: {text!r}")
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickers", type=two_sizes, default=[50, 500])
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--minute-tickers", type=two_sizes, default=[10, 100])
    args = parser.parse_args()
    if max(args.minute_tickers) > max(args.tickers):
        parser.error("--minute-tickers: at most the larger --tickers (minutes derive from them)")
    WORK.mkdir(parents=True, exist_ok=True)
    drops: dict = {("1d", t): daily_drop(t, args.years) for t in args.tickers}
    largest = drops["1d", max(args.tickers)][0]
    drops |= {("1m", t): minute_drop(t, largest) for t in args.minute_tickers}
    results = {engine: measure(engine, args, drops) for engine in ENGINES}
    table = render(results, args)
    (WORK / "spark-results.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
