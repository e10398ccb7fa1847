"""What makes a bar impossible, and every reason silver refuses one: the one home of both.

The rules are SQL over a bar's columns, in the models' dialect (duckdb; transpiled for the
engine where they run). They are used, never copied, by:
  * the models: @price_problem and @quarantine_reason (macros/marketflow.py) decide each bar's
    reject_reason in silver.bars_daily_checked, silver.bars_1m_checked and silver.quarantine;
  * the audit audits/ohlc_sane.sql, which checks the good bars with @price_problem;
  * the Soda contracts, whose ${var.PRICE_PROBLEM} and ${var.<FAULT>_REASONS} pipelines/quality
    fills from here, so a new reason is counted by the check of its fault.
docs/tables.md lists the reasons, from REASONS.
"""

from __future__ import annotations

from dataclasses import dataclass

FAULTS = ("prices", "calendar", "duplicates", "providers")

# What makes two copies of a bar the same bar (fetched_at and load_id may differ freely).
BAR_VALUES = (
    "open",
    "high",
    "low",
    "close",
    "volume",
    "provider_adj_close",
    "price_basis",
    "source",
)
# What makes two copies of a corporate action the same action.
ACTION_VALUES = ("value", "price_basis", "source")


def differs_sql(values: tuple[str, ...], this: str, other: str) -> str:
    """SQL true when row `this` holds other values than row `other` (NULL equals NULL, and NaN
    NaN, on every engine): a new version of a bar or an action."""
    return " OR ".join(f"{this}.{v} IS DISTINCT FROM {other}.{v}" for v in values)


# (key, text, fault, rule) as plain tuples: SQLMesh copies what the macros use into each model
# by value, and plain values are what it can copy. key: how a model names the reason
# (@quarantine_reason(<key>)); text: silver.quarantine.reason; fault: the quarantine check that
# counts it (checks/silver/quarantine.yml); rule (price rules only): when it applies, over
# {o} {h} {lo} {c} {v}, {missing_o} ... {missing_v} and {infinite_o} ... {infinite_v}. In order:
# the first price rule a bar breaks is its reason.
PRICE_RULES = (
    ("missing_price", "missing price", "prices",
     "{missing_o} OR {missing_h} OR {missing_lo} OR {missing_c}"),
    ("non_finite_price", "non-finite price", "prices",
     "{infinite_o} OR {infinite_h} OR {infinite_lo} OR {infinite_c}"),
    ("non_positive_price", "non-positive price", "prices",
     "{o} <= 0 OR {h} <= 0 OR {lo} <= 0 OR {c} <= 0"),
    ("high_below_low", "high below low", "prices", "{h} < {lo}"),
    ("open_outside_range", "open outside low-high", "prices", "{o} < {lo} OR {o} > {h}"),
    ("close_outside_range", "close outside low-high", "prices", "{c} < {lo} OR {c} > {h}"),
    ("bad_volume", "negative or missing volume", "prices",
     "{missing_v} OR {infinite_v} OR {v} < 0"),
)  # fmt: skip
OTHER_REASONS = (
    ("not_a_session", "not a session", "calendar", ""),
    ("outside_session_hours", "outside session hours", "calendar", ""),
    ("duplicate_session_bar", "duplicate session bar", "duplicates", ""),
    # Every version of a key that one landing carried with different values, numbered.
    ("conflicting_duplicate", "conflicting duplicate", "duplicates", ""),
    # A bar the secondary providers contradict, refused by reconciliation's policy (refuse, or
    # majority without one): silver.reconciliation says how they disagree.
    ("providers_disagree", "providers disagree", "providers", ""),
)
NUMBERED = {"conflicting_duplicate"}  # text + ' <n> of <m>'
# Corporate actions silver.adjustment_events refuses to apply (its `rejected` column), checked
# by checks/silver/corporate_actions.yml. unknown_ticker: a ticker outside the universe
# (bronze.tickers) with no bar within a quarter of the ex-date, such as a typo in a vendor's
# file: nothing to adjust, and the universe's own ticker may be missing the action.
ACTION_REASONS = (
    ("dividend_above_close", "dividend at or above the previous close", "actions", ""),
    ("non_positive_split", "non-positive split ratio", "actions", ""),
    ("unknown_ticker", "ticker not in the universe", "actions", ""),
)


@dataclass(frozen=True)
class Reason:
    key: str
    text: str
    fault: str
    rule: str = ""


REASONS = tuple(Reason(*row) for row in (*PRICE_RULES, *OTHER_REASONS))


def reason(key: str) -> Reason:
    found = next((r for r in REASONS if r.key == key), None)
    if found is None:
        raise ValueError(f"no quarantine reason {key!r} (known: {[r.key for r in REASONS]})")
    return found


def reason_text(key: str) -> str:
    """silver.quarantine.reason of a reason's key (what @quarantine_reason writes)."""
    for row in (*PRICE_RULES, *OTHER_REASONS, *ACTION_REASONS):
        if row[0] == key:
            return row[1]
    raise ValueError(f"no quarantine reason {key!r}")


def missing(column: str) -> str:
    """NULL or NaN (DuckDB and PostgreSQL both say NaN = NaN)."""
    return f"({column} IS NULL OR {column} = CAST('NaN' AS DOUBLE))"


def infinite(column: str) -> str:
    """+inf or -inf: a value every comparison lets through, and LN cannot take."""
    return f"(ABS({column}) = CAST('Infinity' AS DOUBLE))"


def price_problem_sql(o: str, h: str, lo: str, c: str, v: str) -> str:
    """A CASE that names the first price rule the bar breaks, NULL when it breaks none."""
    columns = {"o": o, "h": h, "lo": lo, "c": c, "v": v}
    names = dict(columns)
    names |= {f"missing_{k}": missing(col) for k, col in columns.items()}
    names |= {f"infinite_{k}": infinite(col) for k, col in columns.items()}
    cases = "\n".join(
        f"  WHEN {rule.format(**names)} THEN '{text}'" for _, text, _, rule in PRICE_RULES
    )
    return f"CASE\n{cases}\nEND"


def fault_condition(fault: str, column: str = "reason") -> str:
    """SQL true for the reasons of one fault, over silver.quarantine's reason column."""
    if fault not in FAULTS:
        raise ValueError(f"no fault {fault!r} (known: {FAULTS})")
    mine = [r for r in REASONS if r.fault == fault]
    exact = ", ".join(f"'{r.text}'" for r in mine if r.key not in NUMBERED)
    parts = [f"{column} IN ({exact})"] if exact else []
    parts += [f"{column} LIKE '{r.text} %'" for r in mine if r.key in NUMBERED]
    return " OR ".join(parts)
