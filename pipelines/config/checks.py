"""`marketflow check`'s settings (config.yaml's `checks`): when bars are due, the thresholds
of the health checks, reviewed price steps, revisions, and the severity of each check."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from pipelines.config.providers import Strict


class Freshness(Strict):
    """When bars are due, from the exchange calendar (early closes included)."""

    daily_grace_minutes: int = Field(
        default=120, ge=0, description="after a session's close, until its daily bar is due"
    )
    intraday_delay_minutes: int = Field(
        default=15, ge=0, description="how far 1-minute bars may lag the clock in a session"
    )


class KnownStep(Strict):
    """A reviewed price step that no corporate action explains (a real crash or jump)."""

    ticker: str
    session: date
    note: str = Field(min_length=1, description="why it is genuine")


class Revisions(Strict):
    """What checks/silver/bar_revisions.yml warns about: bars a later landing restated."""

    max_price_change: float = Field(
        default=0.01, gt=0, description="largest relative change of open, high, low or close"
    )
    max_count: int = Field(default=100, ge=0, description="revisions among the sessions checked")


class Checks(Strict):
    """`marketflow check`: thresholds of the health checks and the severity of each check."""

    freshness: Freshness = Freshness()
    price_step: float = Field(
        default=0.5, gt=0, description="|close / previous close - 1| on continuous prices"
    )
    volume_step: float = Field(default=3.0, gt=1, description="volume / previous volume")
    stale_after_sessions: int = Field(
        default=5, ge=1, description="a ticker whose last bar lags the universe's by more"
    )
    known_price_steps: list[KnownStep] = Field(default_factory=list)
    revisions: Revisions = Revisions()
    severity: dict[str, Literal["warn", "fail"]] = Field(
        default={}, description="check name -> warn | fail, over the contracts' defaults"
    )
