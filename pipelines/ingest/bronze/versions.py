"""Bronze's history: every version of a bar or a corporate action, kept with the landing that
first carried it (bronze.bar_versions, bronze.action_versions).

A landing that sends a key again with the same values adds no version, so a daily run that
re-reads the last sessions (restatement_lag) costs nothing here; one that sends other values
adds one, which silver.bar_revisions pairs with the version before it. What counts as "other
values" is bar_rules.BAR_VALUES / ACTION_VALUES, as for bronze's conflicts. A landing's
conflicting copies of a bar reach neither bronze.bars nor its history.

The same versions come out of any split of the same landings into loads (one by one, or all
of them in one run from the raw store): each landing's last copy of a key is compared with the
version before it, which is the held one (bronze's current row) or an earlier landing's.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from pipelines.analytics.bar_rules import differs_sql


def new_versions(
    landed: pa.Table,
    held: pa.Table,
    key: Sequence[str],
    values: Sequence[str],
    conflicts: pa.Table | None = None,
) -> pa.Table:
    """The rows of `landed` (landings in order, each row with its load_id) that are a new
    version of their key: each landing's last copy of a key, when its values differ from the
    version before it. `held`: the version bronze holds now of some of these keys (same
    columns), which comes before every landing here. `conflicts`: copies a landing carried
    with different values (key + load_id), which are no version."""
    if landed.num_rows == 0:
        return landed
    keys = ", ".join(f'"{k}"' for k in key)
    differs = differs_sql(tuple(f'"{v}"' for v in values), "v", "p")
    con = duckdb.connect()
    try:
        con.register("landed", landed.append_column("__row", pa.array(range(landed.num_rows))))
        con.register("held", held.select(landed.schema.names))
        refused = "SELECT * FROM landed"
        if conflicts is not None and conflicts.num_rows:
            con.register("conflicts", conflicts.select([*key, "load_id"]))
            refused += f" ANTI JOIN conflicts USING ({keys}, load_id)"
        versions = con.sql(
            f"""
            WITH per_landing AS (
              SELECT * FROM ({refused})
              QUALIFY row_number() OVER (PARTITION BY {keys}, load_id ORDER BY __row DESC) = 1
            ), together AS (
              SELECT *, -1 AS __row, TRUE AS is_held FROM held
              UNION ALL BY NAME
              SELECT *, FALSE AS is_held FROM per_landing
            ), ordered AS (
              SELECT *, row_number() OVER (PARTITION BY {keys} ORDER BY is_held DESC, load_id,
                __row) AS n
              FROM together
            )
            SELECT v.* EXCLUDE (__row, is_held, n)
            FROM ordered AS v
            LEFT JOIN ordered AS p
              ON {" AND ".join(f'p."{k}" = v."{k}"' for k in key)} AND p.n = v.n - 1
            WHERE NOT v.is_held AND (p.n IS NULL OR {differs})
            ORDER BY {", ".join(f'v."{k}"' for k in key)}, v.load_id
            """
        )
        table = versions.arrow().read_all()
    finally:
        con.close()
    return table.select(landed.schema.names).cast(landed.schema)
