"""Parsers of what users type: dates, moments, tickers, intervals and durations. The command
line and the API use the same ones, so `2005-02-28` means the same session in both and a bad
value is reported the same way (ParameterError, naming the parameter)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pipelines.config.constants import INTERVALS
from pipelines.config.errors import ParameterError


def parse_date(parameter: str, value: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD), or None when not given."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ParameterError(parameter, f"{value!r} is not an ISO date") from None


def parse_moment(
    parameter: str, value: str | None, zone: str, end_of_day: bool = False
) -> datetime | None:
    """An ISO timestamp, or an ISO date meaning the start (or with `end_of_day` the end) of
    that day at the exchange; a timestamp without an offset is read at the exchange too. The
    result is aware, in the zone it was given in."""
    if value is None:
        return None
    local = ZoneInfo(zone)
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day, time.max if end_of_day else time.min, local)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ParameterError(parameter, f"{value!r} is not an ISO date or timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=local)


def parse_tickers(parameter: str, value: str | None) -> list[str] | None:
    """A comma-separated list of symbols, upper-cased; None when not given."""
    if value is None:
        return None
    tickers = [t.strip().upper() for t in value.split(",") if t.strip()]
    if not tickers:
        raise ParameterError(parameter, "name at least one ticker, comma-separated (AAPL,MSFT)")
    return tickers


def parse_interval(parameter: str, value: str | None) -> str | None:
    if value is not None and value not in INTERVALS:
        raise ParameterError(parameter, f"{value!r} is not {' or '.join(INTERVALS)}")
    return value


def parse_duration(parameter: str, value: str) -> timedelta:
    """90m, 6h or 1d."""
    units = {"m": "minutes", "h": "hours", "d": "days"}
    number, unit = value[:-1], value[-1:]
    if unit not in units or not number.isdigit():
        raise ParameterError(parameter, f"{value!r} is not a duration like 90m, 6h or 1d")
    return timedelta(**{units[unit]: int(number)})


FAR_PAST = datetime(1900, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)


def moment(value: str | None, parameter: str, zone: str, end: bool = False) -> datetime | None:
    """An ISO date (the start, or with `end` the end, of that day at the exchange) or an ISO
    timestamp (without an offset: at the exchange), as an aware UTC datetime."""
    parsed = parse_moment(parameter, value, zone, end_of_day=end)
    return None if parsed is None else parsed.astimezone(UTC)


def time_range(start: str | None, end: str | None, zone: str) -> tuple[datetime, datetime]:
    """`start` and `end` as UTC moments (open ends far away); end before start is refused."""
    first = moment(start, "start", zone) or FAR_PAST
    last = moment(end, "end", zone, end=True) or FAR_FUTURE
    if first > last:
        raise ParameterError("end", "end is before start")
    return first, last


def session_range(start: str | None, end: str | None, zone: str) -> tuple[date, date]:
    """`start` and `end` as the sessions (exchange dates) they fall on."""
    first, last = time_range(start, end, zone)
    local = ZoneInfo(zone)
    return (
        date(1, 1, 1) if first == FAR_PAST else first.astimezone(local).date(),
        date(9999, 12, 31) if last == FAR_FUTURE else last.astimezone(local).date(),
    )
