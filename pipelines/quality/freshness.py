"""Freshness by the exchange calendar: when the latest bar of each interval is due, whether a
table's latest bar is there, and why freshness is not judged at all for some providers. The
one judgement behind the freshness contract (checks/bronze/freshness.yml, which Soda evaluates
with the due time as its "now" and a threshold of <= 0) and the API's /health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pipelines.analytics import exchange_calendar
from pipelines.config import Project


def due_session(project: Project, now: datetime) -> date | None:
    """The latest session whose daily bar is due at `now`: its close plus
    `daily_grace_minutes` has passed (early closes included). None before the first."""
    settings = project.settings
    grace = timedelta(minutes=settings.checks.freshness.daily_grace_minutes)
    return exchange_calendar.expected_daily_session(settings.exchange.calendar, now, grace)


def due_times(project: Project, now: datetime) -> dict[str, datetime | None]:
    """When the latest daily and 1-minute bars are due at `now`, by the exchange calendar: a
    daily bar `daily_grace_minutes` after its session's close (early closes included), a minute
    bar `intraday_delay_minutes` behind the clock inside a session."""
    settings = project.settings
    fresh = settings.checks.freshness
    zone = ZoneInfo(settings.exchange.timezone)
    session = due_session(project, now)
    minute = exchange_calendar.expected_minute(
        settings.exchange.calendar, now, timedelta(minutes=fresh.intraday_delay_minutes)
    )
    return {
        # Daily bars are keyed at 00:00 of their session in the exchange's zone.
        "1d": datetime.combine(session, time(0), zone).astimezone(UTC) if session else None,
        "1m": minute,
    }


def skip_reason(project: Project, interval: str, due: datetime | None) -> str:
    """Why the freshness of `interval` is not judged ('' when it is)."""
    served = project.settings.provider_for(interval)
    if served is None:
        return f"no provider serves {interval} (intervals in config.yaml)"
    name, provider = served
    if not provider.freshness:
        return (
            f"provider {name!r} is {provider.describe()} with freshness: false "
            f"(providers.{name}.freshness)"
        )
    if due is None:
        return "the calendar has no closed session yet"
    return ""


def is_fresh(latest: datetime | None, due: datetime) -> bool:
    """The rule: the latest bar is at or after the one due."""
    return latest is not None and latest >= due


@dataclass(frozen=True)
class Verdict:
    due: datetime | None  # the bar that must be there (None: not judged)
    fresh: bool | None  # None: not judged (see skipped)
    skipped: str = ""


def judge(
    project: Project, interval: str, latest: date | datetime | None, now: datetime
) -> Verdict:
    """Whether a table's latest bar (a session date or a bar's start) is fresh at `now`."""
    due = due_times(project, now)[interval]
    reason = skip_reason(project, interval, due)
    if reason or due is None:
        return Verdict(None, None, reason)
    if isinstance(latest, date) and not isinstance(latest, datetime):
        zone = ZoneInfo(project.settings.exchange.timezone)
        latest = datetime.combine(latest, time(0), zone)  # where daily bars are keyed
    return Verdict(due, is_fresh(latest, due))


def due_text(project: Project, interval: str, moment: datetime | None) -> str:
    if moment is None:
        return "nothing due yet"
    local = moment.astimezone(ZoneInfo(project.settings.exchange.timezone))
    if interval == "1d":
        return f"due: the bar of session {local.date().isoformat()}"
    return f"due: the minute of {local.strftime('%Y-%m-%d %H:%M %Z')}"
