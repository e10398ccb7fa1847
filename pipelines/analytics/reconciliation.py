"""How a secondary provider's bar is compared with the primary's (silver.reconciliation), and
what a disagreement looks like: the one place the reason codes and the comparison's SQL live.
The models get them through macros (macros/marketflow.py); the tolerances are config.yaml's
`reconciliation` (pipelines/config/data_quality.py).

Both bars are compared as traded (a Yahoo-style split-adjusted bar converted back first, as
silver does for the primary). The price difference is the largest relative difference of open,
high, low and close, in basis points of the primary's; the volume difference is relative to the
larger volume, in percent. Two bars agree when both are within the interval's tolerances.
"""

from __future__ import annotations

from pipelines.analytics.price_anomalies import split_ratio_near_sql, unit_step_sql

PRICES = ("open", "high", "low", "close")
# pipelines/config/data_quality.py's defaults (a model reads the variable as written).
DEFAULTS = {"price_bps": 5.0, "volume_pct": 1.0, "policy": "flag"}

# (code, meaning), in the order a disagreement is named: silver.reconciliation.reason.
REASONS = (
    ("agree", "both bars within the tolerances"),
    ("missing_primary", "the secondary has a bar where the primary has none (or unusable)"),
    ("missing_secondary", "the primary has a bar where the secondary has none (or unusable)"),
    ("unit_ratio", "closes about 100x apart: a unit error (pence for pounds, cents for dollars)"),
    ("split_ratio", "closes a split ratio apart: a split one side applied and the other missed"),
    ("outlier", "one side jumped alone: the bars agreed the bar before, and one side's close "
     "moved from it far more than the other's (outlier_side)"),
    ("price_mismatch", "open, high, low or close differ beyond price_bps"),
    ("volume_mismatch", "the prices agree, the volumes differ beyond volume_pct"),
)  # fmt: skip
CODES = tuple(code for code, _ in REASONS)


def setting(variable: dict | None, interval: str, name: str) -> object:
    """A setting of config.yaml's `reconciliation` variable for one interval; None when the
    interval is not reconciled."""
    configured = (variable or {}).get(interval)
    return None if not configured else configured.get(name, DEFAULTS[name])


def price_diff_bps_sql(primary: str, secondary: str) -> str:
    """The largest relative difference of the four prices, in basis points of the primary's
    (NULL where a price of the primary is zero: such a bar is unusable, never compared)."""
    parts = ", ".join(f"ABS({secondary}.{p} / NULLIF({primary}.{p}, 0) - 1)" for p in PRICES)
    return f"(GREATEST({parts}) * 10000)"


def volume_diff_pct_sql(primary: str, secondary: str) -> str:
    """|difference| / the larger volume, in percent; 0 when both are 0."""
    a, b = f"{primary}.volume", f"{secondary}.volume"
    return f"COALESCE(ABS({b} - {a}) / NULLIF(GREATEST({a}, {b}), 0) * 100, 0)"


def agree_sql(primary: str, secondary: str, price_bps: float, volume_pct: float) -> str:
    """SQL true when the two bars agree within the tolerances."""
    return (
        f"({price_diff_bps_sql(primary, secondary)} <= {price_bps!r} AND "
        f"{volume_diff_pct_sql(primary, secondary)} <= {volume_pct!r})"
    )


def unit_ratio_sql(ratio: str) -> str:
    """SQL true when secondary close / primary close is a unit error's 100 or 1/100
    (price_anomalies' rule)."""
    return f"({unit_step_sql(ratio)}) IS NOT NULL"


def split_ratio_sql(ratio: str) -> str:
    """SQL true when the closes are a split ratio apart (price_anomalies' ratios)."""
    return f"({split_ratio_near_sql(ratio)}) IS NOT NULL"
