"""The exchange calendar: sessions, opens and closes (early closes included), in UTC."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import pandas as pd
import pandas_market_calendars as mcal

# The first session silver.sessions holds; model_defaults.start in config.yaml.
CALENDAR_START = date(1990, 1, 1)


@lru_cache(maxsize=8)
def _calendar(name: str) -> mcal.MarketCalendar:
    return mcal.get_calendar(name)


def sessions_between(calendar: str, start: date, end: date) -> pd.DataFrame:
    """session_date, market_open, market_close (UTC), early_close for every session."""
    cal = _calendar(calendar)
    schedule = cal.schedule(start_date=start, end_date=end)
    if schedule.empty:
        return pd.DataFrame(
            {
                "session_date": pd.Series(dtype="object"),
                "market_open": pd.Series(dtype="datetime64[us, UTC]"),
                "market_close": pd.Series(dtype="datetime64[us, UTC]"),
                "early_close": pd.Series(dtype=bool),
            }
        )
    early = cal.early_closes(schedule).index
    return pd.DataFrame(
        {
            "session_date": schedule.index.date,
            "market_open": schedule["market_open"].dt.tz_convert("UTC").to_numpy(),
            "market_close": schedule["market_close"].dt.tz_convert("UTC").to_numpy(),
            "early_close": schedule.index.isin(early),
        }
    ).assign(
        market_open=lambda d: pd.to_datetime(d["market_open"], utc=True),
        market_close=lambda d: pd.to_datetime(d["market_close"], utc=True),
    )


def session_dates(calendar: str, start: date, end: date) -> list[date]:
    return list(_calendar(calendar).valid_days(start, end).date)


def last_closed_session(calendar: str, now: datetime) -> date | None:
    """The latest session whose close is at or before `now` (an aware datetime)."""
    cal = _calendar(calendar)
    ts = pd.Timestamp(now).tz_convert("UTC")
    schedule = cal.schedule(start_date=(ts - pd.Timedelta(days=14)).date(), end_date=ts.date())
    closed = schedule[schedule["market_close"] <= ts]
    return closed.index[-1].date() if len(closed) else None


def sessions_back(calendar: str, day: date, n: int) -> date:
    """The session n sessions before `day` (day itself when n is 0 and it is a session; the
    session before it otherwise)."""

    days = session_dates(calendar, day - timedelta(days=2 * n + 14), day)
    if not days:
        return day
    if days[-1] != day:
        n = max(n - 1, 0)
    return days[max(len(days) - 1 - n, 0)]


def expected_daily_session(calendar: str, now: datetime, grace: timedelta) -> date | None:
    """The session whose daily bar must be in the warehouse at `now`: the latest one whose
    close (an early close included) plus `grace` has passed. Weekends, holidays and the hours
    before a close therefore expect the previous session's bar."""
    return last_closed_session(calendar, now - grace)


def expected_minute(calendar: str, now: datetime, delay: timedelta) -> datetime | None:
    """Start (UTC) of the latest 1-minute bar that must exist at `now`, when bars may lag the
    clock by `delay`: inside a session the last whole minute before now - delay; otherwise
    (and in the first minutes of a session) the last minute of the latest closed session."""
    cal = _calendar(calendar)
    target = pd.Timestamp(now).tz_convert("UTC") - pd.Timedelta(delay)
    schedule = cal.schedule(
        start_date=(target - pd.Timedelta(days=14)).date(), end_date=target.date()
    )
    minute = pd.Timedelta(minutes=1)
    started = schedule[schedule["market_open"] <= target]
    if started.empty:
        return None
    current = started.iloc[-1]
    if target < current["market_close"]:
        latest = target.floor("min") - minute
        if latest >= current["market_open"]:
            return latest.to_pydatetime()
        started = started.iloc[:-1]
        if started.empty:
            return None
    return (started.iloc[-1]["market_close"] - minute).to_pydatetime()


def session_around(calendar: str, now: datetime) -> pd.Series | None:
    """The schedule row (market_open, market_close, UTC) of the session open at `now`, or
    None outside sessions."""
    ts = pd.Timestamp(now).tz_convert("UTC")
    schedule = _schedule(calendar, (ts - pd.Timedelta(days=1)).date(), ts.date())
    open_now = schedule[(schedule["market_open"] <= ts) & (ts < schedule["market_close"])]
    return open_now.iloc[-1] if len(open_now) else None


def latest_close(calendar: str, now: datetime) -> pd.Timestamp | None:
    """The close (UTC) of the latest session that closed at or before `now`."""
    ts = pd.Timestamp(now).tz_convert("UTC")
    schedule = _schedule(calendar, (ts - pd.Timedelta(days=14)).date(), ts.date())
    closed = schedule[schedule["market_close"] <= ts]
    return closed["market_close"].iloc[-1] if len(closed) else None


@lru_cache(maxsize=4096)
def _schedule(calendar: str, start: date, end: date) -> pd.DataFrame:
    """Opens and closes (UTC) of the sessions in [start, end]; cached, since schedulers and
    their tests ask about the same days many times."""
    return _calendar(calendar).schedule(start_date=start, end_date=end)


def has_session_slot(calendar: str, now: datetime, grace: timedelta) -> bool:
    """An intraday slot: a session is open at `now`, or closed at most `grace` ago."""
    if session_around(calendar, now) is not None:
        return True
    close = latest_close(calendar, now)
    return close is not None and now - close.to_pydatetime() <= grace


def closed_within(calendar: str, now: datetime, window: timedelta) -> bool:
    """A daily slot: the latest session closed at most `window` before `now`."""
    close = latest_close(calendar, now)
    return close is not None and now - close.to_pydatetime() <= window
