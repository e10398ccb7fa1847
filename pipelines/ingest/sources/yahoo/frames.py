"""yfinance's history frames as the shapes every source yields, with every copy of a bar that
an answer carried twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
import pyarrow as pa
from yfinance import utils as yf_utils

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
    frame = frame.sort_index(kind="stable")
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


def with_every_copy(
    frame: pd.DataFrame, answers: Sequence[Any], interval: str, exchange_timezone: str
) -> pd.DataFrame:
    """The history frame with every version of each bar an answer carried under one timestamp.

    yfinance keeps one of them and drops the rest without a word; two versions that differ do
    not say which is right, so all of them go on, as the other providers' do, and bronze sends
    them to bronze.bar_conflicts (identical copies are one bar there). The copies are parsed
    and keyed with yfinance's own functions, so they land where its kept bar would have."""
    copies = [_repeated(answer, interval, exchange_timezone) for answer in answers]
    copies = [c[c.index.isin(frame.index)] for c in copies if not c.empty]
    if not copies:
        return frame
    repeated = pd.concat(copies)
    kept = frame[~frame.index.isin(repeated.index)]
    return pd.concat([kept, repeated]).sort_index(kind="stable")


def _repeated(answer: Any, interval: str, exchange_timezone: str) -> pd.DataFrame:
    """The rows of one chart answer whose timestamp it carried more than once."""
    try:
        result = answer.json()["chart"]["result"][0]
        quotes = yf_utils.parse_quotes(result) if result.get("timestamp") else pd.DataFrame()
    except (ValueError, KeyError, IndexError, TypeError):  # not a chart: history() said why
        return pd.DataFrame()
    quotes = quotes[quotes.index.duplicated(keep=False)]
    if quotes.empty:
        return quotes
    zone = (result.get("meta") or {}).get("exchangeTimezoneName") or exchange_timezone
    quotes = yf_utils.fix_Yahoo_dst_issue(yf_utils.set_df_tz(quotes, interval, zone), interval)
    if interval == "1d":  # keyed by session date, as history() keys them
        day = pd.to_datetime(quotes.index.date)
        quotes.index = day.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    return quotes.assign(Volume=quotes["Volume"].fillna(0))


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
