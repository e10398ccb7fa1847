"""The read-only API on the demo warehouse, both backends: every route against the warehouse
queried directly, every error naming its parameter, pagination, SQL injection, a busy DuckDB
file, and schemathesis over the OpenAPI schema."""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as pa_ipc
import pyarrow.parquet as pq
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from api.main import create_app
from pipelines.config import load_project
from tests.conftest import Project

INJECTIONS = (
    "AAPL' OR '1'='1",
    "AAPL; DROP TABLE silver.tickers; --",
    'AAPL") UNION SELECT * FROM ops.runs --',
    "1 OR 1=1",
)


def client_for(project: Project, monkeypatch) -> TestClient:
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    return TestClient(create_app(load_project(project.config)))


@pytest.fixture
def api(demo_project: Project, monkeypatch) -> TestClient:
    with client_for(demo_project, monkeypatch) as client:
        yield client


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


def with_api_settings(project: Project, **settings):
    """The demo project's loaded config with some api: settings changed."""
    loaded = load_project(project.config)
    api_settings = loaded.settings.api.model_copy(update=settings)
    return dataclasses.replace(
        loaded, settings=loaded.settings.model_copy(update={"api": api_settings})
    )


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
        holder = subprocess.Popen(
            [sys.executable, "-c",
             f"import duckdb, time; c = duckdb.connect({str(project.warehouse)!r}); "
             "print('held', flush=True); time.sleep(60)"],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert holder.stdout.readline().strip() == "held"
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
        finally:
            holder.kill()
            holder.wait()


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


# ------------------------------------------------------------------ many tickers, columnar

YEAR = {"start": "2012-01-01", "end": "2012-12-31"}


def expected_daily(demo_project: Project, adjusted: bool) -> pd.DataFrame:
    """silver.bars_daily read directly, adjusted by its own columns, volume to whole shares
    (half up) computed here in pandas."""
    prefix = "adj_" if adjusted else ""
    frame = demo_project.query(
        f"SELECT ticker, session_date, {prefix}open AS open, {prefix}high AS high, "
        f"{prefix}low AS low, {prefix}close AS close, {prefix}volume AS volume "
        "FROM silver.bars_daily WHERE session_date BETWEEN '2012-01-01' AND '2012-12-31' "
        "ORDER BY ticker, session_date"
    )
    frame["volume"] = np.floor(frame["volume"].astype(float) + 0.5).astype("int64")
    frame["session_date"] = pd.to_datetime(frame["session_date"]).dt.date
    return frame.reset_index(drop=True)


def as_frame(response, fmt: str) -> pd.DataFrame:
    assert response.status_code == 200, response.text
    body = io.BytesIO(response.content)
    if fmt == "parquet":
        table = pq.read_table(body)
    elif fmt == "arrow":
        table = pa_ipc.open_stream(body).read_all()
    else:
        frame = pd.read_csv(body, dtype={"ticker": str})
        frame["session_date"] = pd.to_datetime(frame["session_date"]).dt.date
        return frame
    assert table.schema.field("volume").type == pa.int64()
    assert table.schema.field("session_date").type == pa.date32()
    return table.to_pandas()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "arrow"])
def test_a_year_of_every_ticker_comes_whole_in_each_format(api, demo_project, fmt) -> None:
    expected = expected_daily(demo_project, adjusted=True)
    response = api.get("/v1/bars", params={**YEAR, "adjusted": "true", "format": fmt})
    assert response.headers["x-row-count"] == str(len(expected))
    got = as_frame(response, fmt)
    assert list(got.columns) == list(expected.columns)
    assert got["ticker"].tolist() == expected["ticker"].tolist()
    assert got["session_date"].tolist() == expected["session_date"].tolist()
    assert got["volume"].tolist() == expected["volume"].tolist()
    for column in ("open", "high", "low", "close"):
        assert np.allclose(got[column], expected[column], rtol=1e-12, atol=0), column


def test_the_accept_header_chooses_the_format(api) -> None:
    parquet = api.get(
        "/v1/bars/AAPL", params=YEAR, headers={"Accept": "application/vnd.apache.parquet"}
    )
    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == 250
    csv = api.get("/v1/features", params={**YEAR, "tickers": "IBM"}, headers={"Accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("ticker,session_date,adj_close,")


def test_many_tickers_page_by_ticker_then_session(api, demo_project) -> None:
    expected = expected_daily(demo_project, adjusted=False)
    expected = expected[expected["ticker"].isin(["AAPL", "IBM", "MSFT"])]
    rows, cursor, pages = [], None, 0
    while True:
        params = {**YEAR, "tickers": "msft,AAPL,IBM", "limit": 400}
        page = api.get("/v1/bars", params={**params, **({"cursor": cursor} if cursor else {})})
        body = page.json()
        rows += body["data"]
        pages += 1
        cursor = body["paging"]["next_cursor"]
        if cursor is None:
            break
    assert pages == 2 and len(rows) == len(expected) == 750  # 400 + 350: AAPL ends mid-page
    assert [(r["ticker"], r["session_date"], r["volume"]) for r in rows] == [
        (t, d.isoformat(), v)
        for t, d, v in zip(expected["ticker"], expected["session_date"], expected["volume"],
                           strict=True)
    ]  # fmt: skip


def test_minutes_and_features_of_many_tickers_as_parquet(api, demo_project) -> None:
    minutes = pq.read_table(
        io.BytesIO(api.get("/v1/bars", params={"interval": "1m", "format": "parquet"}).content)
    )
    assert minutes.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    expected = demo_project.query(
        "SELECT ticker, ts, volume FROM silver.bars_1m ORDER BY ticker, ts"
    )
    got = minutes.to_pandas()
    assert got["ticker"].tolist() == expected["ticker"].tolist()
    assert got["ts"].tolist() == pd.to_datetime(expected["ts"], utc=True).tolist()
    assert got["volume"].tolist() == expected["volume"].astype("int64").tolist()

    features = pq.read_table(
        io.BytesIO(
            api.get(
                "/v1/features", params={"fields": "rsi_14,vwap_source", "format": "parquet"}
            ).content
        )
    ).to_pandas()
    expected = demo_project.query(
        "SELECT ticker, rsi_14, vwap_source FROM gold.daily_features ORDER BY ticker, session_date"
    )
    assert features["vwap_source"].tolist() == expected["vwap_source"].tolist()
    assert np.allclose(features["rsi_14"], expected["rsi_14"], rtol=1e-12, equal_nan=True)


def test_a_columnar_answer_above_the_row_cap_is_refused(demo_project, monkeypatch) -> None:
    for name, value in demo_project.env.items():
        monkeypatch.setenv(name, value)
    capped = with_api_settings(demo_project, max_download_rows=1000)
    with TestClient(create_app(capped)) as api:
        refused = api.get("/v1/bars", params={**YEAR, "format": "parquet"})
        assert refused.status_code == 413
        message = refused.json()["error"]["message"]
        rows = len(expected_daily(demo_project, adjusted=False))
        assert message.startswith(f"this answer has {rows:,} rows, above api.max_download_rows")
        small = api.get("/v1/bars", params={**YEAR, "tickers": "AAPL", "format": "csv"})
        assert small.status_code == 200 and len(small.text.splitlines()) == 251
