"""bronze.tickers: the universe of config.yaml (explicit tickers and index constituents), with
what is known about each; silver.tickers reads it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from pipelines.config import Project
from pipelines.config.constants import TICKERS_TABLE
from pipelines.config.indices import index_members
from pipelines.ingest.bronze.pipeline import bronze_pipeline, finish_pending, read_or_empty

TICKER_SCHEMA = pa.schema(
    [
        pa.field("ticker", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("sector", pa.string()),
        pa.field("industry", pa.string()),
        pa.field("indices", pa.string()),  # comma-separated, in config order
        pa.field("listed_in_config", pa.bool_(), nullable=False),
        pa.field("updated_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


def universe_table(tickers: list[str], indices: list[str]) -> pa.Table:
    """One row per ticker of the universe with what is known about it."""
    rows: dict[str, dict] = {
        t: {"ticker": t, "name": None, "sector": None, "industry": None, "indices": []}
        for t in tickers
    }
    for index in indices:
        for member in index_members(index):
            row = rows.setdefault(member.ticker, {"ticker": member.ticker, "indices": []})
            row["indices"].append(index)
            for key in ("name", "sector", "industry"):
                if row.get(key) is None:
                    row[key] = getattr(member, key)
    now = datetime.now(UTC)
    explicit = set(tickers)
    records = [
        {
            "ticker": row["ticker"],
            "name": row.get("name"),
            "sector": row.get("sector"),
            "industry": row.get("industry"),
            "indices": ", ".join(row["indices"]) or None,
            "listed_in_config": row["ticker"] in explicit,
            "updated_at": now,
        }
        for row in rows.values()
    ]
    return pa.Table.from_pylist(records, schema=TICKER_SCHEMA)


def load_universe(project: Project) -> bool:
    """bronze.tickers: the universe with sector and industry; rewritten only when the
    universe in config.yaml (or the index data) changed. True when it was written."""
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

    def query(client: Any) -> Any:
        name = client.make_qualified_table_name(TICKERS_TABLE)
        return client.execute_sql(
            f"SELECT universe_sha, COUNT(*), COUNT(DISTINCT ticker) FROM {name} "
            "GROUP BY universe_sha"
        )

    stored = read_or_empty(pipeline, query)
    if [tuple(r) for r in stored] == [(digest, table.num_rows, table.num_rows)]:
        return False
    info = pipeline.run(
        table, table_name=TICKERS_TABLE, write_disposition="replace", primary_key="ticker"
    )
    info.raise_on_failed_jobs()
    return True
