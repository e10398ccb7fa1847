"""The API's answer cache (api/answer_cache.py) over a real DuckDB snapshot: a repeated GET is
sent from memory as the same bytes, an answer that depends on another header or parameter is
not, errors and /health are never kept, and a changed warehouse is read afresh."""

from __future__ import annotations

import os
import time

import duckdb
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.answer_cache import AnswerCache
from pipelines.warehouse import readers
from pipelines.warehouse.readers import DuckDBSnapshot


def _app(tmp_path, calls: list[str]) -> tuple[FastAPI, DuckDBSnapshot]:
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    _settled(warehouse)
    reader = DuckDBSnapshot(warehouse, tmp_path / "api")
    app = FastAPI()

    @app.get("/v1/sum")
    def total(scale: int = 1) -> dict:
        calls.append("sum")
        return {"sum": reader.rows("SELECT SUM(x) AS s FROM t")[0]["s"] * scale}

    @app.get("/v1/missing")
    def missing() -> dict:
        calls.append("missing")
        raise ValueError("boom")

    @app.get("/health")
    def health() -> dict:
        calls.append("health")
        return {"ok": True}

    app.add_middleware(AnswerCache, reader=reader, prefix="/v1")
    return app, reader


def _settled(path) -> None:
    """As if the file had been written longer ago than the snapshot's settle time."""
    past = time.time() - readers.SETTLE_SECONDS - 5
    os.utime(path, (past, past))


def test_a_repeated_answer_is_the_same_bytes_without_the_route(tmp_path) -> None:
    calls: list[str] = []
    app, reader = _app(tmp_path, calls)
    with TestClient(app, raise_server_exceptions=False) as client:
        first = client.get("/v1/sum")
        second = client.get("/v1/sum")
        assert (first.json(), second.json()) == ({"sum": 1}, {"sum": 1})
        assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
        assert second.content == first.content
        assert second.headers["content-type"] == first.headers["content-type"]
        assert calls == ["sum"]

        assert client.get("/v1/sum?scale=3").json() == {"sum": 3}  # another query
        assert client.get("/v1/sum", headers={"accept": "text/csv"}).json() == {"sum": 1}
        assert calls == ["sum", "sum", "sum"]  # each asked once; its repeat is kept
        assert client.get("/v1/sum?scale=3").headers["x-cache"] == "hit"

        for _ in range(2):
            assert client.get("/v1/missing").status_code == 500
            assert client.get("/health").json() == {"ok": True}
        assert calls[3:] == ["missing", "health", "missing", "health"]  # never kept
        reader.close()


def test_a_changed_warehouse_is_read_afresh(tmp_path, monkeypatch) -> None:
    calls: list[str] = []
    app, reader = _app(tmp_path, calls)
    monkeypatch.setattr(readers, "SNAPSHOT_CHECK_SECONDS", 1e9)  # not compared again
    with TestClient(app) as client:
        assert client.get("/v1/sum").json() == {"sum": 1}
        with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
            con.execute("INSERT INTO t VALUES (41)")
        _settled(tmp_path / "warehouse.duckdb")
        assert client.get("/v1/sum").json() == {"sum": 1}  # the snapshot's answer
        monkeypatch.setattr(readers, "SNAPSHOT_CHECK_SECONDS", 0.0)  # compare on every GET
        answer = client.get("/v1/sum")
        assert (answer.json(), answer.headers["x-cache"]) == ({"sum": 42}, "miss")
        assert client.get("/v1/sum").headers["x-cache"] == "hit"
        assert calls == ["sum", "sum"]
        reader.close()
