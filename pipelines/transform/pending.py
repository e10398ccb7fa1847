"""What bronze holds that silver and gold do not reflect yet, and marking it done.

Two kinds of change: landings (rows of bronze.raw_loads) and a rewritten universe (the rows
of bronze.tickers). Each stays pending, with NULL `transformed_at`, until the run's verdict is
out (pipelines/run/execute.py marks them after its checks, run log and alert), so a run killed
anywhere before that is redone by the next one, checks included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pipelines.config import Project
from pipelines.config.constants import BRONZE_DATASET, RAW_LOADS_TABLE, TICKERS_TABLE
from pipelines.warehouse.engines import Warehouse

LANDINGS = f"{BRONZE_DATASET}.{RAW_LOADS_TABLE}"
UNIVERSE = f"{BRONZE_DATASET}.{TICKERS_TABLE}"


@dataclass
class Pending:
    load_ids: list[str] = field(default_factory=list)
    landings_from: date | None = None  # the landings' earliest session or ex-date
    universe: bool = False  # bronze.tickers was rewritten
    universe_from: date | None = None  # earliest action of a ticker that joined or left


def _as_date(value: Any) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def _has_column(adapter: Any, table: str, column: str) -> bool:
    return adapter.table_exists(table) and column in adapter.columns(table)


def pending_changes(adapter: Any) -> Pending:
    """Read through SQLMesh's engine adapter (the transform's own connection)."""
    pending = Pending()
    if adapter.table_exists(LANDINGS):
        rows = adapter.fetchall(
            f"SELECT load_id, first_date FROM {LANDINGS} WHERE transformed_at IS NULL"
        )
        pending.load_ids = [r[0] for r in rows]
        dates = [_as_date(r[1]) for r in rows if r[1] is not None]
        pending.landings_from = min(dates) if dates else None
    if _has_column(adapter, UNIVERSE, "transformed_at"):
        count, first = adapter.fetchone(
            f"SELECT COUNT(*), MIN(restate_from) FROM {UNIVERSE} WHERE transformed_at IS NULL"
        )
        pending.universe = count > 0
        pending.universe_from = _as_date(first)
    return pending


def mark_transformed(project: Project, pending: Pending) -> None:
    """Silver, gold and the checks reflect these changes: the next run need not redo them."""
    now = datetime.now(UTC)
    warehouse = Warehouse.of(project)
    if pending.load_ids:
        warehouse.set_transformed(LANDINGS, now, pending.load_ids)
    if pending.universe:
        # One universe at a time (the run lock): the rows the run read are the rows there.
        warehouse.set_transformed(UNIVERSE, now, None)
