"""The report site's two Evidence sources: `warehouse` (the warehouse itself, through the
warehouse layer: a consistent copy of a DuckDB file, or PostgreSQL through the reader role) and
`backtests` (a DuckDB file of the backtests of config.yaml's `backtest.report` rules, computed
by the one implementation, pipelines/analytics/backtest.py, so the page shows what `marketflow
backtest` and /v1/backtests compute, on the bars the `warehouse` source reads; and the facts of
config.yaml the pages need: the exchange and which intervals are SYNTHETIC)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import sqlglot
import yaml
from sqlglot import exp

from pipelines.analytics import backtest as bt
from pipelines.config import ConfigError, ParameterError, Project
from pipelines.warehouse import queries
from pipelines.warehouse.engines import EvidenceSource, Warehouse
from pipelines.warehouse.readers import Reader

WAREHOUSE_SOURCE = "warehouse"
BACKTEST_SOURCE = "backtests"
SCRATCH = ".marketflow-tmp"


def warehouse_tables(site: Path) -> list[str]:
    """The warehouse tables the site reads: those its `warehouse` queries name
    (sources/warehouse/*.sql), and silver.bars_daily for the backtests."""
    found = {"silver.bars_daily"}
    for query in sorted((site / "sources" / WAREHOUSE_SOURCE).glob("*.sql")):
        for statement in sqlglot.parse(query.read_text(), read="postgres"):
            if statement is not None:
                found |= {f"{t.db}.{t.name}" for t in statement.find_all(exp.Table) if t.db}
    return sorted(found)


def write_warehouse_source(project: Project, site: Path) -> EvidenceSource:
    """sources/warehouse/connection.yaml for the project's warehouse (a consistent copy of a
    DuckDB file, or the database through the reader role); its secrets go in `env`."""
    folder = site / "sources" / WAREHOUSE_SOURCE
    # Scratch space beside sources/ (same file system, so moves are atomic) but outside it:
    # Evidence watches sources/ while it builds.
    with tempfile.TemporaryDirectory(dir=_scratch(site)) as scratch:
        source = Warehouse.of(project).evidence_source(WAREHOUSE_SOURCE, folder, Path(scratch))
    text = yaml.safe_dump(source.connection, sort_keys=False)
    _write_atomically(folder / "connection.yaml", text)
    return source


def _scratch(site: Path) -> Path:
    scratch = site / SCRATCH
    scratch.mkdir(exist_ok=True)
    return scratch


def report_rules(project: Project) -> list[bt.Params]:
    """config.yaml's backtest.report rules with its costs; ConfigError names a bad one."""
    costs = project.settings.backtest
    rules = []
    for i, rule in enumerate(costs.report):
        try:
            rules.append(bt.Params.from_settings(costs, **rule))
        except ParameterError as exc:
            raise ConfigError(f"backtest.report[{i}]: {exc.message}") from None
        except TypeError as exc:
            raise ConfigError(f"backtest.report[{i}]: {exc}") from None
    return rules


def write_backtests(project: Project, site: Path, reader: Reader) -> int:
    """sources/backtests/backtests.duckdb: metrics, equity and trades of every configured rule
    on every ticker with at least two sessions, read through `reader` (the warehouse source's:
    the DuckDB copy, or PostgreSQL's reader role); returns how many backtests it holds."""
    rules = report_rules(project)
    metrics, equity, trades = [], [], []
    # One query for the whole universe.
    every = pd.DataFrame(queries.adjusted_bars(reader, None, None, None))
    universe = {row["ticker"] for row in queries.tickers(reader)}  # as the last run wrote it
    for ticker, bars in every.groupby("ticker", sort=True):
        if ticker not in universe or len(bars) < 2:
            continue
        bars = bars.drop(columns="ticker").reset_index(drop=True)
        for order, params in enumerate(rules):
            result = bt.run(bars, params)
            key = {"ticker": ticker, "strategy": params.rule}
            about = {"description": params.describe(), "rule_order": order}  # config's order
            metrics.append(key | about | result.metrics)
            equity.append(result.daily.assign(**key))
            trades.extend(key | t for t in result.trades)
    tables = {
        **site_facts(project),
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


def site_facts(project: Project) -> dict[str, pd.DataFrame]:
    """What the pages need to know of config.yaml: the exchange (its clock draws the intraday
    page) and which interval's bars are SYNTHETIC (the page says so)."""
    settings = project.settings
    intervals = []
    for interval in settings.intervals:
        name, provider = settings.provider_for(interval) or (None, None)
        spec = getattr(provider, "bars", {}).get(interval)
        intervals.append(
            {"interval": interval, "provider": name,
             "synthetic": bool(getattr(spec, "synthetic", False))}
        )  # fmt: skip
    exchange = {"calendar": settings.exchange.calendar, "timezone": settings.exchange.timezone}
    return {"exchange": pd.DataFrame([exchange]), "intervals": pd.DataFrame(intervals)}


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    os.replace(partial, path)
