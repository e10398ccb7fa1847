"""The Evidence report site: `marketflow report` on the demo warehouse, served on 127.0.0.1 and
driven through every page by headless Chromium (Debian's, through playwright-core:
reports/scripts/browse.mjs). Screenshots go to test-artifacts/report/."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import exchange_calendars as xcals
import pandas as pd
import pytest

from pipelines.analytics import backtest as bt
from pipelines.config import load_project
from tests.e2e.conftest import CHROMIUM, PAGES, stale_results

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="make test installs Debian's chromium"),
    # One worker builds the site for all of them (make test: --dist loadgroup).
    pytest.mark.xdist_group("report"),
]


def test_every_page_renders_locally_without_errors(site) -> None:
    _, build_dir, base, pages, _ = site
    assert list(pages) == PAGES
    for path, page in pages.items():
        assert page["consoleErrors"] == [] and page["pageErrors"] == [], path
        assert page["outside"] == [], path  # every request went to 127.0.0.1
        for failure in page["failedRequests"]:
            # Evidence cancels a prerendered answer's download once the page has it; a
            # cancelled request is for a file that is there. Anything else is a failure.
            url, reason = failure.rsplit(": ", 1)
            assert reason == "net::ERR_ABORTED", failure
            assert (build_dir / url.removeprefix(base + "/").split("?")[0]).is_file(), failure
        assert Path(page["screenshot"]).stat().st_size > 20_000, path


def test_the_public_site_carries_no_path_or_error_text(site) -> None:
    """ops.runs holds each run's arguments (the config's path) and error text; the site shows
    status and counts only: no built file names the project's folder."""
    project, build_dir, _, _, _ = site
    assert project.scalar("SELECT COUNT(*) FROM ops.runs WHERE arguments LIKE '%config.yaml%'")
    leaked = [
        str(f.relative_to(build_dir))
        for f in build_dir.rglob("*")
        if f.is_file() and str(project.root).encode() in f.read_bytes()
    ]
    assert not leaked, leaked
    assert not stale_results(build_dir)  # nor another build's (older) run log


def test_the_site_routes_only_its_own_pages(site) -> None:
    """Evidence's template brings a SQL console and a settings page (development tools); the
    patch removes them, so the client router knows no such route and nothing of them is built."""
    _, build_dir, _, _, _ = site
    routers = list((build_dir / "_app/immutable/entry").glob("app.*.js"))
    assert routers, "no client router in the build"
    for route in ("explore/console", "explore/schema", "settings"):
        assert not [f.name for f in routers if f'"/{route}"'.encode() in f.read_bytes()], route


def test_home_shows_the_warehouse_latest_close_and_last_run(site) -> None:
    project, _, _, pages, _ = site
    close = project.scalar("SELECT close FROM gold.latest_prices WHERE ticker = 'AAPL'")
    session = project.scalar("SELECT MAX(session_date) FROM gold.latest_prices")
    text = pages["/"]["text"]
    assert f"{close:,.2f}" in text and str(session.date()) in text
    last_run = project.query(
        "SELECT command, status FROM ops.runs WHERE command <> 'check' ORDER BY started_at DESC"
    )
    assert last_run.iloc[0].tolist() == ["demo", "ok"] and "demo" in text


def test_ticker_page_draws_its_charts_and_the_window_requeries(site) -> None:
    project, _, _, pages, _ = site
    page = pages["/tickers/AAPL/"]
    assert page["drawnCanvases"] >= 4  # candles + volume, RSI, MACD, Bollinger
    last = project.scalar("SELECT MAX(session_date) FROM gold.daily_features WHERE ticker='AAPL'")
    assert page["windowBefore"].startswith("252 sessions,"), page["windowBefore"]
    assert page["windowAfter"] != page["windowBefore"]
    assert page["windowAfter"].startswith("63 sessions,") and page["windowAfter"].endswith(
        str(last.date())
    )


def test_backtest_page_shows_the_metrics_of_the_shared_implementation(site) -> None:
    project, _, _, pages, _ = site
    text = pages["/backtests/"]["text"]
    # The page opens on the first ticker and on the rule `marketflow backtest` runs by default
    # (config.yaml's first): AAPL, SMA 50/200 crossover.
    params = bt.Params.from_settings(project_settings(project).backtest)
    bars = project.query(
        "SELECT session_date, adj_open, adj_close FROM silver.bars_daily WHERE ticker = 'AAPL' "
        "ORDER BY session_date"
    )
    metrics = bt.run(bars, params).metrics
    assert params.describe() in text
    assert f"{metrics['total_return']:,.1%}" in text
    assert f"{metrics['buy_and_hold_return']:,.1%}" in text
    assert f"{metrics['trades']}" in text
    assert pages["/backtests/"]["drawnCanvases"] >= 2  # price with signals, equity


def test_quality_intraday_returns_and_crossovers_show_real_rows(site) -> None:
    project, _, _, pages, _ = site
    passed = project.scalar(
        "SELECT COUNT(*) FROM ops.check_results WHERE status = 'pass' AND run_id = "
        "(SELECT run_id FROM ops.runs WHERE command <> 'check' ORDER BY started_at DESC LIMIT 1)"
    )
    quality = pages["/data-quality/"]["text"]
    assert re.search(rf"Passed\s+{passed}\s", quality), quality[:400]
    assert "no unexplained price steps" in quality
    assert "No bar is quarantined" in quality  # the demo's silver.quarantine is empty
    # The demo's real actions explain every step, and it compares no providers.
    assert project.scalar("SELECT COUNT(*) FROM silver.price_anomalies") == 0
    assert "No price anomaly" in quality and "No interval is reconciled" in quality
    vwap = project.scalar(
        "SELECT vwap FROM gold.intraday_sessions WHERE ticker = 'AAPL' ORDER BY session_date DESC"
    )
    assert f"{vwap:,.2f}" in pages["/intraday/"]["text"]
    assert pages["/intraday/"]["drawnCanvases"] >= 1  # VWAP by session; the minutes are SVG
    # gold's return statistics, not a second computation in the page.
    stats = project.query("SELECT volatility, cumulative_return FROM gold.return_stats "
                          "WHERE ticker = 'AAPL'").iloc[0]  # fmt: skip
    returns = pages["/returns/"]["text"]
    assert f"{stats['volatility']:.1%}" in returns, returns[:600]
    assert f"{stats['cumulative_return']:,.0%}" in returns
    latest_cross = project.scalar("SELECT MAX(session_date) FROM gold.ma_crossovers")
    assert str(latest_cross.date()) in pages["/crossovers/"]["text"]
    assert pages["/crossovers/"]["drawnCanvases"] >= 2


def chart_texts(page: dict, chart: str) -> list[str]:
    """The text an SVG chart shows (axis labels, legend), by the id around it."""
    found = [c["texts"] for c in page["svgCharts"] if c["id"] == chart]
    assert found, f"no SVG chart in #{chart}: {[c['id'] for c in page['svgCharts']]}"
    return found[0]


def percentages(texts: list[str]) -> list[float]:
    return [float(t.rstrip("%").replace(",", "").replace("−", "-")) for t in texts
            if re.fullmatch(r"[−-]?[\d,]+(\.\d+)?%", t)]  # fmt: skip


def test_the_returns_histogram_axis_reads_what_the_page_says(site) -> None:
    """The page buckets daily returns within ±15 %: the axis labels must say so (a percent
    column formatted as a fraction read −1,500 % … 2,000 %)."""
    _, _, _, pages, _ = site
    ticks = percentages(chart_texts(pages["/returns/"], "returns-histogram"))
    assert len(ticks) >= 3, chart_texts(pages["/returns/"], "returns-histogram")
    assert min(ticks) >= -15 and max(ticks) <= 15, ticks
    assert min(ticks) < -2 and max(ticks) > 2, ticks  # the spread of daily returns is shown


def test_cumulative_returns_are_drawn_on_a_log_axis(site) -> None:
    _, _, _, pages, _ = site
    texts = chart_texts(pages["/returns/"], "cumulative-chart")
    dollars = [float(t.lstrip("$").replace(",", "")) for t in texts
               if re.fullmatch(r"\$[\d,]+(\.\d+)?", t)]  # fmt: skip
    assert len(dollars) >= 3, texts
    ratios = {round(b / a, 6) for a, b in itertools.pairwise(dollars)}
    assert len(ratios) == 1 and ratios.pop() >= 2, dollars  # equal ratios: a log scale
    assert {"AAPL", "FB", "GOOG", "IBM", "MSFT"} <= set(texts)  # one legend entry each


def test_the_intraday_page_reads_the_exchange_clock_and_says_synthetic(site) -> None:
    project, _, _, pages, _ = site
    page = pages["/intraday/"]
    ticker = project.scalar("SELECT MIN(ticker) FROM gold.intraday_sessions")
    day = project.scalar(
        f"SELECT MAX(session_date) FROM gold.intraday_sessions WHERE ticker = '{ticker}'"
    ).date()
    schedule = xcals.get_calendar("XNYS").schedule.loc[str(day)]
    zone = "America/New_York"
    first = schedule["open"].tz_convert(zone).strftime("%H:%M")
    last = (schedule["close"] - pd.Timedelta(minutes=1)).tz_convert(zone).strftime("%H:%M")
    minutes = project.scalar(
        f"SELECT COUNT(*) FROM silver.bars_1m WHERE ticker = '{ticker}' AND session_date = '{day}'"
    )
    expected = f"{minutes} minutes, {first} to {last} New York time ({zone}), SYNTHETIC"
    assert expected in page["text"], page["text"][:800]
    texts = chart_texts(page, "minutes-chart")
    assert "New York time" in texts and texts[texts.index("New York time") - 1] != "UTC"
    assert first in texts  # the axis starts at the open on the exchange's clock
    assert "SYNTHETIC data." in page["text"]


def test_the_quality_page_shows_the_full_check_as_check_json_counts_it(site) -> None:
    project, _, _, pages, _ = site
    checked = json.loads((project.root / "check.json").read_text())["checks"]
    counts = {s: sum(c["status"] == s for c in checked) for s in ("pass", "warn", "fail", "skip")}
    line = (f"{counts['pass']} passed, {counts['warn']} warned, {counts['fail']} failed, "
            f"{counts['skip']} skipped (marketflow check)")  # fmt: skip
    assert line in pages["/data-quality/"]["text"]


def test_the_ticker_page_names_the_company_and_switches_tickers(site) -> None:
    project, _, _, pages, _ = site
    name, sector = project.query(
        "SELECT name, sector FROM silver.tickers WHERE ticker = 'AAPL'"
    ).iloc[0]
    text = pages["/tickers/AAPL/"]["text"]
    assert f"{name} · {sector}" in text
    for ticker in project.query("SELECT ticker FROM silver.tickers")["ticker"]:
        assert f"{ticker}: " in text  # an entry of the ticker switcher


def test_the_compare_page_normalises_every_ticker_to_one_dollar(site) -> None:
    project, _, _, pages, _ = site
    page = pages["/compare/"]
    texts = chart_texts(page, "compare-chart")
    assert {"AAPL", "FB", "GOOG", "IBM", "MSFT"} <= set(texts)
    closes = project.query(
        "SELECT adj_close FROM gold.daily_features WHERE ticker = 'IBM' ORDER BY session_date"
    )["adj_close"]
    total = closes.iloc[-1] / closes.iloc[0] - 1
    assert f"{total:,.1%}" in page["text"], page["text"][-600:]


def project_settings(project):
    return load_project(project.config).settings
