"""Whole tables of a warehouse, to compare two builds cell by cell (an incremental build with a
one-shot one, DuckDB with PostgreSQL, a killed run with an uninterrupted one)."""

from __future__ import annotations

import pandas as pd

from tests.conftest import Project

GOLD_TABLES = {
    "gold.daily_features": ["ticker", "session_date"],
    "gold.intraday_sessions": ["ticker", "session_date"],
    "gold.ma_crossovers": ["ticker", "session_date"],
    "gold.latest_prices": ["ticker"],
    "gold.return_stats": ["ticker"],
}
SILVER_TABLES = {
    "silver.bars_daily": ["ticker", "session_date"],
    "silver.bars_1m": ["ticker", "ts"],
    "silver.corporate_actions": ["ticker", "ex_date", "action"],
    "silver.missing_sessions": ["ticker", "interval", "session_date"],
    "silver.quarantine": ["ticker", "interval", "ts", "reason"],
}


def snapshot(project: Project, tables: dict[str, list[str]]) -> dict[str, pd.DataFrame]:
    """Every table, every column except lineage (which load a row came from)."""
    out = {}
    for table, keys in tables.items():
        frame = project.query(f"SELECT * FROM {table}")
        frame = frame.drop(columns=[c for c in ("load_id",) if c in frame.columns])
        out[table] = frame.sort_values(keys).reset_index(drop=True)
    return out


def assert_same_tables(left: dict, right: dict, rtol: float = 1e-9, atol: float = 0) -> None:
    assert left.keys() == right.keys()
    for table in left:
        pd.testing.assert_frame_equal(
            left[table],
            right[table],
            check_exact=False,
            rtol=rtol,
            atol=atol,
            obj=table,
            check_dtype=False,
        )
