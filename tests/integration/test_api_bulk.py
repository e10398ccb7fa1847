"""The API's many-ticker routes and its columnar answers (CSV, Parquet, Arrow) on the demo
warehouse, both backends: each equal to silver and gold read directly, paging across tickers,
the Accept header and the row cap."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as pa_ipc
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.conftest import Project
from tests.integration.conftest import with_api_settings

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
