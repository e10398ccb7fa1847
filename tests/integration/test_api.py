"""The read-only API on the demo warehouse, both backends: every route against the warehouse
queried directly, every error naming its parameter, pagination, SQL injection, a busy DuckDB
file, and schemathesis over the OpenAPI schema."""

from __future__ import annotations

import shutil
import time

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from api.main import create_app
from pipelines.config import load_project
from tests.conftest import Project
from tests.integration.conftest import client_for, holding, with_api_settings

INJECTIONS = (
    "AAPL' OR '1'='1",
    "AAPL; DROP TABLE silver.tickers; --",
    'AAPL") UNION SELECT * FROM ops.runs --',
    "1 OR 1=1",
)


def test_tickers_and_latest_prices(api: TestClient, demo_project: Project) -> None:
    tickers = api.get("/v1/tickers").json()["data"]
    assert [t["ticker"] for t in tickers] == ["AAPL", "FB", "GOOG", "IBM", "MSFT"]
    assert next(t for t in tickers if t["ticker"] == "FB")["first_session"] == "2012-05-18"

    latest = api.get("/v1/prices/latest", params={"tickers": "ibm,AAPL"}).json()["data"]
    expected = demo_project.query(
        "SELECT ticker, CAST(session_date AS VARCHAR) AS d, close, adj_close, volume "
        "FROM gold.latest_prices WHERE ticker IN ('AAPL', 'IBM') ORDER BY ticker"
    )
    assert [(p["ticker"], p["session_date"], p["close"], p["volume"]) for p in latest] == [
        (r.ticker, r.d, r.close, r.volume) for r in expected.itertuples()
    ]
    assert all(isinstance(p["volume"], int) for p in latest)
    assert len(api.get("/v1/prices/latest").json()["data"]) == 5


def test_daily_bars_as_traded_and_adjusted_paginate(api: TestClient, demo_project) -> None:
    params = {"start": "2005-01-01", "end": "2005-12-31", "limit": 100}
    pages, cursor = [], None
    while True:
        page = api.get("/v1/bars/AAPL", params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        pages.append(page.json())
        cursor = page.json()["paging"]["next_cursor"]
        if cursor is None:
            break
    bars = [b for p in pages for b in p["data"]]
    expected = demo_project.query(
        "SELECT CAST(session_date AS VARCHAR) AS d, close, adj_close FROM silver.bars_daily "
        "WHERE ticker = 'AAPL' AND session_date BETWEEN '2005-01-01' AND '2005-12-31' "
        "ORDER BY session_date"
    )
    assert len(pages) == 3 and len(bars) == len(expected) == 252  # 100 + 100 + 52
    assert [b["session_date"] for b in bars] == list(expected["d"])
    assert [b["close"] for b in bars] == pytest.approx(list(expected["close"]), rel=1e-12)
    adjusted = api.get("/v1/bars/AAPL", params={**params, "limit": 10000, "adjusted": "true"})
    closes = [b["close"] for b in adjusted.json()["data"]]
    assert closes == pytest.approx(list(expected["adj_close"]), rel=1e-9)
    # The 2:1 split of 2005-02-28: as traded the close halves, adjusted it does not.
    split = {b["session_date"]: b["close"] for b in bars}
    assert split["2005-02-28"] / split["2005-02-25"] < 0.55
    # A daily row is keyed by its session (a date), with whole shares for volume.
    assert set(bars[0]) == {"ticker", "session_date", "open", "high", "low", "close", "volume"}
    assert all(isinstance(b["volume"], int) for b in bars)


def test_minute_bars_and_features_and_signals(api: TestClient, demo_project) -> None:
    minutes = api.get(
        "/v1/bars/IBM", params={"interval": "1m", "start": "2012-11-23", "end": "2012-11-23"}
    ).json()["data"]
    assert len(minutes) == 210  # the 13:00 early close
    assert (
        minutes[0]["ts"] == "2012-11-23T14:30:00Z" and minutes[-1]["ts"] == "2012-11-23T17:59:00Z"
    )

    features = api.get(
        "/v1/features/IBM", params={"start": "2013-02-27", "fields": "rsi_14,adj_close"}
    ).json()
    expected = demo_project.query(
        "SELECT CAST(session_date AS VARCHAR) AS d, rsi_14, adj_close FROM gold.daily_features "
        "WHERE ticker = 'IBM' AND session_date >= '2013-02-27' ORDER BY session_date"
    )
    assert features["fields"] == ["rsi_14", "adj_close"]
    assert [(r["session_date"], r["rsi_14"]) for r in features["data"]] == [
        (d, pytest.approx(v, rel=1e-12))
        for d, v in zip(expected["d"], expected["rsi_14"], strict=True)
    ]
    signals = api.get("/v1/signals", params={"since": "2012-01-01"}).json()["data"]
    expected = demo_project.query(
        "SELECT ticker, CAST(session_date AS VARCHAR) AS d, signal FROM gold.ma_crossovers "
        "WHERE session_date >= '2012-01-01' ORDER BY session_date DESC, ticker"
    )
    assert [(s["ticker"], s["session_date"], s["signal"]) for s in signals] == list(
        expected.itertuples(index=False, name=None)
    )


def test_health_reports_tables_and_the_last_run(api: TestClient) -> None:
    health = api.get("/health").json()
    assert health["status"] == "ok"
    tables = {t["table"]: t for t in health["tables"]}
    assert tables["silver.bars_daily"]["latest"] == "2013-03-01"
    assert tables["silver.bars_daily"]["fresh"] is None  # a historical drop folder: not judged
    assert health["last_run"]["command"] == "demo" and health["last_run"]["status"] == "ok"


@pytest.mark.parametrize(
    ("path", "params", "status", "parameter"),
    [
        ("/v1/bars/ZZZZ", {}, 404, "ticker"),
        ("/v1/features/ZZZZ", {}, 404, "ticker"),
        ("/v1/prices/latest", {"tickers": "AAPL,ZZZZ"}, 404, "tickers"),
        ("/v1/bars/AAPL", {"interval": "5m"}, 422, "interval"),
        ("/v1/bars/AAPL", {"start": "2005-13-01"}, 422, "start"),
        ("/v1/bars/AAPL", {"start": "2006-01-01", "end": "2005-01-01"}, 422, "end"),
        ("/v1/bars/AAPL", {"adjusted": "maybe"}, 422, "adjusted"),
        ("/v1/bars/AAPL", {"limit": 10001}, 422, "limit"),
        ("/v1/bars/AAPL", {"limit": 0}, 422, "limit"),
        ("/v1/bars/AAPL", {"cursor": "not-a-cursor"}, 422, "cursor"),
        ("/v1/features/AAPL", {"fields": "rsi_14,password"}, 422, "fields"),
        ("/v1/signals", {"since": "yesterday"}, 422, "since"),
        # Not a format of this route: said, not silently answered as JSON.
        ("/v1/bars/AAPL", {"format": "xlsx"}, 422, "format"),
        ("/v1/signals", {"format": "csv"}, 422, "format"),
        ("/v1/bars", {"format": "csv", "cursor": "x"}, 422, "cursor"),
        ("/v1/bars", {"tickers": "AAPL,ZZZZ"}, 404, "tickers"),
        ("/v1/features", {"fields": "nope"}, 422, "fields"),
        ("/v1/bars/AAPL", {"adjustd": "true"}, 422, "adjustd"),  # a typo, named
        ("/v1/nope", {}, 404, None),
    ],
)
def test_errors_name_the_parameter(api: TestClient, path, params, status, parameter) -> None:
    response = api.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.json()["error"]["parameter"] == parameter


def test_unknown_routes_and_methods_answer_in_the_apis_error_shape(api: TestClient) -> None:
    unknown = api.get("/v1/nope")
    assert unknown.json() == {
        "error": {"parameter": None, "message": "no such route: /v1/nope (see /docs)"}
    }
    typo = api.get("/v1/bars/AAPL", params={"adjustd": "true"}).json()["error"]["message"]
    assert typo.startswith("unknown parameter; /v1/bars/AAPL takes ") and "adjusted" in typo
    posted = api.post("/v1/tickers")
    assert posted.status_code == 405 and posted.headers["allow"] == "GET"
    assert posted.json()["error"]["message"] == "POST is not allowed on /v1/tickers: read-only, GET"


def test_sql_injection_changes_nothing(api: TestClient, demo_project) -> None:
    before = demo_project.scalar("SELECT COUNT(*) FROM silver.tickers")
    for payload in INJECTIONS:
        for path, params in (
            (f"/v1/bars/{payload}", {}),
            (f"/v1/features/{payload}", {}),
            ("/v1/prices/latest", {"tickers": payload}),
            ("/v1/signals", {"tickers": payload}),
            ("/v1/bars/AAPL", {"start": payload}),
            ("/v1/bars/AAPL", {"cursor": payload}),
            ("/v1/features/AAPL", {"fields": payload}),
            ("/v1/signals", {"since": payload}),
        ):
            response = api.get(path, params=params)
            assert response.status_code in (404, 422), (path, params, response.text)
    assert demo_project.scalar("SELECT COUNT(*) FROM silver.tickers") == before
    assert api.get("/v1/tickers").status_code == 200


def test_a_busy_duckdb_file_answers_503_or_the_snapshot(new_project, demos, monkeypatch) -> None:
    """A run holds the DuckDB file: an API without any snapshot says 503 with Retry-After;
    one with a snapshot serves it, and so does one started afresh beside an earlier one's
    snapshot (a restart, or the client). Never a hang, never a 500."""
    source = demos["duckdb"]
    project = new_project("duckdb")
    project.warehouse.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source.warehouse, project.warehouse)
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    with client_for(project, monkeypatch) as warm:
        assert warm.get("/v1/tickers").status_code == 200  # snapshot taken
        with holding(project.warehouse):
            elsewhere = with_api_settings(project, snapshot_dir=str(project.root / "empty"))
            with TestClient(create_app(elsewhere)) as cold:
                started = time.monotonic()
                busy = cold.get("/v1/tickers")
                assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0
                assert "busy" in busy.json()["error"]["message"]
                assert time.monotonic() - started < 5
            served = warm.get("/v1/prices/latest", params={"tickers": "AAPL"})
            assert served.status_code == 200
            assert served.json()["data"][0]["ticker"] == "AAPL"
            with client_for(project, monkeypatch) as restarted:
                again = restarted.get("/v1/prices/latest", params={"tickers": "AAPL"})
                assert again.status_code == 200, again.text
                assert again.json() == served.json()


def test_schemathesis_finds_no_server_error(demos, monkeypatch) -> None:
    """Every operation of /openapi.json, with generated parameters: never a 5xx, and every
    response conforms to the schema."""
    project = demos["duckdb"]
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", create_app(load_project(project.config))
    )

    # What the API promises: no 5xx, only documented status codes, bodies that match the
    # schema. (Not schemathesis's guess that any string the schema allows must succeed: a
    # `start` of '\x83' is a string, and it gets 422 naming `start`.)
    CHECKS = [
        checks.not_a_server_error,
        checks.status_code_conformance,
        checks.content_type_conformance,
        checks.response_schema_conformance,
    ]
    failures, calls = [], []

    def fuzz(operation):
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        @given(operation.as_strategy())
        def check(case) -> None:
            response = case.call()
            calls.append(response.status_code)
            assert response.status_code < 500, (case.path, case.query, response.text)
            case.validate_response(response, checks=CHECKS)

        return check

    for operation in schema.get_all_operations():
        op = operation.ok()
        try:
            fuzz(op)()
        except Exception as exc:  # collect every operation's failure
            failures.append(f"{op.path}: {exc}")
    assert not failures, "\n".join(failures)
    assert len(calls) >= 6 * 10  # it did exercise every operation


def test_adjusted_volume_follows_splits_only(api: TestClient, demo_project) -> None:
    """Volume is adjusted for splits only (CRSP's and Yahoo's convention): across AAPL's 2:1
    split of 2005-02-28 the earlier volume doubles, and a dividend never changes a volume (IBM
    paid one every quarter and never split)."""
    params = {"start": "2005-02-25", "end": "2005-02-28", "adjusted": "true"}
    traded = api.get("/v1/bars/AAPL", params={**params, "adjusted": "false"}).json()["data"]
    adjusted = api.get("/v1/bars/AAPL", params=params).json()["data"]
    assert adjusted[0]["volume"] == 2 * traded[0]["volume"]  # 2005-02-25, before the split
    assert adjusted[1]["volume"] == traded[1]["volume"]  # the split day itself
    ibm = demo_project.query(
        "SELECT COUNT(*) AS n, SUM(CASE WHEN adj_volume = volume THEN 1 ELSE 0 END) AS same "
        "FROM silver.bars_daily WHERE ticker = 'IBM'"
    ).iloc[0]
    assert ibm["n"] > 3000 and ibm["same"] == ibm["n"]
    ibm_bars = api.get("/v1/bars/IBM", params={"end": "2001-12-31", "adjusted": "true"})
    raw = api.get("/v1/bars/IBM", params={"end": "2001-12-31"}).json()["data"]
    assert [b["volume"] for b in ibm_bars.json()["data"]] == [b["volume"] for b in raw]
