"""`marketflow calendar`: is there a session for this slot? For schedulers, which skip a run
cleanly on exit 4 (a weekend, a holiday, the hours outside a session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pipelines.analytics import exchange_calendar
from pipelines.config import ConfigError, Project
from pipelines.run.outcome import ExitCode


@dataclass(frozen=True)
class Slot:
    exit_code: int
    message: str  # what the calendar says about the moment


def slot(
    project: Project,
    now: datetime,
    session_open: bool = False,
    closed_within: timedelta | None = None,
    grace: timedelta = timedelta(0),
) -> Slot:
    """With `session_open`: 0 if a session is open at `now` or closed at most `grace` ago;
    with `closed_within`: 0 if the latest session closed at most that long ago; else 4. With
    neither, 0 and just the calendar's answer."""
    if session_open and closed_within is not None:
        raise ConfigError("--session-open and --closed-within: choose one")
    name = project.settings.exchange.calendar
    zone = ZoneInfo(project.settings.exchange.timezone)
    local = now.astimezone(zone)
    current = exchange_calendar.session_around(name, now)
    if current is not None:
        opened = current["market_open"].tz_convert(zone)
        closes = current["market_close"].tz_convert(zone)
        message = f"{local:%Y-%m-%d %H:%M %Z}: {name} session open ({opened:%H:%M}-{closes:%H:%M})"
    else:
        last_close = exchange_calendar.latest_close(name, now)
        last = last_close.tz_convert(zone) if last_close is not None else None
        message = f"{local:%Y-%m-%d %H:%M %Z}: {name} closed" + (
            f"; last close {last:%Y-%m-%d %H:%M %Z}" if last is not None else ""
        )
    if session_open:
        found = exchange_calendar.has_session_slot(name, now, grace)
    elif closed_within is not None:
        found = exchange_calendar.closed_within(name, now, closed_within)
    else:
        found = True
    return Slot(ExitCode.OK if found else ExitCode.NO_SESSION, message)
