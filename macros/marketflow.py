"""Macros shared by the models: settings from config.yaml's top-level `exchange` and
`adjustment` variables (never the `marketflow` block: SQLMesh versions a model by the whole
value of each variable it reads, and the universe must not rebuild models), and the warm-up
window that lets incremental models compute windows exactly."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlglot import exp
from sqlmesh import macro
from sqlmesh.core.macros import MacroEvaluator

from pipelines.analytics.bar_rules import (
    ACTION_VALUES,
    BAR_VALUES,
    differs_sql,
    price_problem_sql,
    reason_text,
)
from pipelines.analytics.crossover import side_sql
from pipelines.analytics.price_anomalies import (
    STEP_TOLERANCE,
    UNIT_REVERT_SESSIONS,
    UNIT_TOLERANCE,
    repair_text,
    rule_text,
    split_ratio_near_sql,
    unit_step_sql,
)
from pipelines.warehouse.spark_overwrite import partitions

# Rows an incremental model reads before its interval so that every window indicator (the
# longest is 252 sessions) sees its whole window: 730 calendar days hold 500 sessions, so a
# ticker may miss up to 248 sessions of the year before and still be computed exactly.
WARMUP_DAYS = 730


@macro()
def dividend_multiplier(
    evaluator: MacroEvaluator,
    cash: exp.Expression,
    prev_close: exp.Expression,
    ex_close: exp.Expression,
) -> exp.Expression:
    """What a dividend multiplies earlier prices by, per adjustment.dividend_method:
    prev_close (Yahoo, CRSP): 1 - D / close of the session before the ex-date;
    ex_close (Quandl WIKI): close(ex) / (close(ex) + D).
    Chosen here rather than with a CASE on a constant, which sqlglot's simplifier mangles."""
    method = (evaluator.var("adjustment") or {}).get("dividend_method", "prev_close")
    if method == "ex_close":
        return exp.Div(
            this=ex_close, expression=exp.paren(exp.Add(this=ex_close.copy(), expression=cash))
        )
    return exp.Sub(this=exp.Literal.number(1), expression=exp.Div(this=cash, expression=prev_close))


@macro()
def warmup_start(evaluator: MacroEvaluator, start: exp.Expression) -> exp.Expression:
    """The first date an incremental model must read to compute its interval exactly."""
    return exp.Sub(
        this=exp.cast(start, exp.DataType.build("date")),
        expression=exp.Interval(this=exp.Literal.string(str(WARMUP_DAYS)), unit=exp.var("DAY")),
    )


@macro()
def postgres_indexes(evaluator: MacroEvaluator, *column_sets: exp.Expression) -> str | None:
    """CREATE INDEX statements for the model's physical table, on PostgreSQL only, when SQLMesh
    creates it: incremental reads select a date range (or a ticker) out of long histories, which
    DuckDB prunes with zone maps but PostgreSQL scans without an index. Each argument is a
    column or a tuple of columns."""
    if evaluator.runtime_stage != "creating" or evaluator.engine_adapter.dialect != "postgres":
        return None
    table = evaluator.this_model
    base = table.rsplit(".", 1)[-1].strip('"')[-40:]
    statements = []
    for columns in column_sets:
        names = [
            c.name for c in (columns.expressions if isinstance(columns, exp.Tuple) else [columns])
        ]
        index = f"ix_{base}_{'_'.join(names)}"[:63]
        quoted = ", ".join(f'"{n}"' for n in names)
        statements.append(f'CREATE INDEX IF NOT EXISTS "{index}" ON {table} ({quoted})')
    return "; ".join(statements)


@macro()
def crossover_window(evaluator: MacroEvaluator, which: exp.Expression) -> exp.Expression:
    """The fast or slow SMA window of the crossover signals (top-level `crossovers`
    variable; SMA 50/200 by default)."""
    name = which.name.lower()
    defaults = {"fast": 50, "slow": 200}
    if name not in defaults:
        raise ValueError(f"crossover_window: 'fast' or 'slow', not {name!r}")
    return exp.Literal.number(int((evaluator.var("crossovers") or {}).get(name, defaults[name])))


@macro()
def price_problem(
    evaluator: MacroEvaluator,
    open_: exp.Expression,
    high: exp.Expression,
    low: exp.Expression,
    close: exp.Expression,
    volume: exp.Expression,
) -> exp.Expression:
    """Why a bar's values are impossible (NULL when they are fine), by the price rules of
    pipelines/analytics/bar_rules.py: daily and 1-minute bars, the quarantine and the audit."""
    columns = (e.sql(dialect=evaluator.dialect) for e in (open_, high, low, close, volume))
    return exp.maybe_parse(price_problem_sql(*columns), dialect=evaluator.dialect)


@macro()
def quarantine_reason(evaluator: MacroEvaluator, key: exp.Expression) -> exp.Expression:
    """The text of a quarantine reason, by its key in pipelines/analytics/bar_rules.py."""
    return exp.Literal.string(reason_text(key.name))


@macro()
def split_ratio_near(evaluator: MacroEvaluator, step: exp.Expression) -> exp.Expression:
    """The split ratio a step (previous close / close) looks like, NULL when none
    (pipelines/analytics/price_anomalies.py)."""
    sql = split_ratio_near_sql(step.sql(dialect=evaluator.dialect))
    return exp.paren(exp.maybe_parse(sql, dialect=evaluator.dialect), copy=False)


@macro()
def unit_step(evaluator: MacroEvaluator, step: exp.Expression) -> exp.Expression:
    """100 or 0.01 when a step is a unit error's, NULL otherwise."""
    sql = unit_step_sql(step.sql(dialect=evaluator.dialect))
    return exp.paren(exp.maybe_parse(sql, dialect=evaluator.dialect), copy=False)


@macro()
def anomaly_rule(evaluator: MacroEvaluator, key: exp.Expression) -> exp.Expression:
    """The text of a price anomaly's rule, by its key (silver.price_anomalies.rule)."""
    return exp.Literal.string(rule_text(key.name))


@macro()
def repair_kind(evaluator: MacroEvaluator, rule: exp.Expression) -> exp.Expression:
    """silver.repairs.repair of a rule's fix, by the rule's key."""
    return exp.Literal.string(repair_text(rule.name))


@macro()
def repair_on(evaluator: MacroEvaluator, source: exp.Expression) -> exp.Expression:
    """True for the bars of a provider whose `repair` is on (config.yaml's top-level `repair`
    variable: provider -> true; off by default)."""
    chosen = sorted(name for name, on in (evaluator.var("repair") or {}).items() if on)
    if not chosen:
        return exp.false()
    return exp.In(this=source, expressions=[exp.Literal.string(name) for name in chosen])


@macro()
def anomaly_setting(evaluator: MacroEvaluator, name: exp.Expression) -> exp.Expression:
    """A tolerance or a session count of the price anomaly rules, as a number."""
    settings = {
        "step_tolerance": STEP_TOLERANCE,
        "unit_tolerance": UNIT_TOLERANCE,
        "unit_revert_sessions": UNIT_REVERT_SESSIONS,
    }
    return exp.Literal.number(settings[name.name.lower()])


@macro()
def crossover_side(
    evaluator: MacroEvaluator, fast: exp.Expression, slow: exp.Expression
) -> exp.Expression:
    """+1, -1 or 0: the side of the slow SMA the fast one is on (pipelines/analytics/crossover.py,
    the rule the crossover backtest uses too)."""
    d = evaluator.dialect
    return exp.maybe_parse(side_sql(fast.sql(dialect=d), slow.sql(dialect=d)), dialect=d)


# A raw file's name starts with its landing's load id (pipelines/ingest/landing.py).
LOAD_ID_PATTERN = r"([0-9]{8}T[0-9]{12}Z-[0-9a-f]{8})-[0-9]+\.parquet$"


@macro()
def file_load_id(evaluator: MacroEvaluator) -> exp.Expression:
    """The load id of the raw file a row was read from (the spark gateway's bronze models)."""
    return exp.maybe_parse(
        f"REGEXP_EXTRACT(INPUT_FILE_NAME(), '{LOAD_ID_PATTERN}', 1)", dialect="spark"
    )


@macro()
def bar_value_hash(evaluator: MacroEvaluator) -> exp.Expression:
    """What makes two copies of a bar the same bar (BAR_VALUES, as dlt's
    bronze compares them): md5 of its values as text, NULL spelled out so it compares."""
    text = ", ".join(f"COALESCE(CAST({v} AS STRING), '<null>')" for v in BAR_VALUES)
    return exp.maybe_parse(f"MD5(CONCAT_WS('|', {text}))", dialect="spark")


@macro()
def differs(
    evaluator: MacroEvaluator, kind: exp.Expression, this: exp.Expression, other: exp.Expression
) -> exp.Expression:
    """True when row `this` holds other values than row `other`: a new version of a bar (kind
    bars: BAR_VALUES) or of a corporate action (actions: ACTION_VALUES), as dlt's bronze
    decides it (pipelines/ingest/bronze/versions.py)."""
    values = BAR_VALUES if kind.name == "bars" else ACTION_VALUES
    sql = differs_sql(tuple(f"`{v}`" for v in values), this.name, other.name)
    return exp.paren(exp.maybe_parse(sql, dialect="spark"), copy=False)


@macro()
def drop_older_than(evaluator: MacroEvaluator, column: exp.Expression, days: exp.Expression) -> Any:
    """Delete the model's rows whose `column` (its time column) is more than `days` days
    before the interval's start, while the model is evaluated. Spark's Parquet tables take no
    DELETE: there the partitions of those dates (SQLMesh partitions a time-range model by its
    time column) are dropped instead."""
    if evaluator.runtime_stage != "evaluating":
        return None
    start = evaluator.locals.get("start_ds")
    cutoff = date.fromisoformat(str(start)) - timedelta(days=int(days.name))
    table = exp.to_table(evaluator.this_model, dialect=evaluator.dialect)
    if evaluator.engine_adapter.dialect != "spark":
        return exp.delete(
            table,
            where=exp.column(column.name)
            < exp.cast(exp.Literal.string(cutoff.isoformat()), exp.DataType.build("date")),
        )
    name = table.sql(dialect="spark", identify=True)
    found = [p[column.name] for p in partitions(evaluator.engine_adapter, table)]
    old = sorted(value for value in found if value < cutoff.isoformat())
    if not old:
        return None
    specs = ", ".join(f"PARTITION ({column.name} = '{value}')" for value in old)
    return exp.maybe_parse(f"ALTER TABLE {name} DROP IF EXISTS {specs}", dialect="spark")
