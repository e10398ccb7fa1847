"""The serving copy: which tables it holds (every table the API, the client and the report
read), which gateway holds it, and its replacement all at once or not at all (DuckDB, real;
the Parquet files written by pyarrow)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from pipelines.config import ConfigError, load_project
from pipelines.warehouse.duckdb_warehouse import DuckDBWarehouse
from pipelines.warehouse.engines import Warehouse
from pipelines.warehouse.serving import served_tables
from pipelines.warehouse.spark_warehouse import SparkWarehouse
from pipelines.warehouse.sqlmesh import project_models
from tests.conftest import REPO, write_config

# What reads the warehouse on behalf of users: their SQL names the tables they need.
READERS = ["api", "pipelines/client", "reports/sources/warehouse", "reports/pages"]
READER_FILES = ["pipelines/warehouse/queries.py", "pipelines/warehouse/series.py"]


def tables_read() -> set[str]:
    files = [
        p for d in READERS for p in (REPO / d).rglob("*") if p.suffix in (".py", ".sql", ".md")
    ]
    files += [REPO / f for f in READER_FILES]
    found = set()
    for path in files:
        found |= set(re.findall(r"\b((?:silver|gold)\.[a-z_0-9]+)\b", path.read_text()))
    return found


def test_every_table_a_reader_reads_is_served(tmp_path: Path) -> None:
    project = load_project(write_config(tmp_path), gateway="spark")
    served = served_tables(project_models(project))
    read = tables_read()
    assert {"gold.daily_features", "silver.bars_daily", "silver.ticker_sessions"} <= read
    assert read - set(served) == set()
    # The copy is sorted by each model's grain, so DuckDB's zone maps prune by ticker.
    assert served["gold.daily_features"].grain == ("ticker", "session_date")
    assert served["silver.tickers"].grain == ("ticker",)
    # In the model's order: Spark stores a partition column (session_date) last.
    assert served["gold.intraday_sessions"].columns[:3] == ("ticker", "session_date", "open")
    assert all(s.columns for s in served.values())
    # Internal steps stay on the engine.
    assert "gold.features_recursive" not in served and "silver.bars_1m_checked" not in served


def test_the_spark_gateway_has_its_serving_store(tmp_path: Path) -> None:
    project = load_project(write_config(tmp_path), gateway="spark")
    warehouse = Warehouse.of(project)
    assert isinstance(warehouse, SparkWarehouse)
    assert warehouse.serving == DuckDBWarehouse(
        "spark_serving", tmp_path / "data/spark/serving.duckdb"
    )
    assert Warehouse.of(load_project(tmp_path / "config.yaml", gateway="local")).publishes is False


@pytest.mark.parametrize(
    ("serving", "message"),
    [
        ({}, "variables.marketflow.serving.spark: missing"),
        ({"spark": "nowhere"}, "variables.marketflow.serving.spark: 'nowhere' is not a gateway"),
        ({"spark": "postgres"}, "'postgres' is a postgres gateway: the serving copy is a DuckDB"),
        ({"spark": "spark"}, "'spark' is a spark gateway"),
    ],
)
def test_a_wrong_serving_store_is_named(tmp_path: Path, serving: dict, message: str) -> None:
    config = write_config(tmp_path)
    settings = yaml.safe_load(config.read_text())
    settings["variables"]["marketflow"]["serving"] = serving
    config.write_text(yaml.safe_dump(settings, default_style='"', width=1 << 20))
    project = load_project(config, gateway="spark")
    with pytest.raises(ConfigError, match=re.escape(message)):
        Warehouse.of(project)


def _folder(root: Path, name: str, table: pa.Table) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    half = table.num_rows // 2
    pq.write_table(table.slice(0, half), folder / "part-0.parquet")
    pq.write_table(table.slice(half), folder / "part-1.parquet")
    return folder


def test_tables_are_replaced_whole_and_sorted(tmp_path: Path) -> None:
    store = DuckDBWarehouse("serving", tmp_path / "serving.duckdb")
    bars = pa.table(
        {
            "ticker": ["MSFT", "AAPL", "MSFT", "AAPL"],
            "ts": pa.array([2, 2, 1, 1], pa.int64()),
            "close": [4.0, 2.0, 3.0, 1.0],
        }
    )
    stats = pa.table({"ticker": ["AAPL"], "n": pa.array([7], pa.int64())})
    folders = {
        "gold.bars": _folder(tmp_path, "a", bars),
        "gold.stats": _folder(tmp_path, "b", stats),
    }
    store.replace_tables(folders, {"gold.bars": ("ticker", "ts")})
    with duckdb.connect(str(store.path)) as con:
        got = con.execute("SELECT ticker, ts, close FROM gold.bars").fetchall()
        assert got == [("AAPL", 1, 1.0), ("AAPL", 2, 2.0), ("MSFT", 1, 3.0), ("MSFT", 2, 4.0)]
        assert con.execute("SELECT * FROM gold.stats").fetchall() == [("AAPL", 7)]

    # A second publish whose second table cannot be read changes neither table.
    fewer = _folder(tmp_path, "c", bars.slice(0, 2))
    broken = tmp_path / "d"
    broken.mkdir()
    (broken / "part-0.parquet").write_bytes(b"not parquet")
    with pytest.raises(duckdb.Error):
        store.replace_tables({"gold.bars": fewer, "gold.stats": broken}, {})
    with duckdb.connect(str(store.path)) as con:
        assert con.execute("SELECT COUNT(*) FROM gold.bars").fetchone() == (4,)
        assert con.execute("SELECT COUNT(*) FROM gold.stats").fetchone() == (1,)
