"""bronze.tickers: the universe of config.yaml (explicit tickers and index constituents), with
what is known about each; silver.tickers reads it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from pipelines.config import Project
from pipelines.config.constants import BRONZE_DATASET, TICKERS_TABLE
from pipelines.config.indices import catalog_version, company, index_members
from pipelines.ingest.bronze.pipeline import bronze_pipeline, bronze_rows, finish_pending
from pipelines.warehouse.engines import Warehouse

LAYOUT = 3  # bump when universe_table changes what it writes (a provider's listing: 3)
TICKER_SCHEMA = pa.schema(
    [
        pa.field("ticker", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("sector", pa.string()),
        pa.field("industry", pa.string()),
        pa.field("indices", pa.string()),  # comma-separated, in config order
        pa.field("listed_in_config", pa.bool_(), nullable=False),
        pa.field("security_type", pa.string()),  # the provider listing's type (CS, ETF, ...)
        pa.field("updated_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


def universe_table(
    tickers: list[str],
    indices: list[str],
    listed: Sequence[tuple[str, str | None, str | None]] = (),
) -> pa.Table:
    """One row per ticker of the universe with what is known about it: config.yaml's tickers,
    the indices' constituents, then a provider's listing (ticker, name, type)."""
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
    kinds = {ticker: kind for ticker, _, kind in listed}
    for ticker, name, _ in listed:
        row = rows.setdefault(ticker, {"ticker": ticker, "indices": []})
        if row.get("name") is None:
            row["name"] = name
    for row in rows.values():  # listed only in config.yaml: what the index data knows of it
        if not row["indices"] and (known := company(row["ticker"])) is not None:
            name = row.get("name") or known.name  # the listing's name, if it gave one
            row.update(name=name, sector=known.sector, industry=known.industry)
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
            "security_type": kinds.get(row["ticker"]),
            "updated_at": now,
        }
        for row in rows.values()
    ]
    return pa.Table.from_pylist(records, schema=TICKER_SCHEMA)


@dataclass
class UniverseWritten:
    tickers: int
    unknown: list[str]  # tickers of config.yaml the index data knows nothing of


def universe_digest(
    tickers: list[str],
    indices: list[str],
    listed: Sequence[tuple[str, str | None, str | None]] = (),
) -> str:
    """What bronze.tickers is made from: the universe of config.yaml, the listing and the index
    data's release (so an unchanged universe is recognised without reading the index data)."""
    spec = {
        "tickers": tickers,
        "indices": indices,
        "listed": [list(row) for row in listed],
        "pytickersymbols": catalog_version(),
    }
    return hashlib.sha256(json.dumps({**spec, "layout": LAYOUT}).encode()).hexdigest()


def load_universe(project: Project) -> UniverseWritten | None:
    """bronze.tickers: the universe with name, sector and industry; rewritten only when the
    universe in config.yaml (or the index data) changed. What was written, or None.

    A rewrite lands nothing, yet silver must follow it: the rows carry `transformed_at` (NULL
    until a run's verdict is out, like a landing's in bronze.raw_loads) and `restate_from`,
    the earliest corporate action of a ticker that joined or left the universe (an action of a
    ticker outside it adjusts nothing). A change not transformed yet is carried into the next.
    """
    universe = project.settings.universe
    digest = universe_digest(universe.tickers, universe.indices, project.listed)
    warehouse = Warehouse.of(project)
    if not warehouse.bronze_from_raw_store:
        # A killed run can leave a load package whose tickers job is redone on resume, and
        # dlt appends on a redo: finish it first, then accept the table only if it holds
        # exactly this universe once (anything else is rewritten).
        finish_pending(bronze_pipeline(project))
    stored = bronze_rows(project, STORED_SQL)
    pending = bronze_rows(project, PENDING_SQL)
    once = len({ticker for ticker, _, _ in stored}) == len(stored) == len(project.members)
    # A table written before these columns existed has no pending row: rewrite it once.
    if once and {(sha, n) for _, sha, n in stored} == {(digest, len(stored))} and pending:
        return None
    table = universe_table(universe.tickers, universe.indices, project.listed)
    changed = {ticker for ticker, _, _ in stored} ^ set(table.column("ticker").to_pylist())
    first_actions = bronze_rows(project, ACTIONS_SQL)
    dates = [first for ticker, first in first_actions if ticker in changed]
    dates += [row[0] for row in pending if row[0] is not None and row[1]]  # an earlier change
    n = table.num_rows
    table = (
        table.append_column("universe_sha", pa.array([digest] * n, pa.string()))
        .append_column("restate_from", pa.array([min(dates) if dates else None] * n, pa.date32()))
        .append_column("transformed_at", pa.nulls(n, pa.timestamp("us", tz="UTC")))
    )
    if warehouse.bronze_from_raw_store:
        warehouse.write_table(f"{BRONZE_DATASET}.{TICKERS_TABLE}", table, "overwrite")
    else:
        info = bronze_pipeline(project).run(
            table, table_name=TICKERS_TABLE, write_disposition="replace", primary_key="ticker"
        )
        info.raise_on_failed_jobs()
    names = dict(zip(table["ticker"].to_pylist(), table["name"].to_pylist(), strict=True))
    return UniverseWritten(n, [t for t in universe.tickers if names.get(t) is None])


STORED_SQL = "SELECT ticker, universe_sha, COUNT(*) OVER (PARTITION BY universe_sha) FROM {tickers}"
# (restate_from, not transformed yet) of the stored universe; none before these columns.
PENDING_SQL = (
    "SELECT MIN(restate_from), COUNT(*) - COUNT(transformed_at) > 0 FROM {tickers} "
    "HAVING COUNT(*) > 0"
)
ACTIONS_SQL = "SELECT ticker, MIN(ex_date) FROM {actions} GROUP BY ticker"
