"""GET /health: freshness per table (by the exchange calendar) and the last run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter

from api.deps import DB, ProjectDep, rows
from api.models import Health
from pipelines.quality import due_times, freshness_skip

router = APIRouter(tags=["health"])

# table -> (interval, SQL of its latest session or bar)
TABLES = {
    "silver.bars_daily": ("1d", "SELECT MAX(session_date) AS latest FROM silver.bars_daily"),
    "silver.bars_1m": ("1m", "SELECT MAX(ts) AS latest FROM silver.bars_1m"),
    "gold.daily_features": ("1d", "SELECT MAX(session_date) AS latest FROM gold.daily_features"),
}


@router.get("/health", response_model=Health, summary="Freshness and the last run")
def health(db: DB, project: ProjectDep) -> dict:
    """Always 200 while the warehouse answers: `degraded` when a table is behind what the
    calendar says is due (for providers whose data is meant to be current) or the last run
    did not end well."""
    now = datetime.now(UTC)
    due = due_times(project, now)
    tables = []
    for table, (interval, sql) in TABLES.items():
        latest = rows(db, sql)[0]["latest"]
        judged = not freshness_skip(project, interval, due[interval])
        expected = due[interval] if judged else None
        if expected is not None and interval == "1d":
            expected = expected.astimezone(_zone(project)).date()
        fresh = None
        if expected is not None:
            fresh = latest is not None and _comparable(latest) >= _comparable(expected)
        tables.append(
            {
                "table": table,
                "latest": _text(latest),
                "due": _text(expected),
                "fresh": fresh,
            }
        )
    last_run = _last_run(db)
    degraded = any(t["fresh"] is False for t in tables) or (
        last_run is not None and last_run["status"] != "ok"
    )
    return {
        "status": "degraded" if degraded else "ok",
        "checked_at": now,
        "tables": tables,
        "last_run": last_run,
    }


def _last_run(db: DB) -> dict | None:
    try:
        found = rows(
            db,
            "SELECT run_id, command, status, started_at, ended_at, exit_code FROM ops.runs "
            "WHERE command <> 'check' ORDER BY started_at DESC LIMIT 1",
        )
    except Exception:  # no run logged yet (the table appears with the first one)
        return None
    return found[0] if found else None


def _zone(project: ProjectDep) -> ZoneInfo:
    return ZoneInfo(project.settings.exchange.timezone)


def _comparable(value: object) -> str:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else str(value)


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else json.dumps(value)
