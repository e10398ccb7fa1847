"""What bronze already holds: the landings it merged, the input files it has seen, and each
ticker's latest bar (where an incremental run of a web provider starts)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import dlt

from pipelines.config import Project
from pipelines.config.constants import BARS_TABLE, RAW_LOADS_TABLE
from pipelines.ingest.bronze.pipeline import bronze_pipeline, read_or_empty
from pipelines.ingest.raw_store import Manifest, RawStore


def loaded_load_ids(pipeline: dlt.Pipeline) -> set[str]:
    """The landings bronze holds: rows of bronze.raw_loads whose dlt load package completed.
    dlt commits a package's tables one job at a time and records the package in _dlt_loads
    last, so a landing whose package was cut short, and whose package is gone with a wiped
    working folder, is not counted: it is merged again (an idempotent upsert)."""

    def query(client: Any) -> Any:
        table = client.make_qualified_table_name(RAW_LOADS_TABLE)
        loads = client.make_qualified_table_name("_dlt_loads")
        return client.execute_sql(
            f"SELECT load_id FROM {table} WHERE _dlt_load_id IN "
            f"(SELECT load_id FROM {loads} WHERE status = 0)"
        )

    return {r[0] for r in read_or_empty(pipeline, query)}


def pending_manifests(store: RawStore, loaded: set[str]) -> list[Manifest]:
    return [store.read_manifest(i) for i in store.manifest_ids() if i not in loaded]


def origins_seen(project: Project, store: RawStore) -> dict[str, str]:
    """sha256 -> name of every input file already landed, loaded into bronze or not."""
    pipeline = bronze_pipeline(project)
    seen: dict[str, str] = {}

    def query(client: Any) -> Any:
        table = client.make_qualified_table_name(RAW_LOADS_TABLE)
        return client.execute_sql(f"SELECT origins FROM {table}")

    for (origins,) in read_or_empty(pipeline, query):
        seen.update({sha: name for name, sha in json.loads(origins or "{}").items()})
    for manifest in pending_manifests(store, loaded_load_ids(pipeline)):
        seen.update({sha: name for name, sha in manifest.origins.items()})
    return seen


def latest_bar_dates(project: Project, source: str, interval: str) -> dict[str, date]:
    """Session date of each ticker's latest bar in bronze from this source and interval."""
    local = ZoneInfo(project.settings.exchange.timezone)

    def query(client: Any) -> Any:
        table = client.make_qualified_table_name(BARS_TABLE)
        return client.execute_sql(
            f"SELECT ticker, MAX(ts) FROM {table} WHERE interval = %s AND source = %s "
            "GROUP BY ticker",
            interval,
            source,
        )

    rows = read_or_empty(bronze_pipeline(project), query)
    return {ticker: ts.astimezone(local).date() for ticker, ts in rows if ts is not None}
