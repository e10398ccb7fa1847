"""The `variables:` of config.yaml as the pipeline reads them: pydantic models, validated once at
start-up (pipelines/config/loader.py turns a problem into a message naming the key). Provider
entries have their own models, in the provider registry (providers.py)."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any, Literal

import pandas_market_calendars as mcal
from pydantic import Field, field_validator, model_validator

from pipelines.config.checks import Checks
from pipelines.config.data_quality import Reconcile, data_quality_problem
from pipelines.config.indices import index_members, known_indices
from pipelines.config.providers import (
    Interval,
    Provider,
    ProviderSettings,
    Strict,
    check_zone,
)

TICKER_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-^=]{0,19}$")


class Listed(Strict):
    """Every ticker a provider lists (Polygon's reference tickers), refreshed by each run."""

    provider: str = Field(description="a polygon provider of `providers`")
    market: Literal["stocks"] = "stocks"
    types: list[str] = Field(
        default_factory=list, description="Polygon's ticker types to keep (CS, ETF, ...; all)"
    )


class Universe(Strict):
    """Explicit tickers, index constituents (pytickersymbols, offline), every listed ticker
    of a provider, or any mix."""

    tickers: list[str] = Field(default_factory=list)
    indices: list[str] = Field(
        default_factory=list, description="e.g. 'S&P 500', 'NASDAQ 100' (pytickersymbols)"
    )
    listed: Listed | None = None

    @field_validator("tickers")
    @classmethod
    def _valid_tickers(cls, tickers: list[str]) -> list[str]:
        bad = [t for t in tickers if not TICKER_RE.match(t)]
        if bad:
            raise ValueError(f"not a ticker symbol (upper case, at most 20 characters): {bad}")
        dupes = sorted({t for t in tickers if tickers.count(t) > 1})
        if dupes:
            raise ValueError(f"listed more than once: {dupes}")
        return tickers

    @field_validator("indices")
    @classmethod
    def _known_indices(cls, indices: list[str]) -> list[str]:
        unknown = [i for i in indices if i not in known_indices()]
        if unknown:
            raise ValueError(f"unknown index {unknown} (known: {known_indices()})")
        return indices

    @model_validator(mode="after")
    def _not_empty(self) -> Universe:
        if not self.tickers and not self.indices and self.listed is None:
            raise ValueError("list tickers, indices or a provider's listing (listed)")
        return self

    @cached_property
    def members(self) -> list[str]:
        """Every ticker: the explicit ones first, then the indices' constituents."""
        seen = dict.fromkeys(self.tickers)
        for index in self.indices:
            seen.update(dict.fromkeys(m.ticker for m in index_members(index)))
        return list(seen)


class Exchange(Strict):
    calendar: str = "XNYS"
    timezone: str = "America/New_York"

    @field_validator("calendar")
    @classmethod
    def _known_calendar(cls, name: str) -> str:
        if name not in mcal.get_calendar_names():
            raise ValueError(f"unknown exchange calendar {name!r} (pandas-market-calendars)")
        return name

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_zone(value)


class Storage(Strict):
    raw_url: str = Field(
        default="data/raw", description="folder or s3://bucket/prefix for raw Parquet files"
    )


class Adjustment(Strict):
    # prev_close: multiply earlier bars by 1 - D / close of the session before the ex-date
    #   (Yahoo, CRSP). ex_close: by close(ex) / (close(ex) + D) (Quandl WIKI's Adj Close).
    dividend_method: Literal["prev_close", "ex_close"] = "prev_close"


class Crossovers(Strict):
    """SMA windows of gold.ma_crossovers, in sessions."""

    fast: int = Field(default=50, ge=1)
    slow: int = Field(default=200, le=252, description="at most 252: the warm-up holds a year")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> Crossovers:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be shorter than slow ({self.slow})")
        return self


class Alerts(Strict):
    """A Slack-compatible webhook for failed runs and checks. The URL is a secret: it comes
    from ALERTS__WEBHOOK_URL or .dlt/secrets.toml [alerts] webhook_url, never from
    config.yaml."""

    notify_on: list[Literal["failed_run", "failed_check"]] = Field(
        default_factory=lambda: ["failed_run", "failed_check"]
    )
    timeout_seconds: float = Field(default=5.0, gt=0)


class Backtest(Strict):
    """`marketflow backtest` and /v1/backtests: costs and defaults."""

    fee_bps: float = Field(default=1.0, ge=0, lt=10000, description="per trade, of the notional")
    slippage_bps: float = Field(default=2.0, ge=0, lt=10000)
    risk_free_rate: float = Field(default=0.0, description="annual, for Sharpe and Sortino")
    long_short: bool = Field(default=False, description="short instead of flat when off")
    report: list[dict[str, Any]] = Field(
        default=[
            {"strategy": "sma_cross", "fast": 50, "slow": 200},
            {"strategy": "momentum", "lookback": 20},
        ],
        description="the rules the report site backtests on every ticker",
    )


class Report(Strict):
    """`marketflow report`: the Evidence site."""

    site_dir: str = Field(default="reports", description="the Evidence project")
    build_dir: str = Field(default="reports/build", description="where the static site goes")
    timeout_seconds: float = Field(default=900, gt=0, description="per npm step")


class Api(Strict):
    """`marketflow serve`: the read-only API."""

    cors_origins: list[str] = Field(default=[], description="origins allowed by CORS")
    gzip_minimum_bytes: int = Field(default=1000, ge=0, description="gzip larger responses")
    page_size: int = Field(default=1000, ge=1, le=10000, description="rows per page by default")
    max_page_size: int = Field(default=10000, ge=1, le=10000)
    max_download_rows: int = Field(
        default=2_000_000,
        ge=1,
        description="rows one CSV, Parquet or Arrow answer may hold; a larger one is refused (413)",
    )
    snapshot_dir: str = Field(
        default="data/api", description="DuckDB: where the API keeps its warehouse snapshot"
    )


class Shards(Strict):
    """`run --shard K/N` lands a slice of the universe; `run --ingest none` transforms what
    every shard landed (pipelines/run/shards.py)."""

    on_failed_shard: Literal["transform", "refuse"] = Field(
        default="transform",
        description="when a shard of the session failed or never reported: transform what "
        "landed and exit 1 naming it, or refuse (merge nothing, exit 1)",
    )


# Top-level SQLMesh variables that the models read as well as the pipeline. They live outside
# `marketflow` because SQLMesh versions a model by the whole value of every variable it reads.
MODEL_VARIABLES = ("exchange", "adjustment", "crossovers", "reconciliation", "repair")


class Settings(Strict):
    """The `variables: marketflow:` block of config.yaml, plus the top-level `exchange` and
    `adjustment` variables the models share."""

    universe: Universe
    exchange: Exchange = Exchange()
    intervals: dict[Interval, str] = Field(
        min_length=1, description="the provider that serves each interval"
    )
    providers: dict[str, Provider] = Field(min_length=1)
    storage: Storage = Storage()
    adjustment: Adjustment = Adjustment()
    crossovers: Crossovers = Crossovers()
    reconciliation: dict[Interval, Reconcile] = Field(
        default_factory=dict, description="interval -> the providers compared with its primary"
    )
    repair: dict[str, bool] = Field(
        default_factory=dict, description="provider -> apply the fixes of silver.price_anomalies"
    )
    checks: Checks = Checks()
    alerts: Alerts = Alerts()
    api: Api = Api()
    backtest: Backtest = Backtest()
    report: Report = Report()
    shards: Shards = Shards()
    serving: dict[str, str] = Field(
        default_factory=dict,
        description="gateway -> the duckdb gateway its serving copy is published "
        "to (a spark gateway's API, report and client read that copy)",
    )
    pipelines_dir: str = Field(default="data/pipelines", description="dlt's working folder")
    run_lock_wait_seconds: float = Field(
        default=60, ge=0, description="how long a run waits for another run on its warehouse"
    )

    @model_validator(mode="after")
    def _listing_provider_is_polygon(self) -> Settings:
        listed = self.universe.listed
        if listed is not None:
            entry = self.providers.get(listed.provider)
            if entry is None or entry.type != "polygon":
                raise ValueError(
                    f"universe.listed.provider: {listed.provider!r} is not a polygon provider "
                    f"of providers (defined: {sorted(self.providers)})"
                )
        return self

    @model_validator(mode="after")
    def _providers_serve_their_intervals(self) -> Settings:
        for interval, name in self.intervals.items():
            if name not in self.providers:
                raise ValueError(
                    f"intervals.{interval}: provider {name!r} is not defined under providers "
                    f"(defined: {sorted(self.providers)})"
                )
            reason = self.providers[name].cannot_serve(interval)
            if reason:
                raise ValueError(f"intervals.{interval}: provider {name!r} {reason}")
        return self

    @model_validator(mode="after")
    def _data_quality_providers(self) -> Settings:
        problem = data_quality_problem(
            self.reconciliation, self.repair, self.intervals, self.providers
        )
        if problem:
            raise ValueError(problem)
        return self

    def provider_for(self, interval: str) -> tuple[str, ProviderSettings] | None:
        """(name, settings) of the provider config.yaml names for `interval`, if any."""
        name = self.intervals.get(interval)  # type: ignore[call-overload]
        return None if name is None else (name, self.providers[name])
