"""The sweep of uncommitted landings deletes only those whose writer has ended: shards land side
by side without the warehouse lock, so a landing another process is still writing must stay."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from pipelines.ingest.raw_store import MANIFEST_DIR, PENDING_SUFFIX, RawStore

GLOB = "bars/interval=1d/source=files/ticker=*/ingest_date=2026-12-03/{}-*.parquet"


def _landing_by(root: Path, load_id: str, code: str) -> subprocess.Popen:
    """A landing begun by another process, which then runs `code` (sleeps, or exits)."""
    script = (
        "import pyarrow as pa, sys\n"
        "from pipelines.ingest.raw_store import RawStore\n"
        f"store = RawStore({str(root)!r})\n"
        f"store.begin_landing({load_id!r}, [{GLOB.format(load_id)!r}])\n"
        f"store.write_parquet('bars/interval=1d/source=files/ticker=IBM/ingest_date=2026-12-03/"
        f"{load_id}-00001.parquet', pa.table({{'x': [1]}}))\n"
        "print('landing', flush=True)\n" + code
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "landing"
    return child


def _files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "bars").rglob("*.parquet"))


def test_a_landing_another_live_process_is_writing_is_left_alone(tmp_path: Path) -> None:
    store = RawStore(str(tmp_path))
    child = _landing_by(tmp_path, "L1", "import time; time.sleep(60)\n")
    try:
        sweep = store.sweep_killed_landings()
        assert sweep.swept == {}
        assert sweep.writing == ["L1"]
        assert _files(tmp_path) == ["L1-00001.parquet"]
    finally:
        child.kill()
        child.wait()
    # Its writer is gone now: the next sweep deletes the file and the marker.
    sweep = store.sweep_killed_landings()
    assert sweep.swept == {"L1": 1} and sweep.writing == []
    assert _files(tmp_path) == []
    assert not list((tmp_path / MANIFEST_DIR).glob(f"*{PENDING_SUFFIX}"))


def test_a_writer_on_another_host_is_trusted_until_its_lease_ends(tmp_path: Path) -> None:
    store = RawStore(str(tmp_path))
    store.write_parquet(
        "bars/interval=1d/source=files/ticker=IBM/ingest_date=2026-12-03/L2-00001.parquet",
        pa.table({"x": [1]}),
    )
    marker = tmp_path / MANIFEST_DIR / f"L2{PENDING_SUFFIX}"

    def heard(minutes_ago: float) -> None:
        at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        spec = {"load_id": "L2", "files": [GLOB.format("L2")], "host": "runner-7", "pid": 1,
                "heartbeat": at.isoformat()}  # fmt: skip
        marker.parent.mkdir(exist_ok=True)
        marker.write_text(json.dumps(spec))

    heard(minutes_ago=9)  # within the 10-minute lease: another runner's shard, still writing
    assert store.sweep_killed_landings().writing == ["L2"]
    assert _files(tmp_path) == ["L2-00001.parquet"]
    heard(minutes_ago=11)  # not heard of for longer than the lease: ended
    assert store.sweep_killed_landings().swept == {"L2": 1}
    assert _files(tmp_path) == []


def test_a_committed_landing_keeps_its_files_and_loses_its_marker(tmp_path: Path) -> None:
    store = RawStore(str(tmp_path))
    child = _landing_by(tmp_path, "L3", "")
    child.wait()
    (tmp_path / MANIFEST_DIR / "L3.json").write_text("{}")  # its manifest was written
    sweep = store.sweep_killed_landings()
    assert sweep.swept == {} and sweep.writing == []
    assert _files(tmp_path) == ["L3-00001.parquet"]
    assert not (tmp_path / MANIFEST_DIR / f"L3{PENDING_SUFFIX}").exists()
