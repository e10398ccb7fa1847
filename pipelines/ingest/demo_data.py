"""The bundled real dataset: daily bars of AAPL, MSFT, IBM, GOOG and FB, 2000-2013, from the
bokeh_sampledata package (Quandl WIKI prices, public domain).

The prices are as traded, with the vendor's Adj Close beside them, so every split and dividend
can be recovered exactly from the jumps in Adj Close / Close: on an ex-date the
ratio r = f(ex) / f(prev) of f = Adj Close / Close is the split ratio when it is close to an
integer >= 2, otherwise a cash dividend D = Close(ex) * (r - 1).
"""

from __future__ import annotations

import zlib
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.analytics.exchange_calendar import sessions_between

BAR_FILE = "1d/stocks.csv"
MINUTE_FILE = "1m/SYNTHETIC-minutes.csv"
# One-minute bars ship in no package we could find: the demo derives SYNTHETIC ones for
# these sessions (two early closes among them) from the real daily bars.
MINUTE_SESSIONS = (date(2012, 11, 1), date(2012, 12, 31))
ACTIONS_FILE = "corporate_actions.csv"
RATIO_TOLERANCE = 1e-6  # f is printed with 13 digits; a real event moves it by > 1e-4
SPLIT_TOLERANCE = 0.01


class DemoDataMissing(RuntimeError):
    pass


def bundled_bars() -> pd.DataFrame:
    """The vendor file as shipped: Ticker, Date, Open, High, Low, Close, Volume, Adj Close."""
    try:
        data = resources.files("bokeh_sampledata") / "_data" / "stocks.csv.gz"
    except ModuleNotFoundError:
        raise DemoDataMissing(
            "the demo dataset needs the bokeh_sampledata package: pip install 'marketflow[demo]'"
            " (make demo installs it)"
        ) from None
    with resources.as_file(data) as path:
        return pd.read_csv(path, dtype={"Ticker": str, "Date": str})


def derive_corporate_actions(bars: pd.DataFrame) -> pd.DataFrame:
    """Splits and dividends implied by the vendor's Adj Close (columns as in ACTIONS_FILE)."""
    events = []
    for ticker, g in bars.sort_values(["Ticker", "Date"]).groupby("Ticker", sort=True):
        f = (g["Adj Close"] / g["Close"]).to_numpy()
        close = g["Close"].to_numpy()
        dates = g["Date"].to_numpy()
        for i in range(1, len(g)):
            r = f[i] / f[i - 1]
            if abs(r - 1) <= RATIO_TOLERANCE:
                continue
            if r >= 2 - SPLIT_TOLERANCE and abs(r - round(r)) < SPLIT_TOLERANCE:
                events.append((ticker, dates[i], "split", float(round(r))))
            else:
                events.append((ticker, dates[i], "dividend", round(close[i] * (r - 1), 6)))
    return pd.DataFrame(events, columns=["ticker", "ex_date", "action", "value"])


def stage(
    drop_folder: Path,
    *,
    start: date | None = None,
    end: date | None = None,
    bar_file: str = BAR_FILE,
    tickers: list[str] | None = None,
) -> dict[str, int]:
    """Write the bundled bars of [start, end] to the drop folder in the vendor's own format,
    and the corporate actions known by `end` beside them. Returns row counts."""
    bars = bundled_bars()
    if tickers:
        bars = bars[bars["Ticker"].isin(tickers)]
    actions = derive_corporate_actions(bars)
    if start is not None:
        bars = bars[bars["Date"] >= start.isoformat()]
    if end is not None:
        bars = bars[bars["Date"] <= end.isoformat()]
        actions = actions[actions["ex_date"] <= end.isoformat()]
    target = drop_folder / bar_file
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(bars, target)
    _write_atomically(actions, drop_folder / ACTIONS_FILE)
    return {
        "bars": len(bars),
        "corporate_actions": len(actions),
        "tickers": bars["Ticker"].nunique(),
    }


def synthetic_minutes(
    bars: pd.DataFrame, calendar: str = "XNYS", zone: str = "America/New_York"
) -> pd.DataFrame:
    """SYNTHETIC 1-minute bars on the exchange's session grid (early closes included) for each
    daily bar given (vendor columns): seeded by ticker and date, the minutes open at the day's
    open, touch its high and low, close at its close and add up to its volume, so the intraday
    session agrees with the real daily bar."""
    if bars.empty:
        columns = ["Ticker", "Date", "Open", "High", "Low", "Close", "Volume", "Adj Close"]
        return pd.DataFrame(columns=columns)
    days = pd.to_datetime(bars["Date"]).dt.date
    sessions = sessions_between(calendar, days.min(), days.max()).set_index("session_date")
    frames = []
    for row, day in zip(bars.itertuples(index=False), days, strict=True):
        if day not in sessions.index:
            continue
        session = sessions.loc[day]
        minutes = pd.date_range(
            session["market_open"], session["market_close"], freq="1min", inclusive="left"
        )
        n = len(minutes)
        rng = np.random.default_rng(zlib.crc32(f"{row.Ticker}:{day.isoformat()}".encode()))
        # Visit the high and the low at two seeded minutes, in a seeded order.
        a, b = sorted(rng.choice(np.arange(1, n - 1), size=2, replace=False))
        first, second = (row.High, row.Low) if rng.random() < 0.5 else (row.Low, row.High)
        path = np.interp(np.arange(n), [0, a, b, n - 1], [row.Open, first, second, row.Close])
        noise = rng.normal(0, (row.High - row.Low) * 0.01, n)
        noise[[0, a, b, n - 1]] = 0
        close = np.clip(path + noise, row.Low, row.High)
        open_ = np.r_[row.Open, close[:-1]]
        weights = rng.gamma(2.0, 1.0, n)
        volume = np.floor(weights / weights.sum() * row.Volume)
        volume[-1] += row.Volume - volume.sum()
        frames.append(
            pd.DataFrame(
                {
                    "Ticker": row.Ticker,
                    "Date": minutes.tz_convert(zone).map(lambda t: t.isoformat()),
                    "Open": open_,
                    "High": np.maximum(open_, close),
                    "Low": np.minimum(open_, close),
                    "Close": close,
                    "Volume": volume,
                    "Adj Close": np.nan,  # the vendor's column, empty: no adjusted minutes
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def stage_minutes(drop_folder: Path, sessions: tuple[date, date] = MINUTE_SESSIONS) -> int:
    """Write the SYNTHETIC 1-minute bars of the demo tickers for `sessions` (inclusive)."""
    bars = bundled_bars()
    bars = bars[
        (bars["Date"] >= sessions[0].isoformat()) & (bars["Date"] <= sessions[1].isoformat())
    ]
    minutes = synthetic_minutes(bars)
    target = drop_folder / MINUTE_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(minutes, target)
    return len(minutes)


def _write_atomically(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(path)
