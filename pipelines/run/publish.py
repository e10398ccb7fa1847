"""Publishing the serving copy (pipelines/warehouse/serving.py): at the end of each run on a
warehouse that publishes one (Spark), and on demand (`marketflow publish`)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from pipelines.config import ConfigError, Project
from pipelines.run.runlog import RunRecord
from pipelines.transform.as_of import replay_sources
from pipelines.warehouse.engines import Warehouse
from pipelines.warehouse.serving import Published, publish
from pipelines.warehouse.spark_warehouse import SparkWarehouse
from pipelines.warehouse.sqlmesh import project_models

STAGING = "publish"  # beside the Spark warehouse folder: the Parquet files on their way


def publish_serving(
    project: Project, warehouse: Warehouse, progress: Callable[[str], None] = lambda _: None
) -> Published | None:
    """Publish the warehouse's served tables; None when the warehouse serves itself."""
    if not isinstance(warehouse, SparkWarehouse):
        return None
    staging = warehouse.warehouse_dir.parent / STAGING
    models = project_models(project)
    # The as-of reads replay the models from bronze's versions: served too.
    return publish(warehouse, models, staging, progress, replay_sources(project))


def execute_publish(project: Project, progress: Callable[[str], None]) -> Published:
    """`marketflow publish`: under the run lock (Derby's metastore admits one process, and a
    run publishes at its end anyway)."""
    warehouse = Warehouse.of(project)
    if not warehouse.publishes:
        raise ConfigError(
            f"gateway {project.gateway}: the {warehouse.engine} warehouse is read directly by "
            "the API and the report; there is nothing to publish"
        )
    holder = RunRecord(command="publish", arguments=sys.argv[1:]).holder()
    with warehouse.run_lock(holder, project.settings.run_lock_wait_seconds):
        published = publish_serving(project, warehouse, progress)
    assert published is not None
    return published
