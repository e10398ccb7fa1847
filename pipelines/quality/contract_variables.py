"""The values of the variables the Soda contracts declare (checks/**/*.yml): config.yaml's
thresholds and reviewed steps, the due times by the exchange calendar, the window a run
checks, and the rules, reasons and codes of pipelines/analytics/ in the engine's dialect, so
that a contract never writes one of them itself."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlglot

from pipelines.analytics import bar_rules, price_anomalies, reconciliation
from pipelines.config import Project
from pipelines.quality.freshness import due_session, due_times
from pipelines.warehouse.engines import Warehouse

WHOLE_HISTORY = date(1900, 1, 1)
WINDOW_VARIABLE = "SINCE"


def variables(project: Project, now: datetime, since: date = WHOLE_HISTORY) -> dict[str, str]:
    """Every variable a contract may declare: config.yaml's thresholds, the due times, the
    window, and the bar rules in the engine's dialect."""
    checks = project.settings.checks
    due = due_times(project, now)
    warehouse = Warehouse.of(project)
    known = ", ".join(
        "'" + f"{k.ticker} {k.session.isoformat()}".replace("'", "''") + "'"
        for k in checks.known_price_steps
    )

    def sql(text: str) -> str:  # the rules are written in the models' dialect
        return sqlglot.transpile(text, read="duckdb", write=warehouse.dialect)[0]

    values = {
        "DATABASE": warehouse.catalog,
        "DAILY_DUE": (due["1d"] or datetime(1970, 1, 1, tzinfo=UTC)).isoformat(),
        "MINUTE_DUE": (due["1m"] or datetime(1970, 1, 1, tzinfo=UTC)).isoformat(),
        "DUE_SESSION": (due_session(project, now) or date(1970, 1, 1)).isoformat(),
        "PRICE_STEP": repr(float(checks.price_step)),
        "VOLUME_STEP": repr(float(checks.volume_step)),
        "STALE_SESSIONS": str(int(checks.stale_after_sessions)),
        "REVISION_CHANGE": repr(float(checks.revisions.max_price_change)),
        "REVISION_COUNT": str(int(checks.revisions.max_count)),
        "KNOWN_STEPS": known or "''",
        WINDOW_VARIABLE: since.isoformat(),
        "PRICE_PROBLEM": sql(bar_rules.price_problem_sql("open", "high", "low", "close", "volume")),
    }
    for fault in bar_rules.FAULTS:
        values[f"{fault.upper()}_REASONS"] = sql(bar_rules.fault_condition(fault))
    for key, text in price_anomalies.RULES:
        values[f"ANOMALY_{key.upper()}"] = "'" + text.replace("'", "''") + "'"
    for code in reconciliation.CODES:
        values[f"RECONCILE_{code.upper()}"] = f"'{code}'"
    return values
