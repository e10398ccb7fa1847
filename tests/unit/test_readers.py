"""The API's DuckDB reader: its snapshots are private to the user running it, and what it
answers when it cannot serve says what happened, never the driver's text or a server path."""

from __future__ import annotations

import stat
import subprocess
import sys

import duckdb
import pytest
from typer.testing import CliRunner

from api.main import create_app
from pipelines.cli.main import app
from pipelines.config import ConfigError, load_project
from pipelines.warehouse.readers import DuckDBSnapshot, Unavailable
from tests.conftest import free_port, make_project


def test_snapshots_are_private(tmp_path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    reader = DuckDBSnapshot(warehouse, tmp_path / "api")
    reader.rows("SELECT x FROM t")
    reader.close()
    (snapshot,) = [p for p in (tmp_path / "api").iterdir() if p.is_dir()]
    assert stat.S_IMODE(snapshot.stat().st_mode) == 0o700
    for file in snapshot.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name


def test_unavailable_says_what_happened_not_the_drivers_text(tmp_path) -> None:
    missing = DuckDBSnapshot(tmp_path / "nowhere.duckdb", tmp_path / "api")
    with pytest.raises(Unavailable) as error:
        missing.rows("SELECT 1")
    assert str(tmp_path) not in str(error.value) and "not built yet" in str(error.value)

    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(warehouse)!r}); "
         "print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(Unavailable) as error:
            DuckDBSnapshot(warehouse, tmp_path / "api").rows("SELECT 1")
    finally:
        holder.kill()
        holder.wait()
    message = str(error.value)
    assert "busy" in message
    assert "PID" not in message and str(tmp_path) not in message and "IO Error" not in message


def test_on_postgresql_the_api_reads_as_the_reader_role_only(tmp_path, monkeypatch) -> None:
    for name in ("MARKETFLOW_PG_READER_USER", "MARKETFLOW_PG_READER_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MARKETFLOW_PG_PASSWORD", "the-owners-password")
    project = load_project(make_project(tmp_path).config, "postgres")
    with pytest.raises(ConfigError, match=r"MARKETFLOW_PG_READER_USER and .*: not set"):
        create_app(project)  # no silent fall back to the owner's credentials


@pytest.mark.parametrize(
    "unset",
    [
        ("MARKETFLOW_PG_READER_USER", "MARKETFLOW_PG_READER_PASSWORD"),
        ("MARKETFLOW_PG_READER_PASSWORD",),
    ],
)
def test_on_postgresql_the_report_refuses_to_start_without_the_reader_role(
    tmp_path, monkeypatch, unset
) -> None:
    """The report reads as the reader role only: without its variables it exits 2 naming the
    missing ones, before npm or any connection (the owner's credentials are never tried)."""
    monkeypatch.setenv("MARKETFLOW_PG_READER_USER", "reader")
    monkeypatch.setenv("MARKETFLOW_PG_READER_PASSWORD", "readers-password")
    for name in unset:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MARKETFLOW_PG_PASSWORD", "the-owners-password")
    monkeypatch.setenv("MARKETFLOW_PG_PORT", str(free_port()))  # nothing listens there
    config = make_project(tmp_path).config
    result = CliRunner().invoke(app, ["--config", str(config), "report", "--gateway", "postgres"])
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert f"{' and '.join(unset)}: not set" in message, message
    assert "the-owners-password" not in result.output
