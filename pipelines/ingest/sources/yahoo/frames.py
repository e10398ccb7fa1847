"""yfinance's history frames as the shapes every source yields."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pyarrow as pa

from pipelines.ingest.sources.normalize import daily_ts
from pipelines.ingest.sources.schema import BAR_SCHEMA, actions_from_rows, make_bars
from pipelines.ingest.sources.yahoo.settings import PRICE_BASIS


def bars_table(
    frame: pd.DataFrame,
    ticker: str,
    interval: str,
    source_name: str,
    exchange_timezone: str,
    fetched_at: datetime,
) -> pa.Table:
    """yfinance's history frame as BAR_SCHEMA rows (daily bars keyed by session date)."""
    if frame.empty:
        return BAR_SCHEMA.empty_table()
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    index = pd.DatetimeIndex(frame.index)
    if index.tz is None:
        index = index.tz_localize(exchange_timezone)
    if interval == "1d":
        days = pa.array(index.tz_convert(exchange_timezone).date, pa.date32())
        ts = daily_ts(days, exchange_timezone)
    else:
        ts = pa.array(index.tz_convert("UTC"), BAR_SCHEMA.field("ts").type)
    n = len(frame)

    def column(name: str) -> pa.Array:
        if name not in frame:
            return pa.nulls(n, pa.float64())
        return pa.array(pd.to_numeric(frame[name], errors="coerce").to_numpy(float), pa.float64())

    return make_bars(
        ticker=ticker,
        interval=interval,
        ts=ts,
        open=column("Open"),
        high=column("High"),
        low=column("Low"),
        close=column("Close"),
        volume=column("Volume"),
        provider_adj_close=column("Adj Close"),
        price_basis=PRICE_BASIS,
        source=source_name,
        fetched_at=fetched_at,
    )


def actions_table(
    frame: pd.DataFrame,
    ticker: str,
    source_name: str,
    exchange_timezone: str,
    fetched_at: datetime,
) -> pa.Table:
    """The Dividends and Stock Splits columns as ACTION_SCHEMA rows (nonzero values only)."""
    rows = []
    if not frame.empty:
        local = pd.DatetimeIndex(frame.index)
        if local.tz is None:
            local = local.tz_localize(exchange_timezone)
        days = local.tz_convert(exchange_timezone).date
        for column, action in (("Stock Splits", "split"), ("Dividends", "dividend")):
            if column not in frame:
                continue
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
            for day, value in zip(days, values, strict=True):
                if value and value > 0:
                    rows.append((day, action, float(value)))
    return actions_from_rows(
        sorted(set(rows)),
        ticker=ticker,
        price_basis=PRICE_BASIS,
        source=source_name,
        fetched_at=fetched_at,
    )
