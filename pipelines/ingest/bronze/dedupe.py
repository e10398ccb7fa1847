"""One row per bar key: a landing's last copy of a bar, unless the landing carried the key twice
with different values (then every version goes to bronze.bar_conflicts and none to bronze)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from pipelines.analytics.bar_rules import BAR_VALUES
from pipelines.ingest.bronze.schemas import CONFLICTS_SCHEMA


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
        # Most keys come once: only the rows of a key landed more than once need the window
        # and the values' hash (md5 of every row's values as text was most of a backfill's
        # bronze time).
        con.execute(
            f"CREATE TEMP TABLE repeated AS SELECT {keys} FROM landed "
            f"GROUP BY {keys} HAVING COUNT(*) > 1"
        )
        con.execute(
            f"CREATE TEMP TABLE copies AS SELECT * FROM landed SEMI JOIN repeated USING ({keys})"
        )
        con.execute(
            f"CREATE TEMP TABLE marked AS SELECT *, {value_hash} AS value_hash, "
            f"min({value_hash}) OVER copies <> max({value_hash}) OVER copies AS conflicting "
            f"FROM copies WINDOW copies AS (PARTITION BY {keys}, load_id)"
        )
        good = (
            con.sql(
                "SELECT * EXCLUDE (__row) FROM ("
                f"  SELECT * FROM landed ANTI JOIN repeated USING ({keys})"
                "   UNION ALL"
                "  SELECT * EXCLUDE (value_hash, conflicting) FROM marked WHERE NOT conflicting"
                f"  QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY __row DESC) = 1"
                f") ORDER BY {keys}"
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
