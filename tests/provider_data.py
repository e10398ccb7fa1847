"""What the provider test servers (tests/provider_servers.py) serve: the real bundled bars
(bokeh_sampledata, Quandl WIKI, 2000-2013) with their real splits and dividends, under the
servers' own column names, the names Polygon's listing gives, and how Yahoo's split adjustment
is computed from the actions (for tests that check its answers independently)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from pipelines.ingest import demo_data as demo

NY = ZoneInfo("America/New_York")
API_KEY = "test-polygon-key"


# The bundled (vendor) columns and the servers' own names for them.
SERVER_COLUMNS = {
    "Ticker": "ticker",
    "Date": "day",
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Volume": "volume",
    "Adj Close": "adj_close",
}


def as_traded() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The bundled bars (ticker, day, open..volume, adj_close) and their corporate actions."""
    raw = demo.bundled_bars()
    actions = demo.derive_corporate_actions(raw)
    bars = raw.rename(columns=SERVER_COLUMNS)
    return bars.sort_values(["ticker", "day"]).reset_index(drop=True), actions


def split_factor_after(bars: pd.DataFrame, actions: pd.DataFrame) -> np.ndarray:
    """For each bar, the product of the splits with a later ex-date (what Yahoo divides by)."""
    factor = np.ones(len(bars))
    splits = actions[actions["action"] == "split"]
    for row in splits.itertuples():
        later = (bars["ticker"] == row.ticker) & (bars["day"] < row.ex_date)
        factor[later.to_numpy()] *= row.value
    return factor


# The names the listing gives (Polygon's, for the bundled tickers).
LISTED_NAMES = {
    "AAPL": "Apple Inc.",
    "FB": "Meta Platforms, Inc. Class A Common Stock",
    "GOOG": "Alphabet Inc. Class C Capital Stock",
    "IBM": "International Business Machines Corporation",
    "MSFT": "Microsoft Corp",
}
