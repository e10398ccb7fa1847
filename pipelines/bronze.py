"""Bronze: merge every committed raw landing that bronze has not seen into the warehouse.

A dlt pipeline upserts bronze.bars and bronze.corporate_actions on their keys and records each
landing in bronze.raw_loads in the same load package, so a killed load is finished (or redone,
idempotently) by the next run. Bars arrive as Arrow tables in pages, never as row dicts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import dlt
import duckdb
import pyarrow as pa
from dlt.common.configuration.specs import ConnectionStringCredentials
from dlt.common.runtime.collector import NullCollector

from pipelines.config import Project
from pipelines.faults import checkpoint
from pipelines.raw_store import Manifest, RawStore
from pipelines.settings import (
    ACTIONS_TABLE,
    BARS_TABLE,
    BRONZE_DATASET,
    CONFLICTS_TABLE,
    RAW_LOADS_TABLE,
    TICKERS_TABLE,
)
from pipelines.sources import ACTION_KEY, ACTION_SCHEMA, BAR_KEY, BAR_SCHEMA

PAGE_ROWS = 500_000

BRONZE_BARS_SCHEMA = BAR_SCHEMA.append(pa.field("load_id", pa.string(), nullable=False))
# A conflict row: one distinct version of a key that a single landing carried more than once.
CONFLICTS_SCHEMA = BRONZE_BARS_SCHEMA.append(pa.field("value_hash", pa.string(), nullable=False))
CONFLICT_KEY = ("load_id", *BAR_KEY, "value_hash")
BRONZE_ACTIONS_SCHEMA = ACTION_SCHEMA.append(pa.field("load_id", pa.string(), nullable=False))
RAW_LOADS_SCHEMA = pa.schema(
    [
        pa.field("load_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("interval", pa.string(), nullable=False),
        pa.field("landed_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("loaded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("bars", pa.int64(), nullable=False),
        pa.field("corporate_actions", pa.int64(), nullable=False),
        pa.field("first_date", pa.date32()),  # earliest session or ex-date in the landing
        pa.field("last_date", pa.date32()),
        pa.field("origins", pa.string()),  # JSON {file name: sha256} for the files provider
        pa.field("transformed_at", pa.timestamp("us", tz="UTC")),  # set once silver/gold have it
    ]
)


@dataclass
class BronzeResult:
    manifests: list[Manifest] = field(default_factory=list)
    bars: int = 0
    corporate_actions: int = 0

    @property
    def first_date(self) -> date | None:
        dates = [m.first_date() for m in self.manifests if m.first_date()]
        return date.fromisoformat(min(dates)) if dates else None


def destination(project: Project) -> dlt.common.destination.Destination:
    wh = project.warehouse
    if wh.engine == "duckdb":
        assert wh.duckdb_path is not None
        wh.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        return dlt.destinations.duckdb(credentials=str(wh.duckdb_path))
    credentials = ConnectionStringCredentials()
    credentials.drivername = "postgresql"
    credentials.host, credentials.port = wh.host, wh.port
    credentials.username, credentials.password = wh.user, wh.password
    credentials.database = wh.database
    return dlt.destinations.postgres(credentials=credentials)


class _LoadJobs(NullCollector):
    """dlt progress hook: a crash point after each completed load job."""

    def update(self, name: str, inc: int = 1, *args: object, **kwargs: object) -> None:
        if name == "Jobs" and inc and inc > 0:
            checkpoint("bronze.job")


def bronze_pipeline(project: Project) -> dlt.Pipeline:
    # dlt adds its own _dlt_load_id to Arrow rows only when asked (notes/dlt.md).
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    return dlt.pipeline(
        pipeline_name=f"marketflow_bronze_{project.gateway}",
        destination=destination(project),
        dataset_name=BRONZE_DATASET,
        pipelines_dir=str(project.pipelines_dir),
        progress=_LoadJobs(),
    )


def finish_pending(pipeline: dlt.Pipeline) -> None:
    """Complete a load that a killed run left behind, before deciding what is new."""
    if pipeline.has_pending_data:
        pipeline.normalize()
        pipeline.load()


def loaded_load_ids(pipeline: dlt.Pipeline) -> set[str]:
    try:
        with pipeline.sql_client() as client:
            table = client.make_qualified_table_name(RAW_LOADS_TABLE)
            rows = client.execute_sql(f"SELECT load_id FROM {table}")
    except Exception as exc:  # the table does not exist before the first load
        if _is_missing_table(exc):
            return set()
        raise
    return {r[0] for r in rows or []}


def _is_missing_table(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(s in text for s in ("does not exist", "not found", "undefined", "no such table"))


def pending_manifests(store: RawStore, loaded: set[str]) -> list[Manifest]:
    return [store.read_manifest(i) for i in store.manifest_ids() if i not in loaded]


# What makes two copies of a bar the same bar (fetched_at and load_id may differ freely).
BAR_VALUES = (
    "open",
    "high",
    "low",
    "close",
    "volume",
    "provider_adj_close",
    "price_basis",
    "source",
)


def latest_per_key(table: pa.Table, key: Sequence[str], schema: pa.Schema) -> pa.Table:
    """One row per key: the one landed last (rows are in landing order)."""
    return _dedupe(table, key, schema, values=None)[0]


def split_conflicts(
    table: pa.Table, key: Sequence[str], schema: pa.Schema
) -> tuple[pa.Table, pa.Table]:
    """(one row per key, the one landed last; the conflicts). A landing that carries a key
    twice with different values does not say which is right: all its copies of that key go to
    the conflicts (one row per distinct version, for silver.quarantine) and none to bronze, so
    an earlier landing's value, if any, stands. Identical copies are simply one bar."""
    return _dedupe(table, key, schema, values=BAR_VALUES)


def _dedupe(
    table: pa.Table, key: Sequence[str], schema: pa.Schema, values: Sequence[str] | None
) -> tuple[pa.Table, pa.Table]:
    if table.num_rows == 0:
        return table, CONFLICTS_SCHEMA.empty_table()
    keys = ", ".join(f'"{k}"' for k in key)
    if values:
        # md5 of the values as text: NULL and NaN get their own spellings, so they compare.
        text = ", ".join(f"COALESCE(CAST(\"{v}\" AS VARCHAR), '<null>')" for v in values)
        value_hash = f"md5(concat_ws('|', {text}))"
    else:
        value_hash = "''"
    con = duckdb.connect()
    try:
        con.register("landed", table.append_column("__row", pa.array(range(table.num_rows))))
        con.execute(
            f"CREATE TEMP TABLE marked AS SELECT *, {value_hash} AS value_hash, "
            f"min({value_hash}) OVER copies <> max({value_hash}) OVER copies AS conflicting "
            f"FROM landed WINDOW copies AS (PARTITION BY {keys}, load_id)"
        )
        good = (
            con.sql(
                "SELECT * EXCLUDE (__row, value_hash, conflicting) FROM marked "
                "WHERE NOT conflicting "
                f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY __row DESC) = 1 "
                f"ORDER BY {keys}"
            )
            .arrow()
            .read_all()
        )
        conflicts = (
            con.sql(
                "SELECT * EXCLUDE (__row, conflicting) FROM marked WHERE conflicting "
                f"QUALIFY row_number() OVER (PARTITION BY {keys}, load_id, value_hash "
                f"ORDER BY __row) = 1 ORDER BY {keys}, load_id, value_hash"
            )
            .arrow()
            .read_all()
        )
    finally:
        con.close()
    if conflicts.num_rows == 0:
        return good.cast(schema), CONFLICTS_SCHEMA.empty_table()
    return good.cast(schema), conflicts.select(CONFLICTS_SCHEMA.names).cast(CONFLICTS_SCHEMA)


def _pages(
    store: RawStore,
    manifests: Sequence[Manifest],
    table: str,
    key: Sequence[str],
    schema: pa.Schema,
) -> Iterator[pa.Table]:
    """Every landed file of `table` with its landing's load id, one row per key (the one landed
    last), in pages of about PAGE_ROWS. All files of a ticker go in the same page, so
    de-duplicating page by page is exact and memory stays bounded by the page. Bars a landing
    carried twice with different values go to CONFLICTS_TABLE instead (split_conflicts)."""
    split = split_conflicts if table == "bars" else lambda *a: (latest_per_key(*a), None)
    by_ticker: dict[str, list[tuple[str, str]]] = {}
    for manifest in manifests:  # landing order
        for landed in manifest.files:
            if landed.table == table:
                by_ticker.setdefault(landed.ticker, []).append((manifest.load_id, landed.path))
    if table == "bars":
        # Always (also empty), so the table exists for silver.quarantine from the first run.
        yield dlt.mark.with_table_name(CONFLICTS_SCHEMA.empty_table(), CONFLICTS_TABLE)
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
            good, conflicts = split(pa.concat_tables(page), key, schema)
            yield good
            if conflicts is not None and conflicts.num_rows:
                yield dlt.mark.with_table_name(conflicts, CONFLICTS_TABLE)
            page, rows = [], 0


@dlt.source(name="raw_store")
def raw_store_source(store: RawStore, manifests: Sequence[Manifest]) -> Sequence:
    """The landings in `manifests`, as bronze tables."""

    @dlt.resource(
        name=BARS_TABLE,
        primary_key=BAR_KEY,
        write_disposition={"disposition": "merge", "strategy": "upsert"},
    )
    def bars() -> Iterator[pa.Table]:
        yield from _pages(store, manifests, "bars", BAR_KEY, BRONZE_BARS_SCHEMA)

    @dlt.resource(
        name=ACTIONS_TABLE,
        primary_key=ACTION_KEY,
        write_disposition={"disposition": "merge", "strategy": "upsert"},
    )
    def corporate_actions() -> Iterator[pa.Table]:
        yield from _pages(store, manifests, "corporate_actions", ACTION_KEY, BRONZE_ACTIONS_SCHEMA)

    @dlt.resource(
        name=RAW_LOADS_TABLE,
        primary_key="load_id",
        write_disposition={"disposition": "merge", "strategy": "upsert"},
    )
    def raw_loads() -> Iterator[pa.Table]:
        yield _raw_loads_table(manifests)

    bar_pages = bars()
    # The conflicts come out of the same pass over the files; their own key keeps every
    # distinct version (and makes a redone load job idempotent).
    bar_pages.apply_hints(
        table_name=CONFLICTS_TABLE,
        primary_key=list(CONFLICT_KEY),
        write_disposition={"disposition": "merge", "strategy": "upsert"},
        create_table_variant=True,
    )
    return bar_pages, corporate_actions(), raw_loads()


def _raw_loads_table(manifests: Sequence[Manifest]) -> pa.Table:
    now = datetime.now(UTC)
    rows = []
    for m in manifests:
        dates = [f.first for f in m.files] + [f.last for f in m.files]
        rows.append(
            {
                "load_id": m.load_id,
                "source": m.source,
                "interval": m.interval,
                "landed_at": datetime.fromisoformat(m.landed_at),
                "loaded_at": now,
                "bars": m.rows("bars"),
                "corporate_actions": m.rows("corporate_actions"),
                "first_date": date.fromisoformat(min(dates)) if dates else None,
                "last_date": date.fromisoformat(max(dates)) if dates else None,
                "origins": json.dumps(m.origins, sort_keys=True),
                "transformed_at": None,
            }
        )
    return pa.Table.from_pylist(rows, schema=RAW_LOADS_SCHEMA)


def load_bronze(
    project: Project,
    store: RawStore,
    status: Callable[[str], None] | None = None,
) -> BronzeResult:
    """Merge every committed landing that bronze has not loaded yet."""
    pipeline = bronze_pipeline(project)
    finish_pending(pipeline)
    manifests = pending_manifests(store, loaded_load_ids(pipeline))
    result = BronzeResult(manifests=manifests)
    if not manifests:
        return result
    if status:
        status(f"merging {len(manifests)} landing(s) into bronze")
    info = pipeline.run(raw_store_source(store, manifests))
    info.raise_on_failed_jobs()
    if project.warehouse.engine == "postgres":
        _postgres_indexes(pipeline)
    counts = pipeline.last_trace.last_normalize_info.row_counts
    result.bars = counts.get(BARS_TABLE, 0)
    result.corporate_actions = counts.get(ACTIONS_TABLE, 0)
    return result


# PostgreSQL needs these for dlt's merge (it joins on the key) and for silver's incremental
# reads (a ts range); DuckDB prunes with zone maps instead.
POSTGRES_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS bars_key ON {bars} (ticker, interval, ts)",
    "CREATE INDEX IF NOT EXISTS bars_ts ON {bars} (ts)",
    "CREATE UNIQUE INDEX IF NOT EXISTS actions_key ON {actions} (ticker, ex_date, action)",
)


def _postgres_indexes(pipeline: dlt.Pipeline) -> None:
    with pipeline.sql_client() as client:
        names = {
            "bars": client.make_qualified_table_name(BARS_TABLE),
            "actions": client.make_qualified_table_name(ACTIONS_TABLE),
        }
        for statement in POSTGRES_INDEXES:
            client.execute_sql(statement.format(**names))


def origins_seen(project: Project, store: RawStore) -> dict[str, str]:
    """sha256 -> name of every input file already landed, loaded into bronze or not."""
    pipeline = bronze_pipeline(project)
    seen: dict[str, str] = {}
    try:
        with pipeline.sql_client() as client:
            table = client.make_qualified_table_name(RAW_LOADS_TABLE)
            rows = client.execute_sql(f"SELECT origins FROM {table}") or []
    except Exception as exc:
        if not _is_missing_table(exc):
            raise
        rows = []
    for (origins,) in rows:
        seen.update({sha: name for name, sha in json.loads(origins or "{}").items()})
    for manifest in pending_manifests(store, loaded_load_ids(pipeline)):
        seen.update({sha: name for name, sha in manifest.origins.items()})
    return seen


def latest_bar_dates(project: Project, source: str, interval: str) -> dict[str, date]:
    """Session date of each ticker's latest bar in bronze from this source and interval."""
    zone = project.settings.exchange.timezone
    pipeline = bronze_pipeline(project)
    try:
        with pipeline.sql_client() as client:
            table = client.make_qualified_table_name(BARS_TABLE)
            rows = client.execute_sql(
                f"SELECT ticker, MAX(ts) FROM {table} WHERE interval = %s AND source = %s "
                "GROUP BY ticker",
                interval,
                source,
            )
    except Exception as exc:
        if _is_missing_table(exc):
            return {}
        raise
    from zoneinfo import ZoneInfo

    local = ZoneInfo(zone)
    return {ticker: ts.astimezone(local).date() for ticker, ts in rows or [] if ts is not None}


def load_universe(project: Project) -> bool:
    """bronze.tickers: the universe with sector and industry; rewritten only when the
    universe in config.yaml (or the index data) changed. True when it was written."""
    import hashlib

    from pipelines.universe import universe_table

    universe = project.settings.universe
    table = universe_table(universe.tickers, universe.indices)
    content = table.drop_columns(["updated_at"])
    digest = hashlib.sha256(str(content.to_pylist()).encode()).hexdigest()
    table = table.append_column("universe_sha", pa.array([digest] * table.num_rows, pa.string()))
    pipeline = bronze_pipeline(project)
    # A killed run can leave a load package whose tickers job is redone on resume, and dlt
    # appends on a redo: finish it first, then accept the table only if it holds exactly
    # this universe once (anything else is rewritten).
    finish_pending(pipeline)
    try:
        with pipeline.sql_client() as client:
            name = client.make_qualified_table_name(TICKERS_TABLE)
            stored = client.execute_sql(
                f"SELECT universe_sha, COUNT(*), COUNT(DISTINCT ticker) FROM {name} "
                "GROUP BY universe_sha"
            )
        if [tuple(r) for r in stored or []] == [(digest, table.num_rows, table.num_rows)]:
            return False
    except Exception as exc:
        if not _is_missing_table(exc):
            raise
    info = pipeline.run(
        table, table_name=TICKERS_TABLE, write_disposition="replace", primary_key="ticker"
    )
    info.raise_on_failed_jobs()
    return True
