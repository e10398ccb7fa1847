"""The provider registry: one settings model per provider type, each naming the module that
implements it. A provider is that module (pipelines/ingest/sources/<type>.py: a `@dlt.source`
and its `source_for(request, settings)`), its model here, listed in PROVIDER_TYPES, and an
entry under `providers:` in config.yaml. docs/extending.md walks through adding one.
"""

from __future__ import annotations

import operator
import zoneinfo
from datetime import date
from functools import reduce
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Interval = Literal["1d", "1m"]
PriceBasis = Literal["raw", "split_adjusted"]


class Strict(BaseModel):
    """config.yaml's models: an unknown key is an error, and settings never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


class ProviderSettings(Strict):
    """What every provider entry has. `module` is the implementation (ingest/sources/)."""

    module: ClassVar[str]
    intervals: ClassVar[tuple[str, ...]] = ("1d", "1m")
    freshness: bool = Field(default=True, description="judge the freshness of its bars")

    def cannot_serve(self, interval: str) -> str | None:
        """Why this entry cannot serve `interval` (None when it can)."""
        if interval not in self.intervals:
            return f"serves {', '.join(self.intervals)} only"
        return None

    def incremental_lag(self) -> int | None:
        """Sessions an incremental run re-reads before each ticker's latest bar; None for a
        provider that knows what is new by itself (a drop folder: files not landed yet)."""
        return None

    def tolerated_failures(self) -> int:
        """Tickers that may fail (after the retries) before the run exits 1."""
        return 0

    def describe(self) -> str:
        """How the provider is named in a skipped check's reason."""
        return "a provider"


# ---------------------------------------------------------------- files


class BarColumns(Strict):
    """Where each bar field is in a vendor's file (the file's own column names)."""

    ticker: str = "ticker"
    ts: str = "ts"
    open: str = "open"
    high: str = "high"
    low: str = "low"
    close: str = "close"
    volume: str = "volume"
    adj_close: str | None = None  # the vendor's adjusted close, kept for comparison only


class ActionColumns(Strict):
    ticker: str = "ticker"
    ex_date: str = "ex_date"
    action: str = "action"  # values 'split' or 'dividend'
    value: str = "value"  # split: new shares per old share; dividend: cash per share


class BarFiles(Strict):
    glob: str = Field(description="files in the drop folder holding bars of this interval")
    synthetic: bool = Field(
        default=False,
        description="generated bars, not a provider's prices (the demo's 1-minute bars): the "
        "report says so wherever it draws them",
    )


class ActionsFile(Strict):
    file: str
    columns: ActionColumns = ActionColumns()


class FilesProvider(ProviderSettings):
    """Vendor flat files (CSV or Parquet) dropped into a folder."""

    module: ClassVar[str] = "pipelines.ingest.sources.files"
    type: Literal["files"] = "files"
    drop_folder: str = "data/drop"
    price_basis: PriceBasis = "raw"
    bars: dict[Interval, BarFiles]
    columns: BarColumns = BarColumns()
    timestamp_format: str | None = Field(
        default=None, description="strptime format of the ts column; default ISO 8601"
    )
    timezone: str | None = Field(
        default=None, description="zone of timestamps without an offset; default the exchange's"
    )
    corporate_actions: ActionsFile | None = None
    freshness: bool = Field(
        default=False,
        description="judge the freshness of its bars: true for a vendor drop fed every session, "
        "false for a historical set (the bundled demo)",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else check_zone(value)

    def cannot_serve(self, interval: str) -> str | None:
        return None if interval in self.bars else f"has no bars.{interval} entry"

    def describe(self) -> str:
        return "a historical drop folder"


# ---------------------------------------------------------------- providers over HTTP


class Pacing(Strict):
    """How hard a web provider is asked, and how a failure is retried."""

    requests_per_second: float = Field(default=2.0, gt=0, description="across all workers")
    workers: int = Field(default=2, ge=1, le=32, description="tickers fetched concurrently")
    retries: int = Field(default=5, ge=0, le=20, description="after the first attempt")
    backoff_seconds: float = Field(default=1.0, ge=0, description="first retry delay")
    max_backoff_seconds: float = Field(default=60.0, ge=0)
    timeout_seconds: float = Field(default=30.0, gt=0, description="per HTTP request")


class WebProvider(ProviderSettings):
    """Settings shared by providers that answer over HTTP."""

    pacing: Pacing = Pacing()
    history_start: date = Field(
        default=date(2000, 1, 1), description="first session of a ticker's first daily load"
    )
    restatement_lag: int = Field(
        default=5, ge=0, description="sessions re-read by each incremental run (revisions)"
    )
    max_failed_tickers: int = Field(
        default=0, ge=0, description="failed tickers a run tolerates before it exits 1"
    )

    def incremental_lag(self) -> int:
        return self.restatement_lag

    def tolerated_failures(self) -> int:
        return self.max_failed_tickers


class YahooProvider(WebProvider):
    """Yahoo Finance through yfinance: Close is split-adjusted, so the price basis is fixed."""

    module: ClassVar[str] = "pipelines.ingest.sources.yahoo"
    type: Literal["yahoo"] = "yahoo"
    base_url: str | None = Field(
        default=None,
        description="send every Yahoo request to this http(s) base instead (a mirror or a "
        "test server); the path and query are kept",
    )
    intraday_days: int = Field(
        default=30, ge=1, le=30, description="how far back Yahoo keeps 1-minute bars"
    )

    @property
    def price_basis(self) -> str:
        return "split_adjusted"


class PolygonProvider(WebProvider):
    """Polygon.io aggregates (adjusted=false), splits and dividends. The API key comes from
    secrets: POLYGON_API_KEY or .dlt/secrets.toml [sources.polygon] api_key."""

    module: ClassVar[str] = "pipelines.ingest.sources.polygon"
    type: Literal["polygon"] = "polygon"
    base_url: str = "https://api.polygon.io"
    page_limit: int = Field(default=50000, ge=1, le=50000, description="rows per page")
    daily_requests: Literal["per_ticker", "per_session"] = Field(
        default="per_ticker",
        description="daily bars: one aggregates request per ticker, or one Grouped Daily "
        "request per session for every ticker at once (a large universe)",
    )

    @property
    def price_basis(self) -> str:
        return "raw"


# Every provider type config.yaml may name; an entry's `type:` picks one.
PROVIDER_TYPES: tuple[type[ProviderSettings], ...] = (FilesProvider, YahooProvider, PolygonProvider)
Provider = Annotated[reduce(operator.or_, PROVIDER_TYPES), Field(discriminator="type")]
