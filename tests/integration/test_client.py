"""The Python client on the demo warehouse, both backends: locally (a config.yaml) and over
HTTP (a real `marketflow serve`), the same frames, equal to the warehouse read directly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest

from marketflow import client
from pipelines.config import ParameterError
from tests.conftest import REPO, Project, free_port
from tests.integration.conftest import holding


@pytest.fixture(scope="module")
def served(demo_project: Project):
    """`marketflow serve` on the demo warehouse: its base URL."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "--config", str(demo_project.config), "serve",
         "--port", str(port)],
        cwd=REPO, env={**os.environ, **demo_project.env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/v1/tickers", timeout=10):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not start: {server.stderr.read()}") from None
            time.sleep(0.3)
    yield base
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(30)


@pytest.fixture
def local(demo_project: Project, monkeypatch):
    for name, value in demo_project.env.items():
        monkeypatch.setenv(name, value)
    with client.connect(demo_project.config) as c:
        yield c


@pytest.fixture
def remote(served: str):
    with client.connect(served) as c:
        yield c


def test_bars_locally_and_over_http_equal_the_warehouse(local, remote, demo_project) -> None:
    asked = dict(tickers=["AAPL", "ibm"], start="2005-01-01", end="2005-12-31", adjusted=True)
    here, there = local.bars(**asked), remote.bars(**asked)
    pd.testing.assert_frame_equal(here, there)  # same columns, dtypes and values
    assert dict(here.dtypes.astype(str)) == {
        "ticker": "object", "session_date": "datetime64[ms]", "open": "float64",
        "high": "float64", "low": "float64", "close": "float64", "volume": "int64",
    }  # fmt: skip
    expected = demo_project.query(
        "SELECT ticker, session_date, adj_close, adj_volume FROM silver.bars_daily "
        "WHERE ticker IN ('AAPL', 'IBM') AND session_date BETWEEN '2005-01-01' AND '2005-12-31' "
        "ORDER BY ticker, session_date"
    )
    assert here["ticker"].tolist() == expected["ticker"].tolist()
    assert here["session_date"].tolist() == pd.to_datetime(expected["session_date"]).tolist()
    assert np.allclose(here["close"], expected["adj_close"], rtol=1e-12, atol=0)
    whole = np.floor(expected["adj_volume"].astype(float) + 0.5).astype("int64")
    assert here["volume"].tolist() == whole.tolist()
    # AAPL's 2:1 split of 2005-02-28: the volume before it doubles when adjusted.
    traded = local.bars("AAPL", "2005-02-25", "2005-02-25")
    assert (
        here.loc[here["session_date"] == "2005-02-25", "volume"].iloc[0]
        == 2 * traded["volume"].iloc[0]
    )


def test_minutes_and_features_locally_and_over_http(local, remote, demo_project) -> None:
    asked = dict(tickers="IBM", start="2012-11-23", end="2012-11-23", interval="1m")
    here, there = local.bars(**asked), remote.bars(**asked)
    pd.testing.assert_frame_equal(here, there)
    assert str(here["ts"].dtype) == "datetime64[us, UTC]" and len(here) == 210  # early close
    expected = demo_project.query(
        "SELECT ts, close FROM silver.bars_1m WHERE ticker = 'IBM' "
        "AND session_date = '2012-11-23' ORDER BY ts"
    )
    assert here["ts"].tolist() == pd.to_datetime(expected["ts"], utc=True).tolist()
    assert np.allclose(here["close"], expected["close"], rtol=1e-12)

    fields = ["rsi_14", "vwap_source"]
    here = local.features(None, start="2013-01-01", fields=fields)
    pd.testing.assert_frame_equal(here, remote.features(None, start="2013-01-01", fields=fields))
    expected = demo_project.query(
        "SELECT ticker, rsi_14, vwap_source FROM gold.daily_features "
        "WHERE session_date >= '2013-01-01' ORDER BY ticker, session_date"
    )
    assert list(here.columns) == ["ticker", "session_date", *fields]
    assert here["vwap_source"].tolist() == expected["vwap_source"].tolist()
    assert np.allclose(here["rsi_14"], expected["rsi_14"], rtol=1e-12, equal_nan=True)
    assert local.tickers()["ticker"].tolist() == remote.tickers()["ticker"].tolist()


@pytest.mark.parametrize(
    ("call", "parameter", "status"),
    [
        (lambda c: c.bars("ZZZZ"), "tickers", 404),
        (lambda c: c.bars("AAPL", start="2005-13-01"), "start", 422),
        (lambda c: c.bars("AAPL", start="2006-01-01", end="2005-01-01"), "end", 422),
        (lambda c: c.features("AAPL", fields=["password"]), "fields", 422),
    ],
)
def test_a_bad_parameter_is_the_same_error_both_ways(local, remote, call, parameter, status):
    for c in (local, remote):
        with pytest.raises(ParameterError) as raised:
            call(c)
        assert (raised.value.parameter, raised.value.status) == (parameter, status)


def test_arrow_output_is_the_same_table(local, remote) -> None:
    here = local.bars("MSFT", "2012-01-01", "2012-03-31", output="arrow")
    assert here.equals(remote.bars("MSFT", "2012-01-01", "2012-03-31", output="arrow"))
    sessions = xcals.get_calendar("XNYS").sessions_in_range("2012-01-01", "2012-03-31")
    assert here.column("session_date").to_pylist() == [d.date() for d in sessions]


def test_a_local_client_reads_while_a_run_holds_the_duckdb_file(new_project, demos, monkeypatch):
    """A run holds the warehouse file: a client started then reads the newest snapshot an
    earlier reader took (the API's, or an earlier client's), never waiting for the run."""
    project = new_project("duckdb")
    project.warehouse.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(demos["duckdb"].warehouse, project.warehouse)
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    with client.connect(project.config) as first:
        before = first.bars("AAPL", "2012-01-01", "2012-12-31")  # takes the snapshot
    with holding(project.warehouse):
        started = time.monotonic()
        with client.connect(project.config) as during:
            pd.testing.assert_frame_equal(during.bars("AAPL", "2012-01-01", "2012-12-31"), before)
        assert time.monotonic() - started < 10
