"""`marketflow export` on the demo warehouse, both backends: Hive-partitioned Parquet and CSV
that pyarrow and DuckDB read back equal to the warehouse read directly."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest

from tests.conftest import Project


def test_gold_exports_as_hive_partitioned_parquet(demo_project: Project, tmp_path) -> None:
    out = tmp_path / "out"
    result = demo_project.cli(
        "export", "--tables", "gold.daily_features,silver.bars_daily", "--out", str(out),
        "--tickers", "AAPL,ibm", "--start", "2010-01-01",
    )  # fmt: skip
    assert "gold.daily_features: 2 tickers" in result.stdout
    folder = out / "gold" / "daily_features"
    assert sorted(p.name for p in folder.iterdir()) == ["ticker=AAPL", "ticker=IBM"]
    dataset = ds.dataset(folder, format="parquet", partitioning="hive")
    got = dataset.to_table().to_pandas().sort_values(["ticker", "session_date"])
    expected = demo_project.query(
        "SELECT ticker, session_date, rsi_14, adj_close, vwap_source FROM gold.daily_features "
        "WHERE ticker IN ('AAPL', 'IBM') AND session_date >= '2010-01-01' "
        "ORDER BY ticker, session_date"
    )
    assert len(got) == len(expected) > 1500
    assert got["ticker"].astype(str).tolist() == expected["ticker"].tolist()
    assert (
        pd.to_datetime(got["session_date"]).tolist()
        == pd.to_datetime(expected["session_date"]).tolist()
    )
    assert np.allclose(got["rsi_14"], expected["rsi_14"], rtol=1e-12, equal_nan=True)
    assert got["vwap_source"].tolist() == expected["vwap_source"].tolist()

    # What a BI tool or a notebook does: DuckDB over the folder, partitions as a column.
    bars = duckdb.sql(
        f"SELECT ticker, COUNT(*) AS n, SUM(volume) AS v FROM read_parquet("
        f"'{out}/silver/bars_daily/*/*.parquet', hive_partitioning = true) "
        "GROUP BY ticker ORDER BY ticker"
    ).df()
    direct = demo_project.query(
        "SELECT ticker, COUNT(*) AS n, SUM(volume) AS v FROM silver.bars_daily "
        "WHERE ticker IN ('AAPL', 'IBM') AND session_date >= '2010-01-01' "
        "GROUP BY ticker ORDER BY ticker"
    )
    assert bars["ticker"].tolist() == direct["ticker"].tolist()
    assert bars["n"].tolist() == direct["n"].tolist()
    assert np.allclose(bars["v"], direct["v"], rtol=1e-12)


def test_a_new_export_replaces_the_old_one_whole(demos, tmp_path) -> None:
    # Files and folders only: one backend is enough (CI time).
    demo_project: Project = demos["duckdb"]
    out = tmp_path / "out"
    demo_project.cli("export", "--tables", "gold.latest_prices", "--out", str(out), "--format",
                     "csv")  # fmt: skip
    folder = out / "gold" / "latest_prices"
    assert len(list(folder.iterdir())) == 5
    aapl = pd.read_csv(folder / "ticker=AAPL" / "part-0-0.csv")
    expected = demo_project.query("SELECT close FROM gold.latest_prices WHERE ticker = 'AAPL'")
    assert aapl["close"].tolist() == pytest.approx(expected["close"].tolist(), rel=1e-12)
    demo_project.cli("export", "--tables", "gold.latest_prices", "--out", str(out), "--format",
                     "csv", "--tickers", "MSFT")  # fmt: skip
    assert [p.name for p in folder.iterdir()] == ["ticker=MSFT"]
    assert not [p for p in (out / "gold").iterdir() if p.name.startswith(".")]  # no leftovers


def test_an_unknown_table_is_refused_naming_the_known_ones(demos, tmp_path) -> None:
    demo_project: Project = demos["duckdb"]
    result = demo_project.cli("export", "--tables", "bronze.bars", "--out", str(tmp_path),
                              check=False)  # fmt: skip
    assert result.returncode == 2
    assert "--tables: not a silver or gold table: bronze.bars" in result.stderr
    assert "gold.daily_features" in result.stderr
    assert not list(tmp_path.iterdir())
