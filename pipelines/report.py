"""`marketflow report`: the Evidence static site (reports/), built from the warehouse offline.

The site reads two Evidence sources. `warehouse` is the warehouse itself: on DuckDB a consistent
copy of the file (the pipeline's own file stays free for runs), on PostgreSQL the database
through the reader role. `backtests` is a DuckDB file this module writes with the one backtest
implementation (pipelines/backtest.py) for the rules of config.yaml's `backtest.report`, so the
page shows what `marketflow backtest` and /v1/backtests compute. Pages query those sources only:
every number comes from gold or silver, none is computed twice.

Steps: npm ci (only when package-lock.json or the patches changed), sources (Evidence runs
every `sources/<name>/*.sql` and keeps the results as Parquet), build (SvelteKit prerenders
every page into `build/`). A `report.build_dir` elsewhere is replaced only once the build
succeeded; the default, the project's own `build/`, is Evidence's to write.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pipelines import backtest as bt
from pipelines import ops
from pipelines.config import ConfigError, Project
from pipelines.snapshot import copy_duckdb

WAREHOUSE_SOURCE = "warehouse"
BACKTEST_SOURCE = "backtests"
INSTALL_STAMP = "node_modules/.marketflow-installed"
SCRATCH = ".marketflow-tmp"
LOCK = ".marketflow-report.lock"


class ReportError(Exception):
    """A step of the build failed; the message says which and shows npm's last lines."""


@dataclass
class ReportSummary:
    site: Path
    build: Path
    steps: dict[str, float] = field(default_factory=dict)  # step -> seconds
    pages: int = 0
    megabytes: float = 0.0
    backtests: int = 0


def build(project: Project, *, log: Callable[[str], None] = print) -> ReportSummary:
    """Install, write the sources, run Evidence's sources and build; return what was built."""
    settings = project.settings.report
    site = project.path(settings.site_dir).resolve()
    target = project.path(settings.build_dir).resolve()
    if not (site / "package.json").is_file():
        raise ConfigError(f"report.site_dir: {site} holds no Evidence project (package.json)")
    npm = shutil.which("npm")
    if npm is None:
        raise ReportError("npm not found: the report site is built with Node.js 18+ and npm")
    summary = ReportSummary(site=site, build=target)
    with open(site / LOCK, "w") as lock:
        # One build at a time per Evidence project: they share sources/ and .evidence/.
        fcntl.flock(lock, fcntl.LOCK_EX)
        _build(project, site, target, npm, summary, log)
    return summary


def _build(
    project: Project,
    site: Path,
    target: Path,
    npm: str,
    summary: ReportSummary,
    log: Callable[[str], None],
) -> None:
    settings = project.settings.report
    env = _npm_env(project)

    def step(name: str, action: Callable[[], Any]) -> Any:
        log(f"  {name} …")
        began = time.perf_counter()
        result = action()
        summary.steps[name] = time.perf_counter() - began
        log(f"  {name}: {summary.steps[name]:.1f} s")
        return result

    if _install_needed(site):
        step("npm ci", lambda: _npm(npm, ["ci"], site, env, settings.timeout_seconds))
        (site / INSTALL_STAMP).write_text(_install_key(site))
    step("warehouse source", lambda: write_warehouse_source(project, site))
    summary.backtests = step("backtests", lambda: write_backtests(project, site))
    step(
        "evidence sources",
        lambda: _npm(npm, ["run", "sources"], site, env, settings.timeout_seconds),
    )
    step("evidence build", lambda: _npm(npm, ["run", "build"], site, env, settings.timeout_seconds))
    built = site / "build"
    if target != built:
        staged = target.with_name(f".{target.name}.partial")
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(built, staged)
        shutil.rmtree(target, ignore_errors=True)
        staged.rename(target)
    summary.pages = sum(1 for _ in target.rglob("index.html"))
    summary.megabytes = sum(f.stat().st_size for f in target.rglob("*") if f.is_file()) / 1e6


# ---------------------------------------------------------------- sources


def write_warehouse_source(project: Project, site: Path) -> Path:
    """sources/warehouse/connection.yaml for the project's engine (and the DuckDB copy)."""
    folder = site / "sources" / WAREHOUSE_SOURCE
    wh = project.warehouse
    if wh.engine == "duckdb":
        assert wh.duckdb_path is not None
        copy = _warehouse_copy(wh.duckdb_path, folder)
        connection = {
            "name": WAREHOUSE_SOURCE,
            "type": "duckdb",
            "options": {"filename": copy.name},
        }
    else:
        _ensure_ops_tables_postgres(project)
        connection = {
            "name": WAREHOUSE_SOURCE,
            "type": "postgres",
            "options": {
                "host": wh.host,
                "port": int(wh.port),
                "database": wh.database,
                "ssl": False,
            },
        }
    _write_atomically(folder / "connection.yaml", yaml.safe_dump(connection, sort_keys=False))
    return folder


def _warehouse_copy(warehouse: Path, folder: Path) -> Path:
    """A consistent copy of the DuckDB file, checkpointed (no WAL beside it) and holding the
    ops tables, moved into the source folder whole."""
    import duckdb

    # Scratch space beside sources/ (same file system, so the move is atomic) but outside it:
    # Evidence watches sources/ while it builds.
    scratch_root = folder.parent.parent / SCRATCH
    scratch_root.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch_root) as scratch:
        try:
            copy = copy_duckdb(warehouse, Path(scratch) / "copy")
        except duckdb.IOException as exc:
            raise ReportError(f"the warehouse is busy (a pipeline run holds it): {exc}") from None
        with duckdb.connect(str(copy)) as con:
            # The pages read the ops tables, which exist from a project's first logged run on:
            # a warehouse without them still gets a site (with empty tables).
            ops.create_tables(con)
            con.execute("CHECKPOINT")
        final = folder / warehouse.name
        os.replace(copy, final)
    for stale in folder.glob("*.duckdb*"):
        if stale != final:
            stale.unlink()
    return final


def _ensure_ops_tables_postgres(project: Project) -> None:
    with project.warehouse.connect_postgres() as con, con.cursor() as cur:
        ops.create_tables(cur)


def report_rules(project: Project) -> list[bt.Params]:
    """config.yaml's backtest.report rules with its costs; ConfigError names a bad one."""
    costs = project.settings.backtest
    rules = []
    for i, rule in enumerate(costs.report):
        try:
            rules.append(bt.Params.from_settings(costs, **rule))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"backtest.report[{i}]: {exc}") from None
    return rules


def write_backtests(project: Project, site: Path) -> int:
    """sources/backtests/backtests.duckdb: metrics, equity and trades of every configured rule
    on every ticker with at least two sessions; returns how many backtests it holds."""
    import duckdb

    rules = report_rules(project)
    metrics, equity, trades = [], [], []
    every = bt.load_bars(project, None, None, None)  # one query for the whole universe
    universe = set(project.settings.universe.members)
    for ticker, bars in every.groupby("ticker", sort=True):
        if ticker not in universe or len(bars) < 2:
            continue
        bars = bars.drop(columns="ticker").reset_index(drop=True)
        for params in rules:
            result = bt.run(bars, params)
            key = {"ticker": ticker, "strategy": params.rule}
            metrics.append(key | {"description": params.describe()} | result.metrics)
            equity.append(result.daily.assign(**key))
            trades.extend(key | t for t in result.trades)
    tables = {
        "metrics": pd.DataFrame(metrics),
        "equity": pd.concat(equity) if equity else pd.DataFrame(),
        "trades": pd.DataFrame(
            trades,
            columns=[
                "ticker",
                "strategy",
                "side",
                "entry_date",
                "entry_price",
                "exit_date",
                "exit_price",
                "return",
            ],
        ),
    }
    folder = site / "sources" / BACKTEST_SOURCE
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{BACKTEST_SOURCE}.duckdb.partial"
    partial.unlink(missing_ok=True)
    with duckdb.connect(str(partial)) as con:
        for name, frame in tables.items():
            con.register("frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
            con.unregister("frame")
    os.replace(partial, folder / f"{BACKTEST_SOURCE}.duckdb")
    return len(metrics)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    os.replace(partial, path)


# ---------------------------------------------------------------- npm


def _install_key(site: Path) -> str:
    files = [site / "package-lock.json", *sorted((site / "patches").glob("*.patch"))]
    return hashlib.sha256(b"".join(f.read_bytes() for f in files if f.exists())).hexdigest()


def _install_needed(site: Path) -> bool:
    stamp = site / INSTALL_STAMP
    return not stamp.is_file() or stamp.read_text() != _install_key(site)


def _npm_env(project: Project) -> dict[str, str]:
    env = {
        **os.environ,
        "NODE_OPTIONS": os.environ.get("NODE_OPTIONS", "--max-old-space-size=4096"),
    }
    wh = project.warehouse
    if wh.engine != "duckdb":
        prefix = f"EVIDENCE_SOURCE__{WAREHOUSE_SOURCE}__"
        env[prefix + "user"] = os.environ.get("MARKETFLOW_PG_READER_USER", wh.user or "")
        env[prefix + "password"] = os.environ.get(
            "MARKETFLOW_PG_READER_PASSWORD", wh.password or ""
        )
    return env


def _npm(npm: str, args: list[str], site: Path, env: dict[str, str], timeout: float) -> None:
    command = " ".join(["npm", *args])
    try:
        done = subprocess.run(
            [npm, *args, "--no-audit", "--no-fund"] if args[0] == "ci" else [npm, *args],
            cwd=site,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise ReportError(f"{command} (in {site}) took over {timeout:.0f} s") from None
    if done.returncode != 0:
        tail = _tail(done.stdout + done.stderr, 40)
        raise ReportError(f"{command} (in {site}) exited {done.returncode}:\n{tail}")


def _tail(text: str, lines: int) -> str:
    kept: Iterable[str] = text.strip().splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in kept)
