"""The dlt pipeline that writes bronze, what every bronze step does with it first, and the one
way bronze is read (bronze_rows): through dlt's client, or Spark's where models/bronze/ builds
bronze from the raw store."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import dlt
from dlt.common.runtime.collector import NullCollector

from pipelines.checkpoints import checkpoint
from pipelines.config import Project
from pipelines.config.constants import (
    ACTIONS_TABLE,
    BARS_TABLE,
    BRONZE_DATASET,
    RAW_LOADS_TABLE,
    TICKERS_TABLE,
)
from pipelines.warehouse.engines import Warehouse


class _LoadJobs(NullCollector):
    """dlt progress hook: a crash point after each completed load job."""

    def update(self, name: str, inc: int = 1, *args: object, **kwargs: object) -> None:
        if name == "Jobs" and inc and inc > 0:
            checkpoint("bronze.job")


def bronze_pipeline(project: Project) -> dlt.Pipeline:
    # dlt adds its own _dlt_load_id to Arrow rows only when asked.
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    return dlt.pipeline(
        pipeline_name=f"marketflow_bronze_{project.gateway}",
        destination=Warehouse.of(project).dlt_destination(),
        dataset_name=BRONZE_DATASET,
        pipelines_dir=str(project.pipelines_dir),
        progress=_LoadJobs(),
    )


def finish_pending(pipeline: dlt.Pipeline) -> None:
    """Complete a load that a killed run left behind, before deciding what is new."""
    if pipeline.has_pending_data:
        pipeline.normalize()
        pipeline.load()


def is_missing_table(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(s in text for s in ("does not exist", "not found", "undefined", "no such table"))


def read_or_empty(pipeline: dlt.Pipeline, query: Callable[[Any], Any]) -> list:
    """query(sql_client) or [] when the table it reads does not exist yet (before the first
    load)."""
    try:
        with pipeline.sql_client() as client:
            return list(query(client) or [])
    except Exception as exc:
        if is_missing_table(exc):
            return []
        raise


# What a query over bronze may name: {bars}, {actions}, {raw_loads}, {tickers}.
TABLES = {
    "bars": BARS_TABLE,
    "actions": ACTIONS_TABLE,
    "raw_loads": RAW_LOADS_TABLE,
    "tickers": TICKERS_TABLE,
}


def bronze_rows(project: Project, template: str, *params: Any) -> list:
    """The rows of a query over bronze tables (`template` names them as {bars}, ...; `%s`
    marks a parameter), or [] while a table it reads does not exist yet."""
    warehouse = Warehouse.of(project)
    if warehouse.bronze_from_raw_store:
        sql = template.format(**{k: f"{BRONZE_DATASET}.{v}" for k, v in TABLES.items()})
        try:
            return warehouse.fetch(sql.replace("%s", "?"), params)[1]
        except Exception as exc:  # Spark's AnalysisException names a missing table
            if is_missing_table(exc) or "TABLE_OR_VIEW_NOT_FOUND" in str(exc):
                return []
            raise

    def query(client: Any) -> Any:
        names = {k: client.make_qualified_table_name(v) for k, v in TABLES.items()}
        return client.execute_sql(template.format(**names), *params)

    return read_or_empty(bronze_pipeline(project), query)
