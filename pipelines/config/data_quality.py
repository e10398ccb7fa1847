"""Two settings the models read (top-level variables of config.yaml, beside `adjustment`):
reconciliation across providers (silver.reconciliation) and price repair per provider
(silver.repairs). A change to either restates the models that use it, as it should: the
verdicts and the repaired prices depend on them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipelines.config.providers import Strict

# primary wins and the disagreement is flagged; both are refused (the primary's bar goes to the
# quarantine); or, with two secondaries or more, the value most providers agree on is kept.
Policy = Literal["flag", "refuse", "majority"]


class Reconcile(Strict):
    """One interval's comparison: the provider `intervals` names (the primary) against each
    secondary, bar by bar, as traded."""

    secondaries: list[str] = Field(
        min_length=1, description="providers fetched beside the primary for the same tickers"
    )
    price_bps: float = Field(
        default=5.0, gt=0, description="largest difference of open, high, low or close that "
        "agrees, in basis points of the primary's"
    )  # fmt: skip
    volume_pct: float = Field(
        default=1.0, ge=0, description="largest volume difference that agrees, in % of the larger"
    )
    policy: Policy = Field(
        default="flag",
        description="flag (the primary's bar stays, the disagreement is flagged), refuse (it "
        "goes to the quarantine) or majority (with two secondaries or more: the bar most "
        "providers agree on; none agreeing: quarantined)",
    )

    def problem(self, interval: str, primary: str, known: dict) -> str | None:
        """Why this comparison cannot run with these providers, or None."""
        for name in self.secondaries:
            if name not in known:
                return (
                    f"secondary {name!r} is not defined under providers (defined: {sorted(known)})"
                )
            if name == primary:
                return f"secondary {name!r} is the primary of {interval} (intervals.{interval})"
            if reason := known[name].cannot_serve(interval):
                return f"secondary {name!r} {reason}"
        if len(set(self.secondaries)) != len(self.secondaries):
            return "a secondary is named twice"
        if self.policy == "majority" and len(self.secondaries) < 2:
            return "policy majority needs two secondaries or more (a majority of three)"
        return None


def data_quality_problem(
    reconciliation: dict[str, Reconcile],
    repair: dict[str, bool],
    intervals: dict[str, str],
    providers: dict,
) -> str | None:
    """What is wrong with `reconciliation` and `repair` given the providers, naming the key."""
    for interval, reconcile in reconciliation.items():
        primary = intervals.get(interval)
        if primary is None:
            return f"reconciliation.{interval}: no provider serves {interval} (intervals)"
        if problem := reconcile.problem(interval, primary, providers):
            return f"reconciliation.{interval}: {problem}"
    for name in repair:
        if name not in providers:
            return f"repair.{name}: not a provider (defined: {sorted(providers)})"
    return None
