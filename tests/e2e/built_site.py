"""A built report site read as what it serves, so two builds of the same data compare equal
when they publish the same thing: page text, data tables, query results."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from pipelines.config.paths import OWNED_MARKER

# Element ids the components draw at random on every render (melt-ui's 10-character nanoids).
RANDOM_IDS = re.compile(
    r'\b(id|for|aria-controls|aria-labelledby|aria-describedby)="[A-Za-z0-9_-]{10}"'
)
# Content hashes in file names: Evidence's data folders and its query results' files; Vite's
# chunks, whose hashes follow SvelteKit's version (the build's clock, in _app/version.json).
HASHES = re.compile(r"\b[0-9a-f]{32}\b|(?<=\.)[A-Za-z0-9_-]{8}(?=\.(js|css)\b)")
# SvelteKit's global, named after a hash of the version.
KIT_GLOBAL = re.compile(r"__sveltekit_[a-z0-9]+")
TEXT = (".html", ".json", ".css", ".svg", ".webmanifest", ".txt")


def published(build: Path) -> dict[str, Any]:
    """{path with hashes blanked: what the file publishes}; Arrow and Parquet files as tables
    (their bytes vary from build to build: unset bytes under nulls), query results by name."""
    out: dict[str, Any] = {}
    version = json.loads((build / "_app/version.json").read_text())["version"]
    for file in sorted(f for f in build.rglob("*") if f.is_file()):
        name = file.relative_to(build).as_posix()
        if name == OWNED_MARKER or name.startswith("api/prerendered_queries/"):
            continue  # query results are read through each page's all-queries.json
        key = HASHES.sub("#", name)
        if name.endswith("/all-queries.json"):
            results = json.loads(file.read_text())
            out[key] = {
                q: _arrow(build / f"api/prerendered_queries/{h}.arrow") for q, h in results.items()
            }
        elif file.suffix == ".parquet":
            out[key] = _rows(pq.read_table(file))
        elif file.suffix == ".arrow":
            out[key] = _arrow(file)
        elif file.suffix == ".js":
            # The app's code: a data-only rebuild keeps the last full build's, and two full
            # builds differ in the minifier's local names (measured), so only the set counts.
            out[key] = "<code>"
        elif file.suffix in TEXT:
            text = RANDOM_IDS.sub(r'\1="?"', file.read_text()).replace(version, "<version>")
            out[key] = KIT_GLOBAL.sub("__sveltekit_?", HASHES.sub("#", text))
        else:
            out[key] = file.read_bytes()
    return out


def _arrow(file: Path) -> list[dict]:
    return _rows(ipc.open_stream(file.read_bytes()).read_all())


def _rows(table: pa.Table) -> list[tuple]:
    # NaN is not equal to itself; as a string it compares like any other value. Rows sorted:
    # a source query without ORDER BY may come back from PostgreSQL in another order.
    rows = [
        tuple((k, "NaN" if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items())
        for r in table.to_pylist()
    ]
    return sorted(rows, key=repr)


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """What differs between two published() sites, by path."""
    out = [f"only in the first: {k}" for k in a.keys() - b.keys()]
    out += [f"only in the second: {k}" for k in b.keys() - a.keys()]
    return out + [f"differs: {k}" for k in sorted(a.keys() & b.keys()) if a[k] != b[k]]
