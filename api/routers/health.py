"""GET /health: freshness per table (the quality layer's judgement) and the last run."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter

from api.deps import DB, ProjectDep
from api.models import Health
from pipelines.quality.freshness import judge
from pipelines.warehouse import queries

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Freshness and the last run")
def health(db: DB, project: ProjectDep) -> dict:
    """Always 200 while the warehouse answers: `degraded` when a table is behind what the
    calendar says is due (for providers whose data is meant to be current) or the last run
    did not end well. `reconciliation`: how often each pair of providers agrees."""
    now = datetime.now(UTC)
    zone = ZoneInfo(project.settings.exchange.timezone)
    tables = []
    for table, (interval, _) in queries.LATEST.items():
        latest = queries.latest(db, table)
        verdict = judge(project, interval, latest, now)
        due = verdict.due
        if due is not None and interval == "1d":
            due = due.astimezone(zone).date()  # daily bars are named by their session
        tables.append(
            {"table": table, "latest": _text(latest), "due": _text(due), "fresh": verdict.fresh}
        )
    last_run = queries.last_run(db)
    degraded = any(t["fresh"] is False for t in tables) or (
        last_run is not None and last_run["status"] != "ok"
    )
    return {
        "status": "degraded" if degraded else "ok",
        "checked_at": now,
        "tables": tables,
        "last_run": last_run,
        "reconciliation": queries.provider_agreement(db),
    }


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
