"""Sharded ingestion: shards 1/3, 2/3 and 3/3 land raw files only, then `run --ingest none`
merges, transforms and checks what they landed, equal cell for cell to the unsharded demo. A
shard killed mid-landing is named by the transform, which runs on what landed (or, configured
to refuse, merges nothing); the shard rerun converges."""

from __future__ import annotations

import json
from datetime import date

import pytest

from pipelines.ingest import demo_data as demo
from pipelines.ingest.raw_store import RawStore
from pipelines.run.shards import Shard, ShardRecord, judge, records_for, write_record
from tests.conftest import AS_OF, write_config
from tests.tables import GOLD_TABLES, SILVER_TABLES, assert_same_tables, snapshot

# Shards of the demo's universe under N = 3 (docs/operations.md: SHA-256 of the ticker, first
# 8 bytes big-endian, mod 3, plus 1): shard 1 holds none of the five, which a shard must take.
SHARD_2 = ["AAPL", "GOOG", "MSFT"]
SHARD_3 = ["FB", "IBM"]


def _bronze_tickers(project) -> list[str]:
    found = project.query("SELECT DISTINCT ticker FROM bronze.bars ORDER BY ticker")
    return list(found["ticker"])


# On DuckDB only: the shards' records go through the raw store's one filesystem layer, which the
# other S3 tests cover (and the PostgreSQL run cost CI 77 s of its 25 minutes).
@pytest.mark.slow
def test_shards_then_the_transform_equal_an_unsharded_run(new_project, demos) -> None:
    demo_project = demos["duckdb"]
    project = new_project("duckdb")
    demo.stage(project.drop)
    demo.stage_minutes(project.drop)

    empty = project.cli("run", "--shard", "1/3", "--as-of", AS_OF)
    assert "0 of 5 tickers" in " ".join(empty.stdout.split())
    # A shard writes raw files only: no warehouse file yet.
    project.cli("run", "--shard", "3/3", "--as-of", AS_OF)
    assert not project.warehouse.exists()
    manifests = (project.raw / "_manifests").glob("*.json")
    tickers = {f["ticker"] for m in manifests for f in json.loads(m.read_text())["files"]}
    assert tickers == set(SHARD_3)

    # Shard 2/3 is killed after its first raw file: no manifest, no record.
    killed = project.cli_killed_at("raw.file", "run", "--shard", "2/3", "--as-of", AS_OF)
    assert killed.returncode != 0

    # Configured to refuse, the transform merges nothing and names the missing shard.
    write_config(project.root, {"shards": {"on_failed_shard": "refuse"}})
    refused = project.cli("run", "--ingest", "none", "--as-of", AS_OF, check=False)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    said = " ".join((refused.stdout + refused.stderr).split())
    assert "2/3 (no record" in said and "nothing merged" in said
    # Its writer is gone: the orphan file of the killed landing is swept.
    assert "swept 1 raw file(s) of landing" in refused.stdout

    # By default it transforms what landed, exits 1 and names the shard.
    write_config(project.root)
    partial = project.cli("run", "--ingest", "none", "--as-of", AS_OF, check=False)
    assert partial.returncode == 1, partial.stdout + partial.stderr
    said = " ".join((partial.stdout + partial.stderr).split())
    assert f"shards of {AS_OF}: 2 of 3 landed in full" in said and "2/3 (no record" in said
    assert _bronze_tickers(project) == SHARD_3
    logged = project.query("SELECT command, arguments, exit_code FROM ops.runs ORDER BY run_id")
    shard_rows = [a for a in logged["arguments"] if "--shard" in a]
    assert len(shard_rows) == 2  # the two shards that reported, written by the transform

    # The killed shard, rerun, sweeps its orphan file and lands; the transform converges.
    rerun = project.cli("run", "--shard", "2/3", "--as-of", AS_OF)
    assert "shard 2/3, raw files only" in " ".join(rerun.stdout.split())
    project.cli("run", "--ingest", "none", "--as-of", AS_OF)
    tables = {**SILVER_TABLES, **GOLD_TABLES}
    assert_same_tables(snapshot(project, tables), snapshot(demo_project, tables), rtol=1e-9)


def test_a_shard_flag_is_checked(new_project) -> None:
    project = new_project("duckdb")
    for bad in ("0/3", "4/3", "2", "a/b"):
        result = project.cli("run", "--shard", bad, check=False)
        assert result.returncode == 2
        assert f"--shard: '{bad}' is not K/N" in result.stderr
    both = project.cli("run", "--shard", "1/2", "--ingest", "none", check=False)
    assert both.returncode == 2 and "--shard and --ingest none exclude" in both.stderr
    wrong = project.cli("run", "--ingest", "some", check=False)
    assert wrong.returncode == 2 and "--ingest: 'some'" in wrong.stderr


def test_shard_records_round_trip_on_the_s3_raw_store(new_project) -> None:
    """What a PostgreSQL transform reads of its shards: records on S3 (SeaweedFS), by shard,
    one session apart from another, a missing shard named."""
    project = new_project("postgres")
    env = project.env
    store = RawStore(
        env["MARKETFLOW_RAW_URL"],
        {
            "key": env["RAW_STORE__CREDENTIALS__AWS_ACCESS_KEY_ID"],
            "secret": env["RAW_STORE__CREDENTIALS__AWS_SECRET_ACCESS_KEY"],
            "client_kwargs": {"endpoint_url": env["RAW_STORE__CREDENTIALS__ENDPOINT_URL"]},
        },
    )
    session = date(2024, 12, 31)

    def record(index: int, day: date, exit_code: int = 0) -> ShardRecord:
        shard = Shard(index, 3)
        return ShardRecord(shard, day, f"run-{index}", exit_code, None, [], [f"L{index}"], [])

    assert records_for(store, session) == []  # nothing under the prefix yet: no error
    for written in (
        record(3, session),
        record(1, session, exit_code=1),
        record(2, date(2025, 1, 2)),
    ):
        write_record(store, written)
    found = records_for(store, session)
    assert [(str(r.shard), r.run_id, r.load_ids) for r in found] == [
        ("1/3", "run-1", ["L1"]),
        ("3/3", "run-3", ["L3"]),
    ]
    verdict = judge(found)
    assert verdict.count == 3
    assert [f.split(" ")[0] for f in verdict.failed] == ["1/3", "2/3"]
