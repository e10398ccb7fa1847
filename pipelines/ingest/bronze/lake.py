"""Bronze where the warehouse reads the raw store itself (the spark gateway): models/bronze/
keep the committed landings' bars and actions by bronze's rules, so the merge only records
what is committed.

Recording a landing is one append to bronze.raw_loads, whose row is what makes its files
count; a run killed before it leaves the landing pending, to be recorded by the next.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipelines.config import Project
from pipelines.config.constants import BRONZE_DATASET, RAW_LOADS_TABLE, SECONDARY_BARS_TABLE
from pipelines.config.spark import spark_raw_url
from pipelines.ingest.bronze.landings import BronzeResult, raw_loads_table
from pipelines.ingest.bronze.state import merged_load_ids, pending_manifests
from pipelines.ingest.raw_store import RawStore
from pipelines.ingest.sources.schema import ACTION_SCHEMA, BAR_SCHEMA
from pipelines.warehouse.spark_warehouse import SparkWarehouse

# The external tables models/bronze/ read (external_models.yaml, gateway spark), by raw folder.
RAW_FILES = {
    "bars": ("raw_bar_files", BAR_SCHEMA),
    "corporate_actions": ("raw_action_files", ACTION_SCHEMA),
    SECONDARY_BARS_TABLE: ("raw_secondary_bar_files", BAR_SCHEMA),
}


def register_raw_store(project: Project, warehouse: SparkWarehouse) -> None:
    """The raw store's folders of bars and actions as the warehouse's external tables
    (idempotent)."""
    root = spark_raw_url(project.settings.storage.raw_url, project.root).rstrip("/")
    for folder, (table, schema) in RAW_FILES.items():
        if "://" not in root:  # a local store: Spark wants the folder (S3 has none)
            Path(root, folder).mkdir(parents=True, exist_ok=True)
        warehouse.register_raw_files(f"{BRONZE_DATASET}.{table}", f"{root}/{folder}", schema)


def record_landings(
    project: Project,
    warehouse: SparkWarehouse,
    store: RawStore,
    status: Callable[[str], None] | None = None,
) -> BronzeResult:
    """Record every committed landing bronze.raw_loads does not hold yet."""
    register_raw_store(project, warehouse)
    manifests = pending_manifests(store, merged_load_ids(project))
    result = BronzeResult(manifests=manifests)
    if not manifests:
        return result
    if status:
        status(f"recording {len(manifests)} landing(s) for bronze (read from the raw store)")
    warehouse.write_table(
        f"{BRONZE_DATASET}.{RAW_LOADS_TABLE}", raw_loads_table(manifests), "append"
    )
    result.bars = sum(m.rows("bars") for m in manifests)
    result.corporate_actions = sum(m.rows("corporate_actions") for m in manifests)
    return result
