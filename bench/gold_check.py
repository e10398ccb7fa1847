"""The benchmark's reference against the warehouse: bench/reference.py's Parquet must equal
gold.daily_features, row for row, to 1e-9 (relative, absolute below 1), before anything is
timed against it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import psycopg
import pyarrow.parquet as pq

from dev import services

TOLERANCE = 1e-9


def gold_rows(backend: str, root: Path, env: dict[str, str], columns: list[str]) -> pd.DataFrame:
    select = f"SELECT {', '.join(columns)} FROM gold.daily_features"
    if backend == "duckdb":
        with duckdb.connect(str(root / "data" / "warehouse.duckdb"), read_only=True) as con:
            con.execute("SET enable_progress_bar = false")
            return con.execute(select).df()
    with psycopg.connect(services.owner_dsn(env)) as conn, conn.cursor() as cur:
        cur.execute(select)
        return pd.DataFrame(cur.fetchall(), columns=columns)


def differences(reference: Path, gold: pd.DataFrame) -> list[str]:
    """What differs, per column: rows on one side only, NULL on one side, values apart by more
    than TOLERANCE."""
    ref = pq.read_table(reference)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.register("ref", ref)
    con.register("gold", gold)
    values = [c for c in ref.column_names if c not in ("ticker", "session_date")]
    out = []
    only = con.execute(
        "SELECT (SELECT COUNT(*) FROM ref ANTI JOIN gold USING (ticker, session_date)),"
        " (SELECT COUNT(*) FROM gold ANTI JOIN ref USING (ticker, session_date))"
    ).fetchone()
    if only != (0, 0):
        out.append(f"rows only in the reference: {only[0]:,}; only in gold: {only[1]:,}")
    for c in values:
        nulls, worst = con.execute(
            f"SELECT COUNT(*) FILTER ((r.{c} IS NULL) <> (g.{c} IS NULL)),"
            f" MAX(ABS(r.{c} - g.{c}) / GREATEST(1, ABS(g.{c})))"
            " FROM ref AS r JOIN gold AS g USING (ticker, session_date)"
        ).fetchone()
        if nulls or (worst or 0) > TOLERANCE:
            out.append(f"{c}: {nulls:,} rows NULL on one side only; largest difference {worst:.3g}")
    return out


def check(backend: str, root: Path, env: dict[str, str], reference: Path) -> list[str]:
    """differences() between the reference's Parquet and the warehouse's gold."""
    columns = pq.read_schema(reference).names
    return differences(reference, gold_rows(backend, root, env, columns))
