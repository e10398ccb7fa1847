"""What silver.price_anomalies flags in the as-traded daily closes: steps that a corporate
action should explain and does not, and steps of a unit error. The one place the ratios and
tolerances live; the model gets them through macros (macros/marketflow.py).

A step is previous close / close, as traded (silver.bars_daily_clean), so a 2:1 split shows as
about 2 and a 1:10 reverse split as about 0.1.
"""

from __future__ import annotations

# Split ratios a step is compared with (new shares per old): forward and reverse splits.
SPLIT_RATIOS = (2.0, 3.0, 4.0, 5.0, 7.0, 8.0, 10.0, 15.0, 20.0, 1.5)
ALL_SPLIT_RATIOS = SPLIT_RATIOS + tuple(1.0 / r for r in SPLIT_RATIOS)
# A step within 3 % of a split ratio looks like that split: a 2:1 split on a day that moves
# 1 % more is a step of 1.98 or 2.02, while a crash of half the price is rarely that exact.
SPLIT_TOLERANCE = 0.03
# A split action whose ex-date step is more than 25 % from its ratio shows no step: a real 2:1
# split on a day that moves 10 % is still a step of 1.8 to 2.2.
STEP_TOLERANCE = 0.25
# A unit error (pence for pounds, cents for dollars): a step of 100x, within 20 %, that steps
# back within UNIT_REVERT_SESSIONS sessions.
UNIT_RATIO = 100.0
UNIT_TOLERANCE = 0.2
UNIT_REVERT_SESSIONS = 5

# (key, text): silver.price_anomalies.rule.
RULES = (
    ("missed_split", "step like a split, no split action"),
    ("split_without_step", "split action, no step in the prices"),
    ("unit_error", "100x step that steps back"),
    # A close a split or unit ratio away from its own day's range: adjusted (or scaled) on its
    # own, its high and low not (silver refuses the bar: close outside low-high).
    ("close_outside_range", "close a split or unit ratio off its day's range"),
)


# What repair (config.yaml's `repair.<provider>: true`) does about each rule: (rule, repair),
# silver.repairs.repair. An inferred split is applied as a split action of the ratio the step
# looked like; a split action with no step adjusts nothing; a unit error's sessions are scaled
# back by the ratio they stepped (prices only: volume was never in the wrong unit).
REPAIRS = (
    ("missed_split", "inferred split"),
    ("split_without_step", "split ignored"),
    ("unit_error", "unit rescale"),
)


def repair_text(rule: str) -> str:
    for key, text in REPAIRS:
        if key == rule:
            return text
    raise ValueError(f"no repair for rule {rule!r} (known: {[r[0] for r in REPAIRS]})")


def rule_text(key: str) -> str:
    for name, text in RULES:
        if name == key:
            return text
    raise ValueError(f"no price anomaly rule {key!r} (known: {[r[0] for r in RULES]})")


def near(value: str, target: str, tolerance: float) -> str:
    """SQL true when `value` is within `tolerance` (relative) of `target`."""
    return f"ABS({value} / {target} - 1) <= {tolerance!r}"


def split_ratio_near_sql(step: str) -> str:
    """SQL: the split ratio `step` is within SPLIT_TOLERANCE of (NULL when none)."""
    cases = " ".join(
        f"WHEN {near(step, repr(r), SPLIT_TOLERANCE)} THEN {r!r}" for r in ALL_SPLIT_RATIOS
    )
    return f"CASE {cases} END"


def unit_step_sql(step: str) -> str:
    """SQL: 100.0 or 0.01 when `step` is a unit error's step up or down (NULL otherwise)."""
    up, down = UNIT_RATIO, 1.0 / UNIT_RATIO
    return (
        f"CASE WHEN {near(step, repr(up), UNIT_TOLERANCE)} THEN {up!r} "
        f"WHEN {near(step, repr(down), UNIT_TOLERANCE)} THEN {down!r} END"
    )
