"""`marketflow backtest` and GET /v1/backtests/{ticker} on the demo warehouse agree."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from pipelines.config import load_project
from tests.conftest import Project


def test_command_and_route_agree(demo_project: Project, monkeypatch) -> None:
    out = demo_project.cli(
        "backtest", "--ticker", "aapl", "--strategy", "momentum", "--lookback", "20", "--json"
    )
    printed = json.loads(out.stdout)
    for name, value in demo_project.env.items():
        monkeypatch.setenv(name, value)
    with TestClient(create_app(load_project(demo_project.config))) as api:
        served = api.get(
            "/v1/backtests/AAPL", params={"strategy": "momentum", "lookback": 20}
        ).json()
        assert api.get("/v1/backtests/ZZZZ").status_code == 404
        bad = api.get("/v1/backtests/AAPL", params={"fast": 200, "slow": 50})
        assert bad.status_code == 422 and bad.json()["error"]["parameter"] == "fast"
    assert served["metrics"].keys() == printed["metrics"].keys()
    for key, value in printed["metrics"].items():
        if isinstance(value, float):
            assert served["metrics"][key] == pytest.approx(value, rel=1e-12), key
        else:
            assert served["metrics"][key] == value, key
    assert len(served["equity"]) == printed["metrics"]["sessions"] == 3270
    table = demo_project.cli("backtest", "--ticker", "AAPL")  # SMA 50/200
    assert "total_return" in table.stdout and "max_drawdown_trough" in table.stdout
