"""A consistent copy of the DuckDB warehouse, for readers that must not hold the file itself
(the API's snapshots, the report site's source)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from pipelines.config.paths import OWNED_MARKER


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
        partial.mkdir(parents=True, mode=0o700)
        partial.chmod(0o700)  # the warehouse's data: for this user only (whatever the umask)
        (partial / OWNED_MARKER).touch(mode=0o600)  # ours to delete once stale; nothing else is
        for source in (warehouse, Path(f"{warehouse}.wal")):
            if source.exists():
                shutil.copy2(source, partial / source.name)
                (partial / source.name).chmod(0o600)
        try:
            partial.rename(target)
        except OSError:  # another process got there first: same bytes
            shutil.rmtree(partial, ignore_errors=True)
    return copy
