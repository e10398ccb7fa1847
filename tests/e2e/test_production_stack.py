"""PostgreSQL + S3 (SeaweedFS): the same pipeline on real servers, its raw layout, the reader
role, clear failures when a service is missing (crash safety: test_faults.py)."""

from __future__ import annotations

import re

import duckdb
import psycopg
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import s3fs

from pipelines.config import load_project
from pipelines.ingest import demo_data as demo
from pipelines.ingest.bronze.universe import load_universe
from tests.conftest import AS_OF, Project, make_project

DEMO_BARS = 12_154
RAW_FILE = re.compile(
    r"^(?P<table>bars/interval=1[dm]|corporate_actions)/source=files/ticker=(?P<ticker>[A-Z]+)/"
    r"ingest_date=\d{4}-\d{2}-\d{2}/\d{8}T\d{12}Z-[0-9a-f]{8}-\d{5}\.parquet$"
)


def s3(project: Project) -> tuple[s3fs.S3FileSystem, str]:
    e = project.env
    fs = s3fs.S3FileSystem(
        key=e["RAW_STORE__CREDENTIALS__AWS_ACCESS_KEY_ID"],
        secret=e["RAW_STORE__CREDENTIALS__AWS_SECRET_ACCESS_KEY"],
        client_kwargs={"endpoint_url": e["RAW_STORE__CREDENTIALS__ENDPOINT_URL"]},
    )
    return fs, e["MARKETFLOW_RAW_URL"].removeprefix("s3://")


def test_raw_objects_in_s3_are_partitioned_and_readable_with_pyarrow(demos) -> None:
    project = demos["postgres"]
    fs, root = s3(project)
    keys = [k.removeprefix(root + "/") for k in fs.find(root)]
    parquet = [k for k in keys if k.endswith(".parquet")]
    assert all(RAW_FILE.match(k) for k in parquet), parquet
    assert {RAW_FILE.match(k)["ticker"] for k in parquet if k.startswith("bars/")} == {
        "AAPL",
        "FB",
        "GOOG",
        "IBM",
        "MSFT",
    }
    assert len([k for k in keys if k.startswith("_manifests/")]) == 2  # daily, 1-minute
    # Every file reads back on its own, and the whole tree as one Hive-partitioned dataset.
    rows = sum(
        pq.read_table(f"{root}/{k}", filesystem=fs).num_rows
        for k in parquet
        if k.startswith("bars/interval=1d/")
    )
    assert rows == DEMO_BARS
    dataset = ds.dataset(f"{root}/bars", filesystem=fs, format="parquet", partitioning="hive")
    table = dataset.to_table(columns=["ticker", "close"], filter=ds.field("interval") == "1d")
    assert table.num_rows == DEMO_BARS


def test_reader_role_can_read_and_do_nothing_else(demos) -> None:
    project = demos["postgres"]
    with psycopg.connect(project.pg_dsn("reader"), autocommit=True) as conn:
        assert conn.execute("SELECT COUNT(*) FROM gold.daily_features").fetchone()[0] == DEMO_BARS
        assert conn.execute("SELECT COUNT(*) FROM silver.bars_daily").fetchone()[0] == DEMO_BARS
        # Bronze's versions: what the as-of reads replay.
        versions = "SELECT COUNT(*) FROM bronze.bar_versions WHERE interval = '1d'"
        assert conn.execute(versions).fetchone()[0] == DEMO_BARS
        refused = [
            "INSERT INTO bronze.bars (ticker) VALUES ('X')",
            "DELETE FROM bronze.bar_versions",
            "INSERT INTO silver.bars_daily_clean (ticker, session_date) VALUES ('X', '2020-01-02')",
            "UPDATE silver.bars_daily_clean SET close = 0",
            "DELETE FROM silver.bars_daily_clean",
            "DELETE FROM gold.features_windowed",
            "CREATE TABLE gold.mine (x int)",
            "CREATE TABLE silver.mine (x int)",
            "CREATE TABLE public.mine (x int)",
            "CREATE SCHEMA mine",
            "DROP VIEW gold.daily_features",
        ]
        for statement in refused:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    assert project.scalar("SELECT COUNT(*) FROM silver.bars_daily_clean") == DEMO_BARS


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"MARKETFLOW_PG_PORT": "1"}, "at 127.0.0.1:1 (database"),
        ({"MARKETFLOW_PG_PASSWORD": "wrong-password"}, "password authentication failed"),
        ({"MARKETFLOW_PG_DATABASE": "nowhere"}, 'database "nowhere" does not exist'),
        (
            {"RAW_STORE__CREDENTIALS__ENDPOINT_URL": "http://127.0.0.1:9"},
            "S3 endpoint http://127.0.0.1:9 is unreachable",
        ),
        (
            {"MARKETFLOW_RAW_URL": "s3://no-such-bucket/raw"},
            "bucket 'no-such-bucket' does not exist",
        ),
        (
            {"RAW_STORE__CREDENTIALS__AWS_SECRET_ACCESS_KEY": "wrong-secret"},
            "refused access to bucket 'marketflow-test'",
        ),
    ],
)
def test_unreachable_services_fail_clearly_and_write_nothing(
    new_project, env: dict[str, str], expected: str
) -> None:
    project = new_project("postgres")
    demo.stage(project.drop)
    result = project.cli("run", "--as-of", AS_OF, check=False, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stderr
    for secret in (
        project.env["MARKETFLOW_PG_PASSWORD"],
        "wrong-password",
        "wrong-secret",
        project.env["RAW_STORE__CREDENTIALS__AWS_SECRET_ACCESS_KEY"],
    ):
        assert secret not in result.stdout + result.stderr
    # Nothing was written: no raw objects, no bronze.
    fs, root = s3(project)
    assert not fs.exists(root) or not [k for k in fs.find(root) if "/.probe" not in k]
    assert (
        project.scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'bronze'"
        )
        == 0
    )


def test_a_redone_universe_load_is_rewritten_not_kept_twice(tmp_path) -> None:
    """dlt appends when it redoes a load job that a kill interrupted after its rows were
    committed; the next run must notice the doubled universe and rewrite it."""
    project = make_project(tmp_path)
    settings = load_project(project.config)
    assert load_universe(settings) is not None
    assert load_universe(settings) is None  # unchanged universe: not written again
    with duckdb.connect(str(project.warehouse)) as con:
        con.execute("INSERT INTO bronze.tickers SELECT * FROM bronze.tickers")  # the redo
    assert load_universe(settings) is not None
    counts = project.query("SELECT COUNT(*) AS n, COUNT(DISTINCT ticker) AS k FROM bronze.tickers")
    assert counts.iloc[0].tolist() == [5, 5]
