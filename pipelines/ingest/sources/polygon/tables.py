"""Polygon's JSON rows as MarketFlow's Arrow schemas: aggregates of one ticker, Grouped Daily
rows of one session, splits and dividends. A malformed row is a PolygonError naming what."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pyarrow as pa

from pipelines.ingest.sources.normalize import daily_ts, local_dates
from pipelines.ingest.sources.schema import actions_from_rows, make_bars
from pipelines.ingest.sources.web import PermanentError

PRICE_BASIS = "raw"


class PolygonError(PermanentError):
    """An answer Polygon gave that is not data (an error status, a malformed body)."""


def bars_table(
    rows: list[dict],
    ticker: str,
    interval: str,
    source_name: str,
    exchange_timezone: str,
    fetched_at: datetime,
) -> pa.Table:
    """Aggregates ({t: ms epoch of the bar's start, o, h, l, c, v}) as BAR_SCHEMA rows."""
    what = f"aggregates of {ticker}"
    try:
        starts = pa.array([int(r["t"]) * 1000 for r in rows], pa.timestamp("us", tz="UTC"))
    except (KeyError, TypeError, ValueError) as exc:
        raise PolygonError(f"{what}: malformed bar ({exc!r})") from None
    ts = (
        daily_ts(local_dates(starts, exchange_timezone), exchange_timezone)
        if interval == "1d"
        else starts
    )
    return _bars(rows, what, ticker, interval, ts, source_name, fetched_at)


def session_table(
    rows: list[dict], day: date, source_name: str, exchange_timezone: str, fetched_at: datetime
) -> pa.Table:
    """Grouped Daily rows ({T: ticker, o, h, l, c, v}) of one session as BAR_SCHEMA rows; the
    bar's key is the session asked for, whatever timestamp Polygon puts in `t`."""
    what = f"Grouped Daily of {day}"
    try:
        tickers = pa.array([str(r["T"]) for r in rows], pa.string())
    except KeyError as exc:
        raise PolygonError(f"{what}: malformed bar ({exc!r})") from None
    ts = daily_ts(pa.array([day] * len(rows), pa.date32()), exchange_timezone)
    return _bars(rows, what, tickers, "1d", ts, source_name, fetched_at)


def _bars(
    rows: list[dict],
    what: str,
    ticker: str | pa.Array,
    interval: str,
    ts: pa.Array,
    source_name: str,
    fetched_at: datetime,
) -> pa.Table:
    try:
        prices = {k: pa.array([_number(r.get(k)) for r in rows], pa.float64()) for k in "ohlcv"}
    except (TypeError, ValueError) as exc:
        raise PolygonError(f"{what}: malformed bar ({exc!r})") from None
    return make_bars(
        ticker=ticker,
        interval=interval,
        ts=ts,
        open=prices["o"],
        high=prices["h"],
        low=prices["l"],
        close=prices["c"],
        volume=prices["v"],
        price_basis=PRICE_BASIS,
        source=source_name,
        fetched_at=fetched_at,
    )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def actions_table(
    splits: list[dict],
    dividends: list[dict],
    ticker: str,
    source_name: str,
    fetched_at: datetime,
) -> pa.Table:
    """Splits (split_to / split_from new shares per old) and cash dividends as ACTION_SCHEMA."""
    # One row per (ex-date, action): same-day splits multiply, same-day dividends add up.
    per_day: dict[tuple[date, str], float] = {}
    try:
        for s in splits:
            key = (date.fromisoformat(s["execution_date"]), "split")
            ratio = float(s["split_to"]) / float(s["split_from"])
            per_day[key] = per_day.get(key, 1.0) * ratio
        for d in {(x["ex_dividend_date"], float(x["cash_amount"])) for x in dividends}:
            if d[1] > 0:
                key = (date.fromisoformat(d[0]), "dividend")
                per_day[key] = per_day.get(key, 0.0) + d[1]
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise PolygonError(f"corporate actions of {ticker}: malformed entry ({exc!r})") from None
    return actions_from_rows(
        [(day, action, value) for (day, action), value in per_day.items()],
        ticker=ticker,
        price_basis=PRICE_BASIS,
        source=source_name,
        fetched_at=fetched_at,
    )
