"""What bronze already holds: the landings it merged, the input files it has seen, and each
ticker's latest bar (where an incremental run of a web provider starts)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.config import Project
from pipelines.config.constants import RAW_LOADS_TABLE
from pipelines.ingest.bronze.pipeline import (
    bronze_pipeline,
    bronze_rows,
    read_or_empty,
)
from pipelines.ingest.raw_store import Manifest, RawStore
from pipelines.warehouse.engines import Warehouse


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
    seen: dict[str, str] = {}
    for (origins,) in bronze_rows(project, "SELECT origins FROM {raw_loads}"):
        seen.update({sha: name for name, sha in json.loads(origins or "{}").items()})
    for manifest in pending_manifests(store, merged_load_ids(project)):
        seen.update({sha: name for name, sha in manifest.origins.items()})
    return seen


def merged_load_ids(project: Project) -> set[str]:
    """The landings bronze holds (loaded_load_ids; on Spark, the rows of bronze.raw_loads,
    which are written in one statement)."""
    if Warehouse.of(project).bronze_from_raw_store:
        return {r[0] for r in bronze_rows(project, "SELECT load_id FROM {raw_loads}")}
    return loaded_load_ids(bronze_pipeline(project))


def latest_bar_dates(project: Project, source: str, interval: str) -> dict[str, date]:
    """Session date of each ticker's latest bar in bronze from this source and interval."""
    local = ZoneInfo(project.settings.exchange.timezone)
    rows = bronze_rows(
        project,
        "SELECT ticker, MAX(ts) FROM {bars} WHERE interval = %s AND source = %s GROUP BY ticker",
        interval,
        source,
    )
    return {ticker: _utc(ts).astimezone(local).date() for ticker, ts in rows if ts is not None}


def _utc(ts: datetime) -> datetime:
    """A timestamp as UTC: Spark hands back naive datetimes in its session's zone, UTC."""
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def held_rows(pipeline: dlt.Pipeline, table: str, landed: pa.Table, schema: pa.Schema) -> pa.Table:
    """The rows bronze's `table` (bars or corporate_actions) holds now of the tickers in
    `landed` (bars: within its first and last timestamp), in `schema` (none before the first
    load): what a landing's versions are compared with. Read through the loading pipeline's
    own client, page by page, so memory stays bounded by a page."""
    tickers = pc.unique(landed["ticker"]).to_pylist()
    names = ", ".join(f'"{c}"' for c in schema.names)
    where = "ticker IN (" + ", ".join("'" + t.replace("'", "''") + "'" for t in tickers) + ")"
    params: list[Any] = []
    if "ts" in schema.names:
        first, last = pc.min_max(landed["ts"]).values()
        where += " AND ts >= %s AND ts <= %s"
        params = [first.as_py(), last.as_py()]

    def query(client: Any) -> Any:
        name = client.make_qualified_table_name(table)
        return client.execute_sql(f"SELECT {names} FROM {name} WHERE {where}", *params)

    rows = read_or_empty(pipeline, query)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema.names]
    arrays = [pa.array(list(c), f.type) for c, f in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)
