"""silver.sessions: the exchange calendar (pandas-market-calendars), early closes included."""

from __future__ import annotations

import typing as t
from datetime import date, datetime

import pandas as pd
from sqlglot import exp
from sqlmesh import ExecutionContext, model
from sqlmesh.core.model.kind import ModelKindName


@model(
    "silver.sessions",
    kind=dict(name=ModelKindName.FULL),
    cron="@daily",
    grain=["session_date"],
    description="Every session of the configured exchange from the model start to the end of "
    "next year, with its open and close in UTC; rebuilt daily.",
    columns={
        "session_date": "date",
        "market_open": "timestamptz",
        "market_close": "timestamptz",
        "early_close": "boolean",
        "session_index": "int",
    },
    column_descriptions={
        "session_date": "Trading day, as a date in the exchange's time zone",
        "market_open": "Regular-session open (UTC)",
        "market_close": "Regular-session close (UTC); earlier on early-close days",
        "early_close": "True when the session closes before the regular time",
        "session_index": "Position in the calendar (0 = the first session since 1990): the "
        "number of sessions between two dates is a subtraction",
    },
    audits=[("unique_values", {"columns": [exp.column("session_date")]})],
)
def execute(
    context: ExecutionContext,
    start: datetime,
    end: datetime,
    execution_time: datetime,
    **kwargs: t.Any,
) -> pd.DataFrame:
    # Imported here, not at module level: SQLMesh would otherwise serialize the module by value
    # when the project folder holds the pipelines package (it refuses module aliases).
    from pipelines.analytics import exchange_calendar

    calendar = (context.var("exchange") or {}).get("calendar", "XNYS")
    last = date(max(execution_time.year, end.year) + 1, 12, 31)
    sessions = exchange_calendar.sessions_between(calendar, exchange_calendar.CALENDAR_START, last)
    sessions["session_index"] = range(len(sessions))
    return sessions
