"""The Evidence report site: `marketflow report` on the demo warehouse, served on 127.0.0.1 and
driven through every page by headless Chromium (Debian's, through playwright-core:
reports/scripts/browse.mjs). Screenshots go to test-artifacts/report/."""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import exchange_calendars as xcals
import pandas as pd
import pytest

from dev import services as svc
from pipelines.analytics import backtest as bt
from pipelines.config import load_project
from tests.conftest import AS_OF, REPO, make_project, write_config

PAGES = ["/", "/tickers/AAPL/", "/returns/", "/crossovers/", "/data-quality/", "/intraday/",
         "/backtests/", "/compare/"]  # fmt: skip
ARTIFACTS = REPO / "test-artifacts" / "report"
CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="make test installs Debian's chromium"),
    # One worker builds the site for all of them (make test: --dist loadgroup).
    pytest.mark.xdist_group("report"),
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def offline_prefix() -> list[str]:
    """`unshare -n`: run the build in a namespace with no network at all, where allowed."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    return ["unshare", "-n"] if probe.returncode == 0 else []


# Session scope: the site is built once per worker even if that worker runs other modules'
# tests between these (xdist_group pins them to one worker, not to one stretch of it).
@pytest.fixture(scope="session")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    build_dir = root / "site"
    project = make_project(root, {"report": {"build_dir": str(build_dir)}})
    project.cli("demo", "--as-of", AS_OF)
    # A full check after the run: the data-quality page shows both.
    checked = json.loads(project.cli("check", "--as-of", AS_OF, "--json").stdout)
    (root / "check.json").write_text(json.dumps(checked))
    prefix = offline_prefix()
    dead_proxy = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    result = subprocess.run(
        [*prefix, str(REPO / ".venv/bin/marketflow"), "--config", str(project.config), "report"],
        capture_output=True,
        text=True,
        env={**os.environ, **project.env, **dead_proxy},
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pages" in result.stdout and (build_dir / "index.html").is_file()

    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(build_dir))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    browsed = subprocess.run(
        ["node", "scripts/browse.mjs", base, str(ARTIFACTS), *PAGES],
        cwd=REPO / "reports",
        capture_output=True,
        text=True,
        env={**os.environ, "CHROMIUM": CHROMIUM or ""},
        timeout=600,
    )
    server.shutdown()
    assert browsed.returncode == 0, browsed.stderr
    pages = {p["path"]: p for p in json.loads(browsed.stdout)["pages"]}
    return project, build_dir, base, pages, result.stdout + ("\noffline" if prefix else "")


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


def stale_results(build_dir: Path) -> list[str]:
    """Query results of an earlier build in a site: Evidence keeps each query's result under
    data/<source>/<query>/<hash>/, and merges its output into an existing build/."""
    return [
        str(query.relative_to(build_dir))
        for query in build_dir.glob("data/*/*")
        if query.is_dir() and len([d for d in query.iterdir() if d.is_dir()]) != 1
    ]


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


# What `marketflow report` on PostgreSQL is given: where the warehouse is and the reader role.
READER_ONLY = (
    "MARKETFLOW_PG_HOST",
    "MARKETFLOW_PG_PORT",
    "MARKETFLOW_PG_DATABASE",
    "MARKETFLOW_PG_READER_USER",
    "MARKETFLOW_PG_READER_PASSWORD",
)
PIPELINE_SECRETS = r"MARKETFLOW_|RAW_STORE__|ALERTS__|POLYGON|SOURCES__|AWS_|EVIDENCE_"


def reader_only(project) -> dict[str, str]:
    """The environment of a report on `project`'s PostgreSQL warehouse: where it is and the
    reader role; no owner, S3, Polygon or webhook variable, and no .env read."""
    env = {k: v for k, v in os.environ.items() if not re.match(PIPELINE_SECRETS, k)}
    env |= {name: project.env[name] for name in READER_ONLY}
    # python-dotenv's own switch, which config/loader.py honours: not even a project .env.
    return env | {"PYTHON_DOTENV_DISABLED": "1"}


def report_as_reader(project, root: Path, build_dir: Path) -> subprocess.CompletedProcess:
    config = write_config(root, {"report": {"build_dir": str(build_dir)}})
    dead_proxy = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    return subprocess.run(
        [str(REPO / ".venv/bin/marketflow"), "--config", str(config), "report",
         "--gateway", "postgres"],
        capture_output=True, text=True, env=reader_only(project) | dead_proxy, cwd=root,
        timeout=900,
    )  # fmt: skip


def test_on_postgresql_a_warehouse_without_a_run_is_refused_and_left_as_it_was(
    new_project, tmp_path
) -> None:
    """The report creates nothing (the ops tables are the run's, made by the owner): before any
    run it exits 1 naming what is missing, before npm."""
    project = new_project("postgres")
    result = report_as_reader(project, tmp_path / "report", tmp_path / "site")
    assert result.returncode == 1, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert "ops.runs" in message and "silver.bars_daily" in message, message
    assert "marketflow run" in message and "reader role" in message, message
    assert "npm" not in result.stdout
    assert project.scalar("SELECT to_regclass('ops.runs') IS NULL")
    assert not (tmp_path / "site").exists()


def test_on_postgresql_the_site_builds_as_the_reader_and_names_no_host_bucket_or_secret(
    demos, tmp_path
) -> None:
    """The PostgreSQL demo's site, built with the reader's variables only (no owner, no S3, no
    webhook in the environment, no .env): it builds, and no built file holds a host, a bucket
    or a secret of the test environment."""
    demo = demos["postgres"]
    build_dir = tmp_path / "site"
    result = report_as_reader(demo, tmp_path / "project", build_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (build_dir / "index.html").is_file()
    assert "AAPL" in (build_dir / "index.html").read_text()
    # The reader read the run log; the site carries this warehouse's results only (the DuckDB
    # site above was built from the same Evidence project before).
    assert list(build_dir.glob("data/warehouse/runs/*/runs.parquet"))
    assert not stale_results(build_dir)

    creds = svc.Credentials.load_or_create(svc.SERVICES)
    e = demo.env
    s3_endpoint = e["RAW_STORE__CREDENTIALS__ENDPOINT_URL"].split("://", 1)[1]
    forbidden = {
        "the warehouse's host:port": f"{e['MARKETFLOW_PG_HOST']}:{e['MARKETFLOW_PG_PORT']}",
        "the warehouse database": e["MARKETFLOW_PG_DATABASE"],
        "the S3 endpoint": s3_endpoint,
        "the raw store's URL": e["MARKETFLOW_RAW_URL"],
        "the demo's folder": str(demo.root),
        **{f"bucket {b}": b for b in svc.BUCKETS},
        **{f"secret {k}": v for k, v in vars(creds).items()},
        "the owner's password": e["MARKETFLOW_PG_PASSWORD"],
        "the reader's password": e["MARKETFLOW_PG_READER_PASSWORD"],
    }
    assert e["MARKETFLOW_RAW_URL"].startswith("s3://marketflow-test/")
    leaks = [
        f"{f.relative_to(build_dir)}: {what}"
        for f in build_dir.rglob("*")
        if f.is_file()
        for what, value in forbidden.items()
        if value.encode() in f.read_bytes()
    ]
    assert not leaks, leaks


def project_settings(project):
    return load_project(project.config).settings
