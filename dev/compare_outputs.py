"""The `compare` half of dev/record_outputs.py: every cell and answer that differs between two
recordings, apart from what differs on every run by nature and last-bit float rounding."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

# Different on every run by nature.
VOLATILE_COLUMNS = {
    "load_id", "fetched_at", "updated_at", "run_id", "checked_at", "started_at", "ended_at",
}  # fmt: skip
# DuckDB sums in parallel: two runs of the same code differ in the last bits of a float sum
# (seen: gold.intraday_sessions.vwap, 3 of 205 cells, 7e-16 relative). Differences within this
# are reported as rounding, apart from real ones.
ROUNDING = 1e-13


def _summary_without_timings(line: str) -> str:
    return re.sub(r"; [0-9.]+s \(.*\)$", "", line)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=ROUNDING)
    return a == b


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE_COLUMNS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _diff_json(a: Any, b: Any, where: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{where}.{key}: only in {'after' if key in b else 'before'}")
            else:
                _diff_json(a[key], b[key], f"{where}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{where}: {len(a)} items before, {len(b)} after")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _diff_json(x, y, f"{where}[{i}]", out)
    elif not _same(a, b):
        out.append(f"{where}: {a!r} -> {b!r}")


def compare_backend(before: Path, after: Path) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    rounding: list[str] = []
    meta_a, meta_b = (json.loads((p / "meta.json").read_text()) for p in (before, after))
    for key in ("demo_exit", "check_exit"):
        if meta_a[key] != meta_b[key]:
            problems.append(f"{key}: {meta_a[key]} -> {meta_b[key]}")
    sa, sb = (_summary_without_timings(m["summary"]) for m in (meta_a, meta_b))
    if sa != sb:
        problems.append(f"summary: {sa!r} -> {sb!r}")
    if meta_a["tables"] != meta_b["tables"]:
        problems.append(f"tables: {meta_a['tables']} -> {meta_b['tables']}")
    for name in sorted(set(meta_a["tables"]) & set(meta_b["tables"])):
        ta = pd.read_pickle(before / "tables" / f"{name}.pkl")
        tb = pd.read_pickle(after / "tables" / f"{name}.pkl")
        if list(ta.columns) != list(tb.columns):
            problems.append(f"{name}: columns {list(ta.columns)} -> {list(tb.columns)}")
            continue
        if len(ta) != len(tb):
            problems.append(f"{name}: {len(ta)} rows -> {len(tb)}")
            continue
        for column in ta.columns:
            x, y = ta[column], tb[column]
            differ = ~((x == y) | (x.isna() & y.isna()))
            if pd.api.types.is_float_dtype(x) and pd.api.types.is_float_dtype(y) and differ.any():
                close = (x - y).abs() <= ROUNDING * y.abs()
                if (differ & close).any():
                    rounding.append(f"{name}.{column}: {int((differ & close).sum())} cells")
                differ &= ~close
            if differ.any():
                first = differ.idxmax()
                problems.append(
                    f"{name}.{column}: {int(differ.sum())} of {len(x)} cells differ, e.g. row "
                    f"{first}: {x[first]!r} -> {y[first]!r}"
                )
    checks_a, checks_b = (
        _strip(json.loads((p / "check.json").read_text())) for p in (before, after)
    )
    found: list[str] = []
    # Checks by (name, table): their order is presentation, reported on its own.
    keyed_a, keyed_b = (
        {(c["name"], c["table"]): c for c in x["checks"]} for x in (checks_a, checks_b)
    )
    if [k for k in keyed_a if k in keyed_b] != [k for k in keyed_b if k in keyed_a]:
        found.append("check.checks: the same checks in another order")
    for key in sorted(set(keyed_a) | set(keyed_b)):
        if key not in keyed_a or key not in keyed_b:
            found.append(f"check {key}: only {'after' if key in keyed_b else 'before'}")
        else:
            _diff_json(keyed_a[key], keyed_b[key], f"check {key}", found)
    _diff_json(
        {k: v for k, v in checks_a.items() if k != "checks"},
        {k: v for k, v in checks_b.items() if k != "checks"},
        "check",
        found,
    )
    api_a, api_b = (_strip(json.loads((p / "api.json").read_text())) for p in (before, after))
    _diff_json(api_a, api_b, "api", found)
    return problems + _grouped(found), rounding


def _grouped(found: list[str]) -> list[str]:
    """One line per kind of difference: rows of a page differing alike are counted once."""
    groups: dict[str, list[str]] = {}
    for line in found:
        path, _, rest = line.partition(": ")
        key = re.sub(r"\[\d+\]", "[*]", path) + ": " + re.sub(r"'[^']*'|[-0-9.e]+", "…", rest)
        groups.setdefault(key, []).append(line)
    out = []
    for lines in groups.values():
        extra = f" (and {len(lines) - 1} more like it)" if len(lines) > 1 else ""
        out.append(lines[0] + extra)
    return out
