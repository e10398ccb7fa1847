"""Bronze's de-duplication of a page of landed bars, against an independent row-by-row reading
of its rule: per key, the copy landed last; a key that one landing carried twice with different
values (NULL and NaN spelled apart) goes to the conflicts, one row per distinct version, and
none of that landing's copies to bronze (an earlier landing's copy then stands)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.config.constants import BAR_KEY
from pipelines.ingest.bronze.dedupe import BAR_VALUES, split_conflicts
from pipelines.ingest.bronze.schemas import BRONZE_BARS_SCHEMA, CONFLICTS_SCHEMA

DAY0 = datetime(2024, 1, 2, 5, tzinfo=UTC)


def landed_page(seed: int, rows: int = 3000) -> pa.Table:
    """Rows in landing order: three landings, 40 tickers x 60 sessions drawn with repeats,
    some repeats identical, some with a changed close, a NULL or a NaN."""
    rng = np.random.default_rng(seed)
    load = np.sort(rng.integers(0, 3, rows))
    close = rng.choice([10.0, 10.5, 11.0, np.nan, None], rows, p=[0.6, 0.2, 0.1, 0.05, 0.05])
    frame = pd.DataFrame(
        {
            "ticker": rng.choice([f"T{i:02d}" for i in range(40)], rows),
            "interval": "1d",
            "ts": [DAY0 + timedelta(days=int(d)) for d in rng.integers(0, 60, rows)],
            "open": 10.0,
            "high": 12.0,
            "low": 9.0,
            "close": close,
            "volume": 100.0,
            "provider_adj_close": None,
            "price_basis": "raw",
            "source": "files",
            "fetched_at": [DAY0 + timedelta(hours=int(h)) for h in range(rows)],
            "load_id": [f"load-{i}" for i in load],
        }
    )
    table = pa.Table.from_pandas(frame, schema=BRONZE_BARS_SCHEMA, preserve_index=False)
    # from_pandas would make NaN a NULL: the closes as drawn, NaN and None apart.
    position = table.schema.get_field_index("close")
    return table.set_column(position, "close", pa.array(list(close), pa.float64()))


def spelled(value: object) -> str:
    if value is None:
        return "<null>"
    return "<nan>" if isinstance(value, float) and np.isnan(value) else repr(value)


def spelled_rows(rows: list[dict]) -> list[tuple]:
    return [tuple(spelled(v) for v in r.values()) for r in rows]


def expected(table: pa.Table) -> tuple[list[dict], set[tuple]]:
    rows = table.to_pylist()  # NULL stays None, NaN stays nan
    key = list(BAR_KEY)
    versions: dict[tuple, set[tuple]] = {}
    for r in rows:
        versions.setdefault((*[r[k] for k in key], r["load_id"]), set()).add(
            tuple(spelled(r[v]) for v in BAR_VALUES)
        )
    conflicting = {k for k, v in versions.items() if len(v) > 1}
    good: dict[tuple, dict] = {}
    for r in rows:  # the last non-conflicting copy in landing order
        if (*[r[k] for k in key], r["load_id"]) not in conflicting:
            good[tuple(r[k] for k in key)] = r
    conflicts = {(*k, version) for k, vs in versions.items() if k in conflicting for version in vs}
    ordered = sorted(good.values(), key=lambda r: tuple(r[k] for k in key))
    return ordered, conflicts


def test_one_row_per_key_and_the_conflicts_match_an_independent_reading() -> None:
    for seed in range(5):
        page = landed_page(seed)
        good, conflicts = split_conflicts(page, BAR_KEY, BRONZE_BARS_SCHEMA)
        want, want_conflicts = expected(page)
        assert good.schema == BRONZE_BARS_SCHEMA and conflicts.schema == CONFLICTS_SCHEMA
        assert 0 < len(want) < page.num_rows and want_conflicts, "the page has repeats"
        assert spelled_rows(good.to_pylist()) == spelled_rows(want)
        assert any(np.isnan(r["close"]) for r in want if r["close"] is not None)
        got_conflicts = {
            (*[r[k] for k in BAR_KEY], r["load_id"], tuple(spelled(r[v]) for v in BAR_VALUES))
            for r in conflicts.to_pylist()
        }
        assert got_conflicts == want_conflicts
        assert conflicts.num_rows == len(want_conflicts)  # one row per distinct version


def test_a_page_without_repeats_is_bronze_as_it_came_in_key_order() -> None:
    rows = {tuple(r[k] for k in BAR_KEY): r for r in landed_page(7).to_pylist()}
    assert len(rows) > 1000
    table = pa.Table.from_pylist(list(rows.values()), schema=BRONZE_BARS_SCHEMA)
    good, conflicts = split_conflicts(table, BAR_KEY, BRONZE_BARS_SCHEMA)
    assert conflicts.num_rows == 0
    assert spelled_rows(good.to_pylist()) == spelled_rows([rows[k] for k in sorted(rows)])
