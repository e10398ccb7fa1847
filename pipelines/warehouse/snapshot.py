"""A consistent copy of the DuckDB warehouse, for readers that must not hold the file itself
(the API's snapshots, the report site's source)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb


def copy_duckdb(warehouse: Path, target: Path) -> Path:
    """Copy `warehouse` (and its WAL) into the folder `target`, keeping the file's name (SQLMesh's
    views name the catalog after it); returns the copy's path. A read-only connection holds the
    file's shared lock while the bytes are copied, so no run writes meanwhile and the copy is
    consistent; the folder appears whole or not at all. Raises duckdb.IOException when a run
    holds the file, FileNotFoundError when there is none."""
    if not warehouse.is_file():
        raise FileNotFoundError(f"no warehouse at {warehouse}: has the pipeline run?")
    copy = target / warehouse.name
    with duckdb.connect(str(warehouse), read_only=True):
        if copy.exists():
            return copy
        # Per process: `serve --workers N` copies into one folder from N processes.
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for source in (warehouse, Path(f"{warehouse}.wal")):
            if source.exists():
                shutil.copy2(source, partial / source.name)
        try:
            partial.rename(target)
        except OSError:  # another process got there first: same bytes
            shutil.rmtree(partial, ignore_errors=True)
    return copy
