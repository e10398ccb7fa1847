"""Reconciliation across providers through the real CLI: Polygon's test server is the primary,
Yahoo's the secondary, both serving the real bundled bars (tests/provider_servers.py), Yahoo's
with planted divergences. Each is found with its reason code, nothing on the clean sessions,
the agreement rate is the API's; with the policy `refuse` the contradicted bars are quarantined.
The expected verdicts are the plants themselves, listed by hand."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import BACKENDS, Project
from tests.integration.conftest import client_for
from tests.integration.test_providers import FAST
from tests.provider_data import API_KEY
from tests.provider_servers import MarketServer

TICKERS = ["AAPL", "MSFT", "IBM", "GOOG"]
START, END = "2005-01-03", "2005-03-31"
# What the secondary (Yahoo) gets wrong, and the verdict each must get.
UNIT_DAY = ("MSFT", "2005-03-15")  # every price 100x: a unit error
OUTLIER_DAY = ("IBM", "2005-03-10")  # the close 5 % higher, that day alone
ROUNDED_DAY = ("IBM", "2005-03-21")  # the close 3 bps higher: within 5 bps, agrees
MISSING_DAY = ("GOOG", "2005-02-15")  # not sent at all
AAPL_SPLIT = "2005-02-28"  # Yahoo misses AAPL's 2:1 split: its earlier prices are not halved


@pytest.fixture
def servers() -> Iterator[tuple[MarketServer, MarketServer]]:
    primary, secondary = MarketServer().start(), MarketServer().start()
    bars = secondary.bars
    day = (bars["ticker"] == UNIT_DAY[0]) & (bars["day"] == UNIT_DAY[1])
    secondary.overrides[UNIT_DAY] = {p: bars.loc[day, p].item() * 100 for p in PRICES}
    day = (bars["ticker"] == OUTLIER_DAY[0]) & (bars["day"] == OUTLIER_DAY[1])
    close = bars.loc[day, "close"].item() * 1.05
    secondary.overrides[OUTLIER_DAY] = {
        "close": close,
        "high": max(close, bars.loc[day, "high"].item()),
    }
    day = (bars["ticker"] == ROUNDED_DAY[0]) & (bars["day"] == ROUNDED_DAY[1])
    secondary.overrides[ROUNDED_DAY] = {"close": bars.loc[day, "close"].item() * 1.0003}
    missing = (bars["ticker"] == MISSING_DAY[0]) & (bars["day"] == MISSING_DAY[1])
    secondary.bars = bars[~missing].reset_index(drop=True)
    actions = secondary.actions
    secondary.actions = actions[
        ~((actions["ticker"] == "AAPL") & (actions["ex_date"] == AAPL_SPLIT))
    ]
    yield primary, secondary
    primary.stop()
    secondary.stop()


PRICES = ("open", "high", "low", "close")


def reconciled_project(new_project, backend: str, servers, policy: str = "flag") -> Project:
    primary, secondary = servers
    settings = {
        "universe": {"tickers": TICKERS},
        "intervals": {"1d": "polygon"},
        "providers": {
            "polygon": {"type": "polygon", "base_url": primary.url, "pacing": FAST},
            "yahoo": {"type": "yahoo", "base_url": secondary.url, "pacing": FAST},
        },
    }
    variables = {
        "adjustment": {"dividend_method": "ex_close"},
        "reconciliation": {"1d": {"secondaries": ["yahoo"], "policy": policy}},
    }
    project = new_project(backend, settings, variables)
    project.env["POLYGON_API_KEY"] = API_KEY
    return project


def backfill(project: Project) -> None:
    project.cli("backfill", "--start", START, "--end", END, "--as-of", "2005-04-01", check=False)


def expected_disagreements(servers) -> set[tuple[str, str, str]]:
    primary, _ = servers
    bars = primary.bars
    aapl = bars[(bars["ticker"] == "AAPL") & (bars["day"] >= START) & (bars["day"] < AAPL_SPLIT)]
    return {("AAPL", day, "split_ratio") for day in aapl["day"]} | {
        (*UNIT_DAY, "unit_ratio"),
        (*OUTLIER_DAY, "outlier"),
        (*MISSING_DAY, "missing_secondary"),
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_planted_divergences_are_found_with_their_reason_and_nothing_else(
    new_project, backend, servers, monkeypatch
) -> None:
    project = reconciled_project(new_project, backend, servers)
    backfill(project)
    found = project.query(
        "SELECT ticker, CAST(session_date AS VARCHAR) AS day, reason, agrees, outlier_side, "
        "ratio, primary_source, secondary FROM silver.reconciliation ORDER BY ticker, day"
    )
    primary = servers[0].bars
    window = primary[(primary["day"] >= START) & (primary["day"] <= END)]
    window = window[window["ticker"].isin(TICKERS)]
    assert len(found) == len(window)  # every session of every ticker compared once
    assert set(found["primary_source"]) == {"polygon"} and set(found["secondary"]) == {"yahoo"}
    disagreeing = found.loc[~found["agrees"], ["ticker", "day", "reason"]]
    assert set(disagreeing.itertuples(index=False, name=None)) == expected_disagreements(servers)
    assert (found.loc[found["agrees"], "reason"] == "agree").all()
    by_day = found.set_index(["ticker", "day"])
    assert by_day.loc[OUTLIER_DAY, "outlier_side"] == "secondary"
    assert by_day.loc[OUTLIER_DAY, "ratio"] == pytest.approx(1.05, rel=1e-9)
    assert by_day.loc[UNIT_DAY, "ratio"] == pytest.approx(100, rel=1e-9)
    assert by_day.loc[ROUNDED_DAY, "reason"] == "agree"
    assert by_day.loc[("AAPL", "2005-02-25"), "ratio"] == pytest.approx(2, rel=1e-9)
    assert by_day.loc[("AAPL", AAPL_SPLIT), "reason"] == "agree"

    # Policy flag: the primary's bars all stay in silver; the rate is on /health.
    silver = project.scalar("SELECT COUNT(*) FROM silver.bars_daily")
    assert silver == len(window)
    with client_for(project, monkeypatch) as api:
        health = api.get("/health")
    assert health.status_code == 200, health.text
    (pair,) = health.json()["reconciliation"]
    agreed = len(found) - len(expected_disagreements(servers))
    assert pair == {
        "interval": "1d",
        "primary_source": "polygon",
        "secondary": "yahoo",
        "compared": len(found),
        "agreed": agreed,
        "agreement_rate": pytest.approx(agreed / len(found)),
    }


def test_policy_refuse_quarantines_the_contradicted_bars(new_project, servers) -> None:
    project = reconciled_project(new_project, "duckdb", servers, policy="refuse")
    backfill(project)
    refused = project.query(
        "SELECT ticker, CAST(bar_date AS VARCHAR) AS day FROM silver.quarantine "
        "WHERE reason = 'providers disagree' ORDER BY ticker, day"
    )
    # Missing at the secondary is flagged, not refused: the primary's bar is no less good.
    expected = {
        (t, d) for t, d, why in expected_disagreements(servers) if why != "missing_secondary"
    }
    assert set(refused.itertuples(index=False, name=None)) == expected
    kept = project.query(
        "SELECT ticker, CAST(session_date AS VARCHAR) AS day FROM silver.bars_daily"
    )
    kept_keys = set(kept.itertuples(index=False, name=None))
    assert not expected & kept_keys and MISSING_DAY in kept_keys
