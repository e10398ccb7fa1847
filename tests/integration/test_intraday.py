"""The 1-minute path: SYNTHETIC minutes on the XNYS grid (early closes included) derived from
the real daily bars, through silver.bars_1m to gold.intraday_sessions and daily_features.vwap."""

from __future__ import annotations

from datetime import date

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest

from pipelines.ingest import demo_data as demo
from tests.conftest import AS_OF, Project, make_project


def test_minutes_sit_on_the_exchange_grid_including_early_closes() -> None:
    bars = demo.bundled_bars()
    day = bars[(bars["Ticker"] == "IBM") & (bars["Date"].isin(["2012-11-23", "2012-11-26"]))]
    minutes = demo.synthetic_minutes(day)
    xnys = xcals.get_calendar("XNYS")
    for session, g in minutes.groupby(minutes["Date"].str[:10]):
        expected = xnys.session_minutes(session)  # minute starts, UTC
        got = pd.to_datetime(g["Date"], utc=True)
        assert list(got) == list(expected), session
    counts = minutes.groupby(minutes["Date"].str[:10]).size().to_dict()
    assert counts == {"2012-11-23": 210, "2012-11-26": 390}  # 13:00 early close after Thanksgiving
    # The minutes agree with the real daily bar they came from.
    for (_, g), (_, d) in zip(
        minutes.groupby(minutes["Date"].str[:10]), day.groupby("Date"), strict=True
    ):
        assert g["Open"].iloc[0] == d["Open"].iloc[0] and g["Close"].iloc[-1] == d["Close"].iloc[0]
        assert g["High"].max() == d["High"].iloc[0] and g["Low"].min() == d["Low"].iloc[0]
        assert g["Volume"].sum() == d["Volume"].iloc[0]


def test_intraday_sessions_summarise_the_minutes(demo_project: Project) -> None:
    minutes = demo_project.query(
        "SELECT ticker, session_date, ts, open, high, low, close, volume FROM silver.bars_1m"
    ).sort_values(["ticker", "ts"])
    sessions = demo_project.query("SELECT * FROM gold.intraday_sessions").set_index(
        ["ticker", "session_date"]
    )
    assert len(sessions) == 41 * 5  # every demo ticker, 2012-11-01 .. 2012-12-31
    grouped = minutes.groupby(["ticker", "session_date"])
    typical = (minutes["high"] + minutes["low"] + minutes["close"]) / 3 * minutes["volume"]
    expected = pd.DataFrame(
        {
            "open": grouped["open"].first(),
            "high": grouped["high"].max(),
            "low": grouped["low"].min(),
            "close": grouped["close"].last(),
            "volume": grouped["volume"].sum(),
            "vwap": typical.groupby([minutes["ticker"], minutes["session_date"]]).sum()
            / grouped["volume"].sum(),
            "bar_count": grouped.size(),
        }
    )
    got = sessions[expected.columns].sort_index()
    pd.testing.assert_frame_equal(got, expected.sort_index(), check_dtype=False, rtol=1e-12)
    early = sessions.xs(pd.Timestamp("2012-11-23"), level="session_date")
    assert set(early["bar_count"]) == {210}
    # Derived from the real daily bars, so each intraday session is that day's bar.
    daily = demo_project.query(
        "SELECT ticker, session_date, open, high, low, close, volume FROM silver.bars_daily"
    ).set_index(["ticker", "session_date"])
    joined = daily.loc[sessions.index, ["open", "high", "low", "close", "volume"]]
    np.testing.assert_allclose(joined.to_numpy(), sessions[joined.columns].to_numpy(), rtol=1e-12)


def test_daily_vwap_comes_from_the_minutes_where_they_exist(demo_project: Project) -> None:
    features = demo_project.query(
        "SELECT f.ticker, f.session_date, f.vwap, f.vwap_source, b.adj_close / b.close AS k, "
        "i.vwap AS intraday_vwap FROM gold.daily_features AS f "
        "JOIN silver.bars_daily AS b USING (ticker, session_date) "
        "LEFT JOIN gold.intraday_sessions AS i USING (ticker, session_date)"
    )
    intraday = features[features["intraday_vwap"].notna()]
    assert len(intraday) == 41 * 5 and set(intraday["vwap_source"]) == {"intraday"}
    np.testing.assert_allclose(
        intraday["vwap"], intraday["intraday_vwap"] * intraday["k"], rtol=1e-9
    )
    assert set(features[features["intraday_vwap"].isna()]["vwap_source"]) == {"typical_price"}


@pytest.mark.slow
def test_minutes_outside_the_session_are_quarantined(tmp_path) -> None:
    project = make_project(tmp_path)
    bars = demo.bundled_bars()
    day = bars[(bars["Ticker"] == "AAPL") & (bars["Date"] == "2012-11-23")]
    minutes = demo.synthetic_minutes(day)
    extra = minutes.iloc[[-1, -1, -1]].copy()
    # After the 13:00 early close; a Saturday; a bar whose high is below its low.
    extra["Date"] = [
        "2012-11-23T13:05:00-05:00",
        "2012-11-24T10:00:00-05:00",
        "2012-11-23T12:30:30-05:00",
    ]
    extra.iloc[2, extra.columns.get_loc("High")] = extra.iloc[2]["Low"] - 1
    (project.drop / "1m").mkdir(parents=True)
    pd.concat([minutes, extra]).to_csv(project.drop / "1m" / "aapl.csv", index=False)
    demo.stage(project.drop, tickers=["AAPL"], start=date(2012, 11, 1), end=date(2012, 11, 30))
    run = project.cli("run", "--as-of", AS_OF, check=False)
    assert run.returncode == 3  # the run's checks name what was quarantined
    assert "no impossible prices" in run.stdout and "no bars off the calendar" in run.stdout
    quarantine = project.query(
        "SELECT CAST(ts AT TIME ZONE 'America/New_York' AS VARCHAR) AS local, reason "
        "FROM silver.quarantine WHERE interval = '1m' ORDER BY ts"
    )
    assert quarantine.to_dict("records") == [
        {"local": "2012-11-23 12:30:30", "reason": "high below low"},
        {"local": "2012-11-23 13:05:00", "reason": "outside session hours"},
        {"local": "2012-11-24 10:00:00", "reason": "not a session"},
    ]
    good = project.scalar("SELECT bar_count FROM gold.intraday_sessions")
    assert good == 210  # the good minutes of that session still flow


def test_conflicting_duplicates_in_one_landing_are_quarantined(tmp_path) -> None:
    """A landing that carries one bar twice with different values does not say which is right:
    both versions go to the quarantine and neither to silver; an identical copy is one bar."""
    project = make_project(tmp_path)
    demo.stage(project.drop, tickers=["AAPL"], start=date(2012, 11, 1), end=date(2012, 11, 30))
    bars = pd.read_csv(project.drop / demo.BAR_FILE)
    copies = bars[bars["Date"].isin(["2012-11-14", "2012-11-15"])].copy()
    conflicting = copies["Date"] == "2012-11-15"
    copies.loc[conflicting, "Close"] = copies.loc[conflicting, "Low"]  # a different close
    copies.to_csv(project.drop / "1d" / "late-copies.csv", index=False)
    run = project.cli("run", "--as-of", AS_OF, check=False)
    assert run.returncode == 3 and "no duplicate bars" in run.stdout

    quarantine = project.query(
        "SELECT bar_date, reason, close FROM silver.quarantine ORDER BY reason"
    ).to_dict("records")
    original = bars.loc[bars["Date"] == "2012-11-15", "Close"].iloc[0]
    low = bars.loc[bars["Date"] == "2012-11-15", "Low"].iloc[0]
    assert [(str(r["bar_date"])[:10], r["reason"]) for r in quarantine] == [
        ("2012-11-15", "conflicting duplicate 1 of 2"),
        ("2012-11-15", "conflicting duplicate 2 of 2"),
    ]
    assert sorted(r["close"] for r in quarantine) == sorted([original, low])
    sessions = project.query("SELECT CAST(session_date AS VARCHAR) AS d FROM silver.bars_daily")
    assert "2012-11-14" in set(sessions["d"]) and "2012-11-15" not in set(sessions["d"])
    assert len(sessions) == len(bars) - 1
    missing = project.query(
        "SELECT CAST(session_date AS VARCHAR) AS d, interval FROM silver.missing_sessions"
    ).to_dict("records")
    assert missing == [{"d": "2012-11-15", "interval": "1d"}]  # the gap it leaves is visible
