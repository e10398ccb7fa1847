"""The PostgreSQL run lock is one per database: a run on another database of the same server
neither blocks this warehouse nor is named as its holder."""

from __future__ import annotations

import psycopg
import pytest

from pipelines.warehouse.locks import WarehouseBusy, advisory_lock, lock_holder
from tests.conftest import Project


def _connect_args(project: Project) -> dict:
    e = project.env
    return {
        "host": e["MARKETFLOW_PG_HOST"], "port": int(e["MARKETFLOW_PG_PORT"]),
        "user": e["MARKETFLOW_PG_USER"], "password": e["MARKETFLOW_PG_PASSWORD"],
        "dbname": e["MARKETFLOW_PG_DATABASE"],
    }  # fmt: skip


def _holder(run_id: str) -> dict:
    return {"command": "run", "run_id": run_id, "pid": 1, "started_at": "2026-12-02T00:00:00Z"}


def test_the_holder_named_is_the_one_on_this_database(new_project) -> None:
    here, elsewhere = _connect_args(new_project("postgres")), _connect_args(new_project("postgres"))
    with advisory_lock(elsewhere, _holder("run-elsewhere"), wait_seconds=0):
        # Held on the other database only: nothing holds this one.
        with psycopg.connect(**here, autocommit=True) as con:
            assert lock_holder(con) == "a run that has just ended"
        with (
            advisory_lock(here, _holder("run-here"), wait_seconds=0),
            pytest.raises(WarehouseBusy) as refused,
            advisory_lock(here, _holder("run-third"), wait_seconds=0),
        ):
            pass
    message = str(refused.value)
    assert "run-here" in message and "run-elsewhere" not in message, message
    assert f"/{here['dbname']} is held by another run" in message, message
