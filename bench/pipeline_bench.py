"""Pipeline benchmark on SYNTHETIC data: 500 tickers x 20 years of daily bars on the XNYS
calendar (about 2.5M bars, with splits and dividends), through the real CLI, on each backend.

    python bench/pipeline_bench.py [--backends duckdb,postgres] [--tickers 500] [--growth 10]

Measures, per backend (wall time and peak RSS of the `marketflow` process):
  backfill      all drop files -> raw -> bronze -> silver -> gold -> checks
  incremental   one more session for every ticker
  after growth  the same incremental run once history has grown `growth` times (more tickers,
                so bronze/silver/gold hold growth x the bars)
  one-ticker    `marketflow backfill --tickers SYN00001` of its 20 years, in the universe and in a
                project whose universe is that ticker alone
  reference     bench/reference.py on the same files: a hand-written DuckDB + TA-Lib script of
                the same gold columns, checked equal to gold.daily_features (1e-9) first
  floor         a bare insert of the same 2.5M bars: DuckDB from Arrow, PostgreSQL COPY
  1m (DuckDB)   five sessions of 1-minute bars for every ticker, then one more (195k bars)
PostgreSQL runs on the local services (make services-up); its server's memory is not counted.
Prints a Markdown table with each target (bench/targets.py) and writes it to
bench/work/results.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import time
from pathlib import Path

import pyarrow.dataset as ds
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import gold_check, synthetic, targets  # noqa: E402
from bench.measure import Measure, in_fresh_process, marketflow, run_measured  # noqa: E402
from dev import services  # noqa: E402
from tests.conftest import write_config  # noqa: E402

WORK = ROOT / "bench" / "work"
AS_OF = "2025-01-31"
# Written in a generated folder's .complete: a folder of an older generator is made again.
GENERATION = "2: two splits drawn on one session are one action"


def project(
    backend: str, tickers: int | list[str], drop: Path, name: str = "", interval: str = "1d"
) -> tuple[Path, dict[str, str]]:
    root = WORK / (name or backend)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "data").mkdir()
    os.symlink(drop, root / "data" / "drop")
    configure(root, tickers, interval)
    env = {"MARKETFLOW_GATEWAY": "local", "MARKETFLOW_RAW_URL": "data/raw"}
    if backend == "postgres":
        env = postgres_env()
    return root, env


def configure(root: Path, tickers: int | list[str], interval: str = "1d") -> None:
    if isinstance(tickers, int):
        tickers = [synthetic.ticker_name(i) for i in range(1, tickers + 1)]
    write_config(
        root,
        {
            "universe": {"tickers": tickers},
            "providers": {
                "synthetic": {
                    "type": "files",
                    "drop_folder": "data/drop",
                    "bars": {interval: {"glob": f"{interval}/*.parquet"}},
                    "columns": {
                        c: c for c in ("ticker", "ts", "open", "high", "low", "close", "volume")
                    },
                    "corporate_actions": {"file": "corporate_actions.csv"},
                }
            },
        },
    )
    config = yaml.safe_load((root / "config.yaml").read_text())
    del config["variables"]["marketflow"]["providers"]["files"]
    config["variables"]["marketflow"]["intervals"] = {interval: "synthetic"}  # one interval
    (root / "config.yaml").write_text(
        yaml.safe_dump(config, sort_keys=False, default_style='"', width=1 << 20)
    )


def postgres_env() -> dict[str, str]:
    env = services.up(log=lambda _: None, write_env=False)
    return env | services.project_databases("bench")[1]


def floor(backend: str, drop: Path, tickers: int, env: dict[str, str]) -> Measure:
    files = [drop / "1d" / f"{synthetic.ticker_name(i)}.parquet" for i in range(1, tickers + 1)]
    table = ds.dataset(files, format="parquet").to_table()
    started = time.perf_counter()
    if backend == "duckdb":
        import duckdb

        path = WORK / "floor.duckdb"
        path.unlink(missing_ok=True)
        con = duckdb.connect(str(path))
        con.register("bars", table)
        con.execute("CREATE TABLE bars_copy AS SELECT * FROM bars")
        con.close()
    else:
        import psycopg

        buffer = io.StringIO()
        table.to_pandas().to_csv(buffer, index=False, header=False)
        buffer.seek(0)
        with psycopg.connect(services.owner_dsn(env)) as conn:
            conn.execute(
                "CREATE TABLE public.bars_copy (ticker text, ts timestamptz, open float8, "
                "high float8, low float8, close float8, volume float8)"
            )
            with conn.cursor().copy("COPY public.bars_copy FROM STDIN WITH (FORMAT csv)") as copy:
                while chunk := buffer.read(1 << 20):
                    copy.write(chunk)
    return Measure(time.perf_counter() - started, 0.0)


def prepare_drop(tickers: int, growth: int) -> tuple[Path, Path]:
    """The base drop folder (tickers 1..n) and the growth folder (n+1..growth*n), made once."""
    base, extra = WORK / f"drop-{tickers}", WORK / f"extra-{tickers}x{growth}"
    if not _complete(base):
        shutil.rmtree(base, ignore_errors=True)
        print(f"generating {tickers} synthetic tickers x 20 years in {base}", flush=True)
        synthetic.write(base, tickers, 20)
        (base / ".complete").write_text(GENERATION)
    if growth > 1 and not _complete(extra):
        shutil.rmtree(extra, ignore_errors=True)
        print(f"generating {tickers * (growth - 1)} more in {extra}", flush=True)
        synthetic.write(extra, tickers * (growth - 1), 20, first=tickers + 1)
        (extra / ".complete").write_text(GENERATION)
    return base, extra


def _complete(folder: Path) -> bool:
    marker = folder / ".complete"
    return marker.exists() and marker.read_text() == GENERATION


def reference(backend: str, base: Path, root: Path, env: dict[str, str]) -> Measure:
    """Time bench/reference.py on the base files, after checking that its answer is gold's."""
    out = WORK / f"reference-{backend}.parquet"
    script = [sys.executable, str(ROOT / "bench" / "reference.py"), str(base), str(out)]
    print(f"[{backend}] reference: checking it against gold.daily_features", flush=True)
    run_measured(script, {}, WORK)  # the answer to check; the timed run repeats it
    if problems := in_fresh_process(gold_check.check, backend, root, env, out):
        raise SystemExit(f"bench/reference.py does not reproduce gold on {backend}:\n  "
                         + "\n  ".join(problems))  # fmt: skip
    print(f"[{backend}] reference: timed", flush=True)
    return run_measured(script, {}, WORK)


def bench(backend: str, args: argparse.Namespace) -> dict[str, Measure]:
    base, extra = prepare_drop(args.tickers, args.growth)
    # The project's drop folder: links to the base files, then the next session, then growth.
    drop = WORK / f"drop-{backend}"
    shutil.rmtree(drop, ignore_errors=True)
    (drop / "1d").mkdir(parents=True)
    for path in (base / "1d").glob("*.parquet"):
        os.symlink(path, drop / "1d" / path.name)
    shutil.copy(base / "corporate_actions.csv", drop / "corporate_actions.csv")
    root, env = project(backend, args.tickers, drop)
    results = {}

    print(f"[{backend}] backfill: {args.tickers} tickers x 20 years", flush=True)
    results["backfill"] = marketflow(["run", "--as-of", AS_OF], env, root)
    results["reference"] = reference(backend, base, root, env)
    synthetic.next_session_file(drop, args.tickers, "next-1.parquet", nth=1)
    print(f"[{backend}] incremental: one more session", flush=True)
    results["incremental"] = marketflow(["run", "--as-of", AS_OF], env, root)
    results |= one_ticker_backfill(backend, base, root, env)

    if args.growth > 1:
        print(f"[{backend}] growing the history {args.growth}x", flush=True)
        for path in (extra / "1d").glob("*.parquet"):
            os.symlink(path, drop / "1d" / path.name)
        with (drop / "corporate_actions.csv").open("a") as out:
            out.writelines((extra / "corporate_actions.csv").read_text().splitlines(True)[1:])
        configure(root, args.tickers * args.growth)
        results["growth backfill"] = marketflow(["run", "--as-of", AS_OF], env, root)
        synthetic.next_session_file(drop, args.tickers, "next-2.parquet", nth=2)
        print(f"[{backend}] incremental after growth", flush=True)
        results["incremental after growth"] = marketflow(["run", "--as-of", AS_OF], env, root)

    results["floor"] = in_fresh_process(floor, backend, base, args.tickers, env)
    if backend == "duckdb":
        results |= minutes(backend, base, args.tickers)
    return results


def one_ticker_backfill(
    backend: str, base: Path, root: Path, env: dict[str, str]
) -> dict[str, Measure]:
    """`marketflow backfill` of one ticker's 20 years in the bench's universe, and the same in
    a project whose universe is that ticker alone (built first from the same file)."""
    ticker = synthetic.ticker_name(1)
    command = ["backfill", "--tickers", ticker, "--start", "2005-01-01", "--end", "2024-12-31",
               "--as-of", AS_OF]  # fmt: skip
    print(f"[{backend}] one-ticker backfill in the universe", flush=True)
    results = {"one-ticker backfill": marketflow(command, env, root)}
    drop = WORK / f"drop-{backend}-one"
    shutil.rmtree(drop, ignore_errors=True)
    (drop / "1d").mkdir(parents=True)
    os.symlink(base / "1d" / f"{ticker}.parquet", drop / "1d" / f"{ticker}.parquet")
    actions = (base / "corporate_actions.csv").read_text().splitlines(True)
    (drop / "corporate_actions.csv").write_text(
        "".join(actions[:1] + [line for line in actions[1:] if line.startswith(ticker + ",")])
    )
    alone, alone_env = project(backend, [ticker], drop, name=f"{backend}-one")
    marketflow(["run", "--as-of", AS_OF], alone_env, alone)
    print(f"[{backend}] one-ticker backfill, a one-ticker universe", flush=True)
    results["one-ticker backfill, 1-ticker universe"] = marketflow(command, alone_env, alone)
    return results


def minutes(backend: str, base: Path, tickers: int) -> dict[str, Measure]:
    """1-minute bars: five sessions of history (the Christmas Eve early close among them), then
    one more session, 390 minutes x `tickers`."""
    days = synthetic.sessions(1)[-6:]
    drop = WORK / f"drop-{backend}-1m"
    shutil.rmtree(drop, ignore_errors=True)
    print(f"[{backend}] 1-minute: generating {len(days)} sessions x {tickers} tickers", flush=True)
    written = synthetic.write_minutes(drop, base, tickers, days)
    latest = drop / "1m" / f"{days[-1].isoformat()}.parquet"
    held = latest.rename(drop / f"{days[-1].isoformat()}.later")
    root, env = project(backend, tickers, drop, name=f"{backend}-1m", interval="1m")
    history = sum(written.values()) - written[days[-1]]
    print(f"[{backend}] 1-minute backfill: {history:,} bars", flush=True)
    results = {"1m backfill (5 sessions)": marketflow(["run", "--as-of", AS_OF], env, root)}
    held.rename(latest)
    print(f"[{backend}] 1-minute incremental: {written[days[-1]]:,} bars", flush=True)
    results["1m incremental (+1 session)"] = marketflow(["run", "--as-of", AS_OF], env, root)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="duckdb,postgres")
    parser.add_argument("--tickers", type=int, default=500)
    parser.add_argument("--growth", type=int, default=10)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    rows = []
    for backend in args.backends.split(","):
        results = bench(backend, args)
        # Kept per backend, so one backend can be re-measured alone and the table still whole.
        (WORK / f"results-{backend}.json").write_text(
            json.dumps({step: vars(m) for step, m in results.items()}, indent=1)
        )
        rows.append((backend, results))
    measured = {backend for backend, _ in rows}
    for saved in sorted(WORK.glob("results-*.json")):
        backend = saved.stem.removeprefix("results-")
        if backend not in measured:
            data = json.loads(saved.read_text())
            rows.append((backend, {step: Measure(**m) for step, m in data.items()}))
    table = targets.render(rows, args.tickers * len(synthetic.sessions(20)), args.growth)
    (WORK / "results.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
