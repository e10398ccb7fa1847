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
    ACTION_KEY,
    ACTION_VERSIONS_TABLE,
    ACTIONS_TABLE,
    BAR_KEY,
    BAR_VERSIONS_TABLE,
    BARS_TABLE,
    BRONZE_DATASET,
    CONFLICTS_TABLE,
    RAW_LOADS_TABLE,
    SECONDARY_BARS_TABLE,
    SECONDARY_KEY,
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
from pipelines.warehouse.engines import Warehouse

PAGE_ROWS = 500_000
# Per landed table: its history table and what makes two copies one version.
HISTORY = {
    "bars": (BAR_VERSIONS_TABLE, BAR_VALUES),
    "corporate_actions": (ACTION_VERSIONS_TABLE, ACTION_VALUES),
}
Held = Callable[[str, pa.Table, pa.Schema], pa.Table]


def _landed(
    store: RawStore, manifests: Sequence[Manifest], table: str, schema: pa.Schema
) -> Iterator[pa.Table]:
    """Every landed file of raw `table` with its landing's load id, in pages of about
    PAGE_ROWS rows in landing order. All files of a ticker go in the same page, so
    de-duplicating page by page is exact and memory stays bounded by the page."""
    by_ticker: dict[str, list[tuple[str, str]]] = {}
    for manifest in manifests:  # landing order
        for landed in manifest.files:
            if landed.table == table:
                by_ticker.setdefault(landed.ticker, []).append((manifest.load_id, landed.path))
    page: list[pa.Table] = []
    rows = 0
    for position, files in enumerate(by_ticker.values(), start=1):
        for load_id, path in files:
            part = store.read_parquet(path)
            part = part.append_column("load_id", pa.array([load_id] * part.num_rows, pa.string()))
            page.append(part.select(schema.names).cast(schema))
            rows += part.num_rows
        if rows >= PAGE_ROWS or position == len(by_ticker):
            yield pa.concat_tables(page)
            page, rows = [], 0


def _pages(
    store: RawStore,
    manifests: Sequence[Manifest],
    table: str,
    key: Sequence[str],
    schema: pa.Schema,
    held: Held,
) -> Iterator[pa.Table]:
    """Every landed file of `table`, one row per key (the one landed last), in pages
    (_landed). Bars a landing carried twice with different values go to CONFLICTS_TABLE
    instead (split_conflicts). The page's new versions of a key go to the table's history
    (versions.py), compared with what bronze holds (`held`: the rows bronze holds now of the
    page's tickers)."""
    history, values = HISTORY[table]
    split = split_conflicts if table == "bars" else lambda *a: (latest_per_key(*a), None)
    if table == "bars":
        # Always (also empty), so the table exists for silver.quarantine from the first run.
        yield dlt.mark.with_table_name(CONFLICTS_SCHEMA.empty_table(), CONFLICTS_TABLE)
    yield dlt.mark.with_table_name(schema.empty_table(), history)  # likewise for silver
    # An empty page first: it creates the table, so silver can always read it (a landing of
    # 1-minute bars, say, has no corporate actions).
    yield schema.empty_table()
    for landed in _landed(store, manifests, table, schema):
        good, conflicts = split(landed, key, schema)
        yield good
        if conflicts is not None and conflicts.num_rows:
            yield dlt.mark.with_table_name(conflicts, CONFLICTS_TABLE)
        versions = new_versions(landed, held(table, landed, schema), key, values, conflicts)
        yield dlt.mark.with_table_name(versions, history)


def _secondary_pages(store: RawStore, manifests: Sequence[Manifest], held: Held) -> Iterator:
    """The bars secondary providers sent (reconciliation): every version of each bar of each
    provider, compared with the versions bronze holds; a landing that carried a bar twice with
    different values adds no version of it (there is nothing to compare it by)."""
    schema = BRONZE_BARS_SCHEMA
    yield schema.empty_table()  # the table exists for silver.reconciliation from the first run
    for landed in _landed(store, manifests, SECONDARY_BARS_TABLE, schema):
        _, conflicts = split_conflicts(landed, SECONDARY_KEY, schema)
        previous = held(SECONDARY_BARS_TABLE, landed, schema)
        yield new_versions(landed, previous, SECONDARY_KEY, BAR_VALUES, conflicts)


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
        name=SECONDARY_BARS_TABLE,
        primary_key=(*SECONDARY_KEY, "load_id"),
        write_disposition={"disposition": "merge", "strategy": "upsert"},
    )
    def secondary_bars() -> Iterator[pa.Table]:
        yield from _secondary_pages(store, manifests, held)

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
    return bar_pages, action_pages, secondary_bars(), raw_loads()


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
    # A bronze from before bronze.secondary_bars gets it (empty) even in a run with nothing new.
    added = bool(loaded) and not warehouse.table_exists(f"{BRONZE_DATASET}.{SECONDARY_BARS_TABLE}")
    if not manifests and not added:
        return result
    if status and manifests:
        why = " (building bronze's history from the raw store)" if rebuild else ""
        status(f"merging {len(manifests)} landing(s) into bronze{why}")
    elif status:
        status(f"creating bronze.{SECONDARY_BARS_TABLE}")
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
    # The as-of reads (pipelines/transform/as_of.py) and silver.reconciliation pick a ticker's
    # versions.
    "CREATE INDEX IF NOT EXISTS bar_versions_key ON {bar_versions} (ticker, interval, ts)",
    "CREATE INDEX IF NOT EXISTS secondary_bars_key ON {secondary_bars} (ticker, interval, ts)",
)


def _create_indexes(pipeline: dlt.Pipeline) -> None:
    with pipeline.sql_client() as client:
        names = {
            "bars": client.make_qualified_table_name(BARS_TABLE),
            "actions": client.make_qualified_table_name(ACTIONS_TABLE),
            "bar_versions": client.make_qualified_table_name(BAR_VERSIONS_TABLE),
            "secondary_bars": client.make_qualified_table_name(SECONDARY_BARS_TABLE),
        }
        for statement in INDEXES:
            client.execute_sql(statement.format(**names))
