"""Inside the directories it deletes from, the product deletes only what it created there; and
the report build gets none of the pipeline's secrets."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.report.site import ReportError, npm_env, replace_build
from pipelines.warehouse.readers import DuckDBSnapshot


def test_a_snapshot_leaves_what_it_did_not_create(tmp_path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE TABLE t AS SELECT 42 AS x")
    snapshots = tmp_path / "api"
    (snapshots / "notes").mkdir(parents=True)  # someone's folder, beside our snapshots
    (snapshots / "notes" / "keep.txt").write_text("mine")
    stale = snapshots / "1.000000-1"
    stale.mkdir()
    (stale / ".marketflow-owned").touch()  # a snapshot of ours, older
    reader = DuckDBSnapshot(warehouse, snapshots)
    assert reader.rows("SELECT x FROM t") == [{"x": 42}]
    reader.close()
    assert (snapshots / "notes" / "keep.txt").read_text() == "mine"
    assert not stale.exists()


def test_a_build_dir_someone_else_keeps_is_not_replaced(tmp_path) -> None:
    built = tmp_path / "build"
    built.mkdir()
    (built / "index.html").write_text("<html>new</html>")
    theirs = tmp_path / "www"
    theirs.mkdir()
    (theirs / "their.html").write_text("theirs")
    with pytest.raises(ReportError, match="was not built by marketflow report"):
        replace_build(built, theirs)
    assert (theirs / "their.html").exists()
    ours = tmp_path / "site"
    replace_build(built, ours)  # new: created, with our marker
    (built / "index.html").write_text("<html>newer</html>")
    replace_build(built, ours)  # ours: replaced
    assert (ours / "index.html").read_text() == "<html>newer</html>"


def test_npm_gets_no_secret_of_the_pipeline() -> None:
    secrets = {
        "MARKETFLOW_PG_PASSWORD": "owner-password",
        "RAW_STORE__CREDENTIALS__AWS_SECRET_ACCESS_KEY": "s3-secret",
        "POLYGON_API_KEY": "polygon-key",
        "ALERTS__WEBHOOK_URL": "https://hooks.example.com/secret",
    }
    env = npm_env({"PATH": "/usr/bin", "HOME": "/root", "npm_config_cache": "/c", **secrets})
    assert env["PATH"] == "/usr/bin" and env["npm_config_cache"] == "/c"
    assert not set(secrets) & set(env)
    assert not any(v in env.values() for v in secrets.values())
