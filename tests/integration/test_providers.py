"""Yahoo and Polygon through the real CLI against local servers that speak their protocols and
serve the real bundled bars (tests/provider_servers.py). Nothing reaches the network: yfinance
runs as shipped, its requests redirected through the session MarketFlow gives it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from pytickersymbols import PyTickerSymbols

from pipelines.ingest import demo_data as demo
from pipelines.ingest.sources.web import Pacing
from pipelines.ingest.sources.yahoo import RedirectingSession, yahoo_source
from tests.conftest import Project, make_project
from tests.provider_data import API_KEY, LISTED_NAMES, split_factor_after
from tests.provider_servers import MarketServer

TICKERS = ["AAPL", "MSFT", "IBM", "GOOG", "FB"]
FAST = {
    "requests_per_second": 200,
    "workers": 2,
    "retries": 3,
    "backoff_seconds": 0.01,
    "max_backoff_seconds": 0.05,
    "timeout_seconds": 10,
}


@pytest.fixture
def server() -> Iterator[MarketServer]:
    s = MarketServer().start()
    yield s
    s.stop()


def provider_project(root, server: MarketServer, provider: str, **settings) -> Project:
    tickers = settings.pop("tickers", TICKERS)
    if provider == "polygon":
        settings.setdefault("page_limit", 1000)  # several pages per ticker: next_url is followed
    entry = {"type": provider, "base_url": server.url, "pacing": FAST} | settings
    project = make_project(
        root,
        {
            "universe": {"tickers": tickers},
            "intervals": {"1d": provider},
            "providers": {provider: entry},
        },
        variables={"adjustment": {"dividend_method": "ex_close"}},  # Quandl's Adj Close convention
    )
    if provider == "polygon":
        project.env["POLYGON_API_KEY"] = API_KEY
    return project


def as_traded_silver(project: Project) -> pd.DataFrame:
    return project.query(
        "SELECT ticker, CAST(session_date AS VARCHAR) AS day, open, high, low, close, volume, "
        "adj_close, provider_adj_close FROM silver.bars_daily ORDER BY ticker, session_date"
    )


def assert_matches_source(project: Project, server: MarketServer) -> None:
    """Silver's as-traded bars equal the source's; adj_close tracks the vendor's Adj Close."""
    silver = as_traded_silver(project)
    source = server.bars.sort_values(["ticker", "day"]).reset_index(drop=True)
    assert len(silver) == len(source)
    for column in ("open", "high", "low", "close", "volume"):
        np.testing.assert_allclose(silver[column], source[column], rtol=1e-9, err_msg=column)
    # Quandl's Adj Close also holds actions after 2013: a constant factor per ticker.
    for ticker, g in silver.groupby("ticker"):
        ratio = (g["adj_close"] / g["provider_adj_close"]).to_numpy()
        np.testing.assert_allclose(ratio, ratio[-1], rtol=1e-6, err_msg=ticker)


def actions_of(project: Project) -> pd.DataFrame:
    return project.query(
        "SELECT ticker, CAST(ex_date AS VARCHAR) AS ex_date, action, value "
        "FROM silver.corporate_actions ORDER BY ticker, ex_date, action"
    )


def expected_actions(server: MarketServer) -> pd.DataFrame:
    return server.actions.sort_values(["ticker", "ex_date", "action"]).reset_index(drop=True)


@pytest.mark.parametrize("provider", ["yahoo", "polygon"])
def test_provider_loads_the_source_bars_and_actions(tmp_path, server, provider) -> None:
    project = provider_project(tmp_path, server, provider)
    result = project.cli("run", "--interval", "1d", "--provider", provider, "--as-of", "2013-03-01")
    assert "ticker(s) failed" not in result.stderr

    # Bronze holds the provider's own values and basis.
    bronze = project.query(
        "SELECT ticker, close, volume, price_basis FROM bronze.bars ORDER BY ticker, ts"
    )
    source = server.bars.sort_values(["ticker", "day"]).reset_index(drop=True)
    if provider == "yahoo":  # split-adjusted, as Yahoo serves it
        factor = split_factor_after(source, server.actions)
        np.testing.assert_allclose(bronze["close"], source["close"] / factor, rtol=1e-12)
        assert set(bronze["price_basis"]) == {"split_adjusted"}
    else:
        np.testing.assert_allclose(bronze["close"], source["close"], rtol=1e-12)
        assert set(bronze["price_basis"]) == {"raw"}
        assert len(server.requests("/v2/aggs")) > len(TICKERS)  # pages followed via next_url

    # Silver: as-traded bars and every action, whatever the basis.
    assert_matches_source(project, server)
    got, want = actions_of(project), expected_actions(server)
    assert got[["ticker", "ex_date", "action"]].equals(want[["ticker", "ex_date", "action"]])
    np.testing.assert_allclose(got["value"], want["value"], rtol=1e-9)


BAR_PATHS = {"yahoo": "/v8/finance/chart/{}", "polygon": "/v2/aggs/ticker/{}/"}


@pytest.mark.parametrize("provider", ["yahoo", "polygon"])
def test_rate_limits_and_server_errors_are_retried(tmp_path, server, provider) -> None:
    server.faults.before["MSFT"] = [429, 500, 429]
    server.faults.before["IBM"] = [503]
    project = provider_project(tmp_path, server, provider, tickers=["AAPL", "MSFT", "IBM"])
    result = project.cli("run", "--interval", "1d", "--provider", provider, "--as-of", "2013-03-01")
    assert "ticker(s) failed" not in result.stderr
    if provider == "yahoo":  # our tenacity loop says so; dlt's client retries silently
        assert "attempt 1 failed" in result.stdout
    statuses = [status for _, _, status in server.requests(BAR_PATHS[provider].format("MSFT"))]
    assert statuses[:3] == [429, 500, 429] and statuses[3] == 200
    counts = project.query("SELECT ticker, COUNT(*) AS n FROM bronze.bars GROUP BY ticker")
    expected = server.bars.groupby("ticker").size()
    assert {r.ticker: r.n for r in counts.itertuples()} == {
        t: expected[t] for t in ["AAPL", "MSFT", "IBM"]
    }


@pytest.mark.parametrize("provider", ["yahoo", "polygon"])
def test_a_failing_ticker_is_named_and_the_others_load(tmp_path, server, provider) -> None:
    server.faults.always["MSFT"] = 500
    server.faults.malformed.add("IBM")
    project = provider_project(tmp_path, server, provider, tickers=["AAPL", "MSFT", "IBM", "ZZZZ"])
    result = project.cli(
        "run", "--interval", "1d", "--provider", provider, "--as-of", "2013-03-01", check=False
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ticker(s) failed" in result.stderr
    for ticker in ("MSFT", "IBM"):
        assert f"{ticker} ({provider} 1d)" in result.stderr
    if provider == "yahoo":
        assert "ZZZZ (yahoo 1d): PermanentError: unknown or delisted symbol" in result.stderr
    else:  # Polygon answers an unknown symbol with no results: a warning names it
        assert "polygon 1d ZZZZ: no bars for 2000-01-01..2013-03-01" in result.stdout
    # The ticker that succeeded went all the way to gold.
    loaded = project.query("SELECT DISTINCT ticker FROM gold.daily_features")["ticker"].tolist()
    assert loaded == ["AAPL"]


def test_failures_within_the_threshold_do_not_fail_the_run(tmp_path, server) -> None:
    project = provider_project(
        tmp_path, server, "yahoo", tickers=["AAPL", "ZZZZ"], max_failed_tickers=1
    )
    result = project.cli("run", "--interval", "1d", "--provider", "yahoo", "--as-of", "2013-03-01")
    assert "ZZZZ (yahoo 1d)" in result.stderr and "within providers" in result.stderr


def first_day_asked(server: MarketServer, provider: str, ticker: str) -> date:
    path, query, _ = server.requests(BAR_PATHS[provider].format(ticker))[-1]
    if provider == "yahoo":
        return datetime.fromtimestamp(int(query["period1"][0]), UTC).date()
    return date.fromisoformat(path.split("/")[-2])  # /v2/aggs/ticker/T/range/1/day/FROM/TO


@pytest.mark.parametrize("provider", ["yahoo", "polygon"])
def test_a_restated_bar_replaces_the_old_value(tmp_path, server, provider) -> None:
    project = provider_project(tmp_path, server, provider, tickers=["AAPL"])
    project.cli("run", "--interval", "1d", "--provider", provider, "--as-of", "2013-02-22")
    before = project.scalar(
        "SELECT close FROM silver.bars_daily WHERE session_date = DATE '2013-02-21'"
    )
    server.overrides[("AAPL", "2013-02-21")] = {"close": 447.0, "low": 440.0}
    project.cli("run", "--interval", "1d", "--provider", provider, "--as-of", "2013-03-01")
    # The second run asked again from restatement_lag (5) sessions before its latest bar.
    assert first_day_asked(server, provider, "AAPL") == date(2013, 2, 15)
    after = project.query(
        "SELECT close, low FROM silver.bars_daily WHERE session_date = DATE '2013-02-21'"
    )
    assert before != 447.0 and after.iloc[0].tolist() == [447.0, 440.0]
    assert project.scalar("SELECT COUNT(*) FROM bronze.bars") == len(
        server.bars[server.bars["ticker"] == "AAPL"]
    )


def test_yahoo_minute_bars_come_in_windows_of_at_most_seven_days(tmp_path, server) -> None:
    days = ["2013-02-19", "2013-02-20", "2013-02-25", "2013-02-26", "2013-02-28"]  # SYNTHETIC
    server.minute_days["AAPL"] = days
    project = provider_project(tmp_path, server, "yahoo", tickers=["AAPL"])
    result = project.cli(
        "backfill",
        "--interval",
        "1m",
        "--provider",
        "yahoo",
        "--start",
        "2013-01-02",
        "--end",
        "2013-02-28",
        "--as-of",
        "2013-02-28T16:30:00-05:00",
        check=False,
    )
    # The server has minutes for five of the eight sessions: the run's checks name the gap.
    assert result.returncode == 3 and "no missing minute sessions" in result.stdout
    # Windows older than Yahoo's 30 days are skipped with a warning naming them.
    assert "skipped 2013-01-02..2013-01-08" in result.stdout
    asked = [
        (
            datetime.fromtimestamp(int(q["period1"][0]), UTC),
            datetime.fromtimestamp(int(q["period2"][0]), UTC),
        )
        for _, q, _ in server.requests("/v8/finance/chart/AAPL")
        if q.get("interval") == ["1m"] and "period1" in q
    ]
    assert asked and all((end - start).days <= 7 for start, end in asked)
    assert min(start for start, _ in asked).date() >= date(2013, 1, 30)
    bars = project.query("SELECT ts FROM bronze.bars WHERE interval = '1m'")
    assert len(bars) == 390 * len(days)


def test_polygon_minute_aggregates_load_across_pages(tmp_path, server) -> None:
    days = ["2013-02-19", "2013-02-20", "2013-02-21"]  # SYNTHETIC minutes of real days
    server.minute_days["AAPL"] = days
    project = provider_project(tmp_path, server, "polygon", tickers=["AAPL"])
    project.cli(
        "backfill",
        "--interval",
        "1m",
        "--provider",
        "polygon",
        "--start",
        days[0],
        "--end",
        days[-1],
        "--as-of",
        "2013-02-21T16:30:00-05:00",
    )
    asked = server.requests("/v2/aggs/ticker/AAPL/range/1/minute/")
    assert len(asked) == 2  # 1,170 minutes at 1,000 a page: next_url was followed
    got = project.query(
        "SELECT ts, open, high, low, close, volume FROM bronze.bars WHERE interval = '1m' "
        "ORDER BY ts"
    )
    want = server.minutes("AAPL", date(2013, 2, 19), date(2013, 2, 21))
    assert len(got) == len(want) == 390 * len(days)
    want_ts = pd.to_datetime(want["Date"].tolist(), utc=True)
    assert (pd.DatetimeIndex(got["ts"]).tz_convert("UTC") == want_ts).all()
    for ours, theirs in [("open", "Open"), ("high", "High"), ("low", "Low"), ("close", "Close")]:
        np.testing.assert_allclose(got[ours], want[theirs], rtol=1e-12, err_msg=ours)
    np.testing.assert_allclose(got["volume"], want["Volume"], rtol=1e-12)


def test_yahoo_source_uses_the_session_it_is_given(server, tmp_path) -> None:
    """The module's own API: every yfinance call goes through the caller's session."""

    class CountingSession(RedirectingSession):
        calls = 0

        def request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            CountingSession.calls += 1
            return super().request(*args, **kwargs)

    source = yahoo_source(
        ["IBM"],
        "1d",
        date(2012, 1, 1),
        date(2012, 12, 31),
        session=CountingSession(server.url),
        pacing=Pacing(**FAST),
        cache_dir=str(tmp_path / "yf"),
    )
    bars = list(source.resources["bars"])
    assert sum(t.num_rows for t in bars) == 250  # IBM's 2012 sessions
    assert CountingSession.calls >= 1 and len(server.requests("/v8/finance/chart/IBM")) >= 1


def test_universe_from_an_index_lands_in_silver_tickers(tmp_path) -> None:
    project = make_project(tmp_path, {"universe": {"tickers": TICKERS, "indices": ["DOW JONES"]}})
    demo.stage(project.drop)
    project.cli("run", "--as-of", "2026-11-20")
    tickers = project.query("SELECT * FROM silver.tickers ORDER BY ticker")
    dow = {s["symbol"] for s in PyTickerSymbols().get_stocks_by_index("DOW JONES")}
    assert set(tickers["ticker"]) == set(TICKERS) | dow
    ibm = tickers[tickers["ticker"] == "IBM"].iloc[0]
    assert ibm["listed_in_config"] and ibm["indices"] == "DOW JONES"
    assert ibm["first_session"].date() == date(2000, 3, 1)
    sector = dict(zip(tickers["ticker"], tickers["sector"], strict=True))
    assert sector["JPM"] == "Financials"  # tagged with the GICS name itself
    assert sector["AAPL"] == "Information Technology"  # tagged "Technology"
    assert sector["KO"] == "Consumer Staples"  # tagged "Consumer Non-Cyclicals"
    assert sector["NKE"] is None  # no sector among its tags: none is invented


def test_polygon_daily_bars_by_session_in_one_request_per_session(tmp_path, server) -> None:
    """Grouped Daily: one request per XNYS session of the window for the whole universe, the
    actions in two date-ranged queries; bronze and silver hold what the per-ticker path holds:
    the source's bars of the universe (FB, outside it, is dropped) and their actions."""
    universe = ["AAPL", "GOOG", "IBM", "MSFT"]
    project = provider_project(
        tmp_path, server, "polygon", tickers=universe, daily_requests="per_session",
        history_start="2012-01-03", page_limit=50000,
    )  # fmt: skip
    project.cli("run", "--interval", "1d", "--as-of", "2013-03-01")

    sessions = xcals.get_calendar("XNYS").sessions_in_range("2012-01-03", "2013-03-01")
    grouped = server.requests("/v2/aggs/grouped/")
    assert sorted(path.rsplit("/", 1)[1] for path, _, _ in grouped) == [
        d.date().isoformat() for d in sessions
    ]
    assert server.requests("/v2/aggs/ticker/") == []
    ranged = [q for path, q, _ in server.requests("/v3/reference/")]
    assert len(ranged) == 2 and all("ticker" not in q for q in ranged)

    source = server.bars[
        server.bars["ticker"].isin(universe) & (server.bars["day"] >= "2012-01-03")
    ]
    source = source.sort_values(["ticker", "day"]).reset_index(drop=True)
    silver = as_traded_silver(project)
    assert list(silver["ticker"] + silver["day"]) == list(source["ticker"] + source["day"])
    for column in ("open", "high", "low", "close", "volume"):
        np.testing.assert_allclose(silver[column], source[column], rtol=1e-12, err_msg=column)
    want = expected_actions(server)
    want = want[want["ticker"].isin(universe) & (want["ex_date"] >= "2012-01-03")]
    want = want[want["ex_date"] <= "2013-03-01"].reset_index(drop=True)
    got = actions_of(project)
    assert got[["ticker", "ex_date", "action"]].equals(want[["ticker", "ex_date", "action"]])
    np.testing.assert_allclose(got["value"], want["value"], rtol=1e-9)


def test_a_universe_of_every_listed_ticker_loads_the_whole_market(tmp_path, server) -> None:
    """universe.listed: Polygon's reference tickers, paged (the server pages by two), are the
    universe; Grouped Daily loads every ticker the server knows, with the listing's names and
    types in the tickers tables; the listing is kept in the raw store, and a run that cannot
    read it uses the latest kept, and says so."""
    entry = {"type": "polygon", "base_url": server.url, "pacing": FAST,
             "daily_requests": "per_session", "history_start": "2012-06-01"}  # fmt: skip
    project = make_project(
        tmp_path,
        {
            "universe": {"tickers": [], "listed": {"provider": "polygon", "types": ["CS"]}},
            "intervals": {"1d": "polygon"},
            "providers": {"polygon": entry},
        },
    )
    project.env["POLYGON_API_KEY"] = API_KEY
    first = project.cli("run", "--interval", "1d", "--as-of", "2013-03-01")
    assert "universe.listed: 5 tickers" in first.stdout, first.stdout

    known = sorted(server.bars["ticker"].unique())
    pages = server.requests("/v3/reference/tickers")
    assert len(pages) == 3 and all(code == 200 for _, _, code in pages)
    tickers = project.query("SELECT ticker, name FROM silver.tickers ORDER BY ticker")
    assert list(tickers["ticker"]) == known
    assert dict(zip(tickers["ticker"], tickers["name"], strict=True)) == LISTED_NAMES
    assert set(project.query("SELECT security_type FROM bronze.tickers")["security_type"]) == {"CS"}
    loaded = project.query("SELECT DISTINCT ticker FROM silver.bars_daily ORDER BY ticker")
    assert list(loaded["ticker"]) == known  # every ticker the server knows, FB included
    source = server.bars[server.bars["day"].between("2012-06-01", "2013-03-01")]
    assert project.scalar("SELECT COUNT(*) FROM silver.bars_daily") == len(source)

    kept = sorted((project.raw / "_listings" / "polygon").glob("*.parquet"))
    assert len(kept) == 1 and pq.read_table(kept[0]).column("ticker").to_pylist() == known

    server.listing_down = True
    second = project.cli("run", "--interval", "1d", "--as-of", "2013-03-01")
    assert "listing could not be read (503 Server Error" in second.stdout, second.stdout
    assert f"the latest kept is used (_listings/polygon/{kept[0].name})" in second.stdout
    after = project.query("SELECT ticker FROM silver.tickers ORDER BY ticker")
    assert list(after["ticker"]) == known
