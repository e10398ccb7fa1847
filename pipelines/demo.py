"""The bundled real dataset: daily bars of AAPL, MSFT, IBM, GOOG and FB, 2000-2013, from the
bokeh_sampledata package (Quandl WIKI prices, public domain).

The prices are as traded, with the vendor's Adj Close beside them, so every split and dividend
can be recovered exactly from the jumps in Adj Close / Close (notes/data.md): on an ex-date the
ratio r = f(ex) / f(prev) of f = Adj Close / Close is the split ratio when it is close to an
integer >= 2, otherwise a cash dividend D = Close(ex) * (r - 1).
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

import pandas as pd

BAR_FILE = "1d/stocks.csv"
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


def _write_atomically(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(path)
