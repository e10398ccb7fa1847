"""The spark gateway's configuration: its paths made the project's, the raw store handed to the
bronze models, bronze's external tables replaced by models/bronze/ on that gateway alone, the
Java check, and the snapshots' pruning on an engine with DELETE (DuckDB, real)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.config import load_project
from pipelines.config.spark import spark_raw_url
from pipelines.quality.checks import physical_tables
from pipelines.warehouse.spark_warehouse import java_major
from pipelines.warehouse.sqlmesh import sqlmesh_context
from tests.conftest import write_config


@pytest.fixture
def project_root(tmp_path: Path) -> Path:
    write_config(tmp_path)
    (tmp_path / "data" / "spark").mkdir(parents=True)
    return tmp_path


def test_the_spark_settings_name_the_project_s_folders(project_root: Path) -> None:
    project = load_project(project_root / "config.yaml", gateway="spark")
    settings = project.gateway_config.connection.config
    assert settings["spark.sql.warehouse.dir"] == str(project_root / "data/spark/warehouse")
    assert settings["spark.hadoop.javax.jdo.option.ConnectionURL"] == (
        f"jdbc:derby:;databaseName={project_root / 'data/spark/metastore'};create=true"
    )
    assert settings["spark.driver.extraJavaOptions"] == (
        f"-Dderby.system.home={project_root / 'data/spark'}"
    )
    assert project.gateway_config.variables["raw_store_url"] == str(project_root / "data/raw")
    assert project.gateway_config.state_connection.database == str(
        project_root / "data/spark/state.duckdb"
    )


def test_the_raw_store_as_spark_names_it(tmp_path: Path) -> None:
    assert spark_raw_url("s3://bucket/prefix/raw", tmp_path) == "s3a://bucket/prefix/raw"
    assert spark_raw_url("data/raw", tmp_path) == str(tmp_path / "data/raw")
    assert spark_raw_url("/abs/raw", tmp_path) == "/abs/raw"


def test_bronze_is_external_except_on_spark(project_root: Path) -> None:
    kinds = {}
    for gateway in ("local", "spark"):
        context = sqlmesh_context(load_project(project_root / "config.yaml", gateway=gateway))
        try:
            kinds[gateway] = {
                ".".join(name.replace('"', "").split(".")[-2:]): model.kind.name.value
                for name, model in context.models.items()
                if '"bronze"' in name
            }
        finally:
            context.close()
    external = {"bars", "corporate_actions", "bar_conflicts", "bar_versions", "action_versions",
                "secondary_bars", "tickers", "raw_loads"}  # fmt: skip
    assert kinds["local"] == {f"bronze.{t}": "EXTERNAL" for t in external}
    assert kinds["spark"] == {
        "bronze.bars": "VIEW",
        "bronze.corporate_actions": "VIEW",
        "bronze.bar_conflicts": "VIEW",
        "bronze.bar_copies": "VIEW",
        "bronze.bar_versions": "VIEW",
        "bronze.action_versions": "VIEW",
        "bronze.secondary_bars": "VIEW",
        "bronze.tickers": "EXTERNAL",
        "bronze.raw_loads": "EXTERNAL",
        "bronze.raw_bar_files": "EXTERNAL",
        "bronze.raw_action_files": "EXTERNAL",
        "bronze.raw_secondary_bar_files": "EXTERNAL",
    }


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.9" 2023-10-17', 17),
        ('java version "1.8.0_392"', 8),
        ('openjdk version "25" 2025-09-16', 25),
        ("no version here", None),
    ],
)
def test_java_versions_are_read_as_spark_needs_them(output: str, major: int | None) -> None:
    assert java_major(output) == major


def test_a_table_behind_views_that_may_be_empty_may_be_empty(project_root) -> None:
    """On Spark bronze's actions are views over the raw action files: a project with no
    corporate actions at all (1-minute bars only) has none, and must not fail for it. The raw
    bar files, behind bronze.bars, must hold rows."""
    context = sqlmesh_context(load_project(project_root / "config.yaml", gateway="spark"))
    try:
        physical = physical_tables(context.models)
    finally:
        context.close()
    assert "may_be_empty" in physical["bronze.raw_action_files"]
    assert "may_be_empty" not in physical["bronze.raw_bar_files"]
