"""Macros of reconciliation across providers: config.yaml's top-level `reconciliation`
variable (tolerances) and the comparison's SQL from pipelines/analytics/reconciliation.py, for
silver.reconciliation and gold.provider_agreement. The policy silver applies to the primary's
bars is @reconciled_bars (macros/bars.py)."""

from __future__ import annotations

from sqlglot import exp
from sqlmesh import macro
from sqlmesh.core.macros import MacroEvaluator

from pipelines.analytics.reconciliation import (
    CODES,
    DEFAULTS,
    agree_sql,
    price_diff_bps_sql,
    setting,
    split_ratio_sql,
    unit_ratio_sql,
    volume_diff_pct_sql,
)


def _setting(evaluator: MacroEvaluator, interval: str, name: str) -> object:
    found = setting(evaluator.var("reconciliation"), interval, name)
    return DEFAULTS[name] if found is None else found


def _parsed(evaluator: MacroEvaluator, sql: str) -> exp.Expression:
    return exp.paren(exp.maybe_parse(sql, dialect=evaluator.dialect), copy=False)


@macro()
def reconcile_setting(
    evaluator: MacroEvaluator, interval: exp.Expression, name: exp.Expression
) -> exp.Expression:
    """price_bps or volume_pct of an interval's reconciliation, as a number."""
    return exp.Literal.number(float(_setting(evaluator, interval.name, name.name)))  # type: ignore[arg-type]


@macro()
def reconciled(evaluator: MacroEvaluator, interval: exp.Expression) -> exp.Expression:
    """TRUE when config.yaml's `reconciliation` names secondaries for the interval, else FALSE:
    a literal, so an engine prunes the comparison of an interval nobody reconciles before
    reading anything (on Spark, bronze is views over the raw store)."""
    return (
        exp.true()
        if setting(evaluator.var("reconciliation"), interval.name, "policy")
        else exp.false()
    )


@macro()
def reconcile_reason(evaluator: MacroEvaluator, code: exp.Expression) -> exp.Expression:
    """A reason code of silver.reconciliation, checked against the list."""
    if code.name not in CODES:
        raise ValueError(f"no reconciliation reason {code.name!r} (known: {CODES})")
    return exp.Literal.string(code.name)


@macro()
def price_diff_bps(
    evaluator: MacroEvaluator, primary: exp.Expression, secondary: exp.Expression
) -> exp.Expression:
    return _parsed(evaluator, price_diff_bps_sql(primary.name, secondary.name))


@macro()
def volume_diff_pct(
    evaluator: MacroEvaluator, primary: exp.Expression, secondary: exp.Expression
) -> exp.Expression:
    return _parsed(evaluator, volume_diff_pct_sql(primary.name, secondary.name))


@macro()
def bars_agree(
    evaluator: MacroEvaluator,
    interval: exp.Expression,
    primary: exp.Expression,
    secondary: exp.Expression,
) -> exp.Expression:
    """True when two bars (table aliases with open ... volume) agree within the interval's
    tolerances."""
    bps = float(_setting(evaluator, interval.name, "price_bps"))  # type: ignore[arg-type]
    pct = float(_setting(evaluator, interval.name, "volume_pct"))  # type: ignore[arg-type]
    return _parsed(evaluator, agree_sql(primary.name, secondary.name, bps, pct))


@macro()
def unit_ratio(evaluator: MacroEvaluator, ratio: exp.Expression) -> exp.Expression:
    return _parsed(evaluator, unit_ratio_sql(ratio.sql(dialect=evaluator.dialect)))


@macro()
def split_ratio(evaluator: MacroEvaluator, ratio: exp.Expression) -> exp.Expression:
    return _parsed(evaluator, split_ratio_sql(ratio.sql(dialect=evaluator.dialect)))
