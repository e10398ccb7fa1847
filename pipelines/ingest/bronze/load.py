"""Bronze: merge every committed raw landing that bronze has not seen into the warehouse.

A dlt pipeline upserts bronze.bars and bronze.corporate_actions on their keys and records each
landing in bronze.raw_loads in the same load package, so a killed load is finished (or redone,
idempotently) by the next run. Bars arrive as Arrow tables in pages, never as row dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial

import dlt
import pyarrow as pa

from pipelines.analytics.bar_rules import ACTION_VALUES, BAR_VALUES
from pipelines.config import Project
from pipelines.config.constants import (
    ACTION_VERSIONS_TABLE,
    ACTIONS_TABLE,
    BAR_VERSIONS_TABLE,
    BARS_TABLE,
    BRONZE_DATASET,
    CONFLICTS_TABLE,
    RAW_LOADS_TABLE,
)
from pipelines.ingest.bronze.dedupe import latest_per_key, split_conflicts
from pipelines.ingest.bronze.lake import record_landings
from pipelines.ingest.bronze.landings import BronzeResult, raw_loads_table
from pipelines.ingest.bronze.pipeline import bronze_pipeline, finish_pending
from pipelines.ingest.bronze.schemas import (
    BRONZE_ACTIONS_SCHEMA,
    BRONZE_BARS_SCHEMA,
    CONFLICT_KEY,
    CONFLICTS_SCHEMA,
)
from pipelines.ingest.bronze.state import (
    held_rows,
    loaded_load_ids,
    pending_manifests,
)
from pipelines.ingest.bronze.versions import new_versions
from pipelines.ingest.raw_store import Manifest, RawStore
from pipelines.ingest.sources.schema import ACTION_KEY, BAR_KEY
from pipelines.warehouse.engines import Warehouse

PAGE_ROWS = 500_000
# Per landed table: its history table and what makes two copies one version.
HISTORY = {
    "bars": (BAR_VERSIONS_TABLE, BAR_VALUES),
    "corporate_actions": (ACTION_VERSIONS_TABLE, ACTION_VALUES),
}
Held = Callable[[str, pa.Table, pa.Schema], pa.Table]


def _pages(
    store: RawStore,
    manifests: Sequence[Manifest],
    table: str,
    key: Sequence[str],
    schema: pa.Schema,
    held: Held,
) -> Iterator[pa.Table]:
    """Every landed file of `table` with its landing's load id, one row per key (the one landed
    last), in pages of about PAGE_ROWS. All files of a ticker go in the same page, so
    de-duplicating page by page is exact and memory stays bounded by the page. Bars a landing
    carried twice with different values go to CONFLICTS_TABLE instead (split_conflicts). The
    page's new versions of a key go to the table's history (versions.py), compared with what
    bronze holds (`held`: the rows bronze holds now of the page's tickers)."""
    history, values = HISTORY[table]
    split = split_conflicts if table == "bars" else lambda *a: (latest_per_key(*a), None)
    by_ticker: dict[str, list[tuple[str, str]]] = {}
    for manifest in manifests:  # landing order
        for landed in manifest.files:
            if landed.table == table:
                by_ticker.setdefault(landed.ticker, []).append((manifest.load_id, landed.path))
    if table == "bars":
        # Always (also empty), so the table exists for silver.quarantine from the first run.
        yield dlt.mark.with_table_name(CONFLICTS_SCHEMA.empty_table(), CONFLICTS_TABLE)
    yield dlt.mark.with_table_name(schema.empty_table(), history)  # likewise for silver
    if not by_ticker:
        # An empty page still creates the table, so silver can always read it (a landing of
        # 1-minute bars, say, has no corporate actions).
        yield schema.empty_table()
        return
    page: list[pa.Table] = []
    rows = 0
    for position, files in enumerate(by_ticker.values(), start=1):
        for load_id, path in files:
            part = store.read_parquet(path)
            part = part.append_column("load_id", pa.array([load_id] * part.num_rows, pa.string()))
            page.append(part.select(schema.names).cast(schema))
            rows += part.num_rows
        if rows >= PAGE_ROWS or position == len(by_ticker):
            landed = pa.concat_tables(page)
            good, conflicts = split(landed, key, schema)
            yield good
            if conflicts is not None and conflicts.num_rows:
                yield dlt.mark.with_table_name(conflicts, CONFLICTS_TABLE)
            versions = new_versions(landed, held(table, landed, schema), key, values, conflicts)
            yield dlt.mark.with_table_name(versions, history)
            page, rows = [], 0


@dlt.source(name="raw_store")
def raw_store_source(store: RawStore, manifests: Sequence[Manifest], held: Held) -> Sequence:
    """The landings in `manifests`, as bronze tables and their history (`held`: bronze's
    current rows of a page's tickers)."""

    @dlt.resource(
        name=BARS_TABLE,
        primary_key=BAR_KEY,
        write_disposition={"disposition": "merge", "strategy": "upsert"},
    )
    def bars() -> Iterator[pa.Table]:
        yield from _pages(store, manifests, "bars", BAR_KEY, BRONZE_BARS_SCHEMA, held)

    @dlt.resource(
        name=ACTIONS_TABLE,
        primary_key=ACTION_KEY,
        write_disposition={"disposition": "merge", "strategy": "upsert"},
    )
    def corporate_actions() -> Iterator[pa.Table]:
        yield from _pages(
            store, manifests, "corporate_actions", ACTION_KEY, BRONZE_ACTIONS_SCHEMA, held
        )

    @dlt.resource(
        name=RAW_LOADS_TABLE,
        primary_key="load_id",
        write_disposition={"disposition": "merge", "strategy": "upsert"},
    )
    def raw_loads() -> Iterator[pa.Table]:
        yield raw_loads_table(manifests)

    bar_pages, action_pages = bars(), corporate_actions()
    # The conflicts and the history come out of the same pass over the files; their own keys
    # keep every distinct version (and make a redone load job idempotent).
    upsert = {"disposition": "merge", "strategy": "upsert"}
    variants = (
        (bar_pages, CONFLICTS_TABLE, CONFLICT_KEY),
        (bar_pages, BAR_VERSIONS_TABLE, (*BAR_KEY, "load_id")),
        (action_pages, ACTION_VERSIONS_TABLE, (*ACTION_KEY, "load_id")),
    )
    for resource, name, primary_key in variants:
        resource.apply_hints(
            table_name=name,
            primary_key=list(primary_key),
            write_disposition=upsert,
            create_table_variant=True,
        )
    return bar_pages, action_pages, raw_loads()


def load_bronze(
    project: Project,
    store: RawStore,
    status: Callable[[str], None] | None = None,
) -> BronzeResult:
    """Merge every committed landing that bronze has not loaded yet (where models/bronze/ build
    bronze from the raw store, record them: lake.py)."""
    warehouse = Warehouse.of(project)
    if warehouse.bronze_from_raw_store:
        return record_landings(project, warehouse, store, status)
    pipeline = bronze_pipeline(project)
    finish_pending(pipeline)
    loaded = loaded_load_ids(pipeline)
    # A bronze from before the history tables: every landing again, in order, compared with
    # nothing held, builds them from the raw store (and restates silver and gold once).
    rebuild = bool(loaded) and not warehouse.table_exists(f"{BRONZE_DATASET}.{BAR_VERSIONS_TABLE}")
    manifests = pending_manifests(store, set() if rebuild else loaded)
    result = BronzeResult(manifests=manifests)
    if not manifests:
        return result
    if status:
        why = " (building bronze's history from the raw store)" if rebuild else ""
        status(f"merging {len(manifests)} landing(s) into bronze{why}")
    held = _held_nothing if rebuild else partial(held_rows, pipeline)
    info = pipeline.run(raw_store_source(store, manifests, held))
    info.raise_on_failed_jobs()
    if warehouse.needs_indexes:
        _create_indexes(pipeline)
    counts = pipeline.last_trace.last_normalize_info.row_counts
    result.bars = counts.get(BARS_TABLE, 0)
    result.corporate_actions = counts.get(ACTIONS_TABLE, 0)
    return result


def _held_nothing(table: str, landed: pa.Table, schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


# What dlt's merge (it joins on the key) and silver's incremental reads (a ts range) need on an
# engine that needs indexes (PostgreSQL; DuckDB prunes with zone maps instead).
INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS bars_key ON {bars} (ticker, interval, ts)",
    "CREATE INDEX IF NOT EXISTS bars_ts ON {bars} (ts)",
    "CREATE UNIQUE INDEX IF NOT EXISTS actions_key ON {actions} (ticker, ex_date, action)",
)


def _create_indexes(pipeline: dlt.Pipeline) -> None:
    with pipeline.sql_client() as client:
        names = {
            "bars": client.make_qualified_table_name(BARS_TABLE),
            "actions": client.make_qualified_table_name(ACTIONS_TABLE),
        }
        for statement in INDEXES:
            client.execute_sql(statement.format(**names))
