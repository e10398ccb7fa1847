"""config.yaml: SQLMesh's gateways plus the pipeline's settings under `variables: marketflow:`.

The file is loaded once through SQLMesh's own loader (so `{{ env_var(...) }}` works the same for
both), then the `marketflow` block is validated with pydantic. Any problem raises ConfigError,
whose message names the file and the offending key; the CLI turns it into exit code 2.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines.settings import DEFAULT_CONFIG

Interval = Literal["1d", "1m"]
PriceBasis = Literal["raw", "split_adjusted"]
TICKER_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-^=]{0,19}$")


class ConfigError(Exception):
    """Invalid configuration or arguments (exit code 2)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BarColumns(_Strict):
    """Where each bar field is in a vendor's file (the file's own column names)."""

    ticker: str = "ticker"
    ts: str = "ts"
    open: str = "open"
    high: str = "high"
    low: str = "low"
    close: str = "close"
    volume: str = "volume"
    adj_close: str | None = None  # the vendor's adjusted close, kept for comparison only


class ActionColumns(_Strict):
    ticker: str = "ticker"
    ex_date: str = "ex_date"
    action: str = "action"  # values 'split' or 'dividend'
    value: str = "value"  # split: new shares per old share; dividend: cash per share


class BarFiles(_Strict):
    glob: str = Field(description="files in the drop folder holding bars of this interval")


class ActionsFile(_Strict):
    file: str
    columns: ActionColumns = ActionColumns()


class FilesProvider(_Strict):
    """Vendor flat files (CSV or Parquet) dropped into a folder."""

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
        if value is not None:
            _check_zone(value)
        return value


class Pacing(_Strict):
    """How hard a web provider is asked, and how a failure is retried."""

    requests_per_second: float = Field(default=2.0, gt=0, description="across all workers")
    workers: int = Field(default=2, ge=1, le=32, description="tickers fetched concurrently")
    retries: int = Field(default=5, ge=0, le=20, description="after the first attempt")
    backoff_seconds: float = Field(default=1.0, ge=0, description="first retry delay")
    max_backoff_seconds: float = Field(default=60.0, ge=0)
    timeout_seconds: float = Field(default=30.0, gt=0, description="per HTTP request")


class WebProvider(_Strict):
    """Settings shared by providers that answer over HTTP."""

    pacing: Pacing = Pacing()
    freshness: bool = Field(default=True, description="judge the freshness of its bars")
    history_start: date = Field(
        default=date(2000, 1, 1), description="first session of a ticker's first daily load"
    )
    restatement_lag: int = Field(
        default=5, ge=0, description="sessions re-read by each incremental run (revisions)"
    )
    max_failed_tickers: int = Field(
        default=0, ge=0, description="failed tickers a run tolerates before it exits 1"
    )


class YahooProvider(WebProvider):
    """Yahoo Finance through yfinance: Close is split-adjusted, so the price basis is fixed."""

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

    type: Literal["polygon"] = "polygon"
    base_url: str = "https://api.polygon.io"
    page_limit: int = Field(default=50000, ge=1, le=50000, description="rows per page")

    @property
    def price_basis(self) -> str:
        return "raw"


Provider = Annotated[FilesProvider | YahooProvider | PolygonProvider, Field(discriminator="type")]


class Universe(_Strict):
    """Explicit tickers, index constituents (pytickersymbols, offline), or both."""

    tickers: list[str] = Field(default_factory=list)
    indices: list[str] = Field(
        default_factory=list, description="e.g. 'S&P 500', 'NASDAQ 100' (pytickersymbols)"
    )

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
        from pipelines.universe import known_indices

        unknown = [i for i in indices if i not in known_indices()]
        if unknown:
            raise ValueError(f"unknown index {unknown} (known: {known_indices()})")
        return indices

    @model_validator(mode="after")
    def _not_empty(self) -> Universe:
        if not self.tickers and not self.indices:
            raise ValueError("list tickers, indices, or both")
        return self

    @cached_property
    def members(self) -> list[str]:
        """Every ticker: the explicit ones first, then the indices' constituents."""
        from pipelines.universe import index_members

        seen = dict.fromkeys(self.tickers)
        for index in self.indices:
            seen.update(dict.fromkeys(m.ticker for m in index_members(index)))
        return list(seen)


class Exchange(_Strict):
    calendar: str = "XNYS"
    timezone: str = "America/New_York"

    @field_validator("calendar")
    @classmethod
    def _known_calendar(cls, name: str) -> str:
        import pandas_market_calendars as mcal

        if name not in mcal.get_calendar_names():
            raise ValueError(f"unknown exchange calendar {name!r} (pandas-market-calendars)")
        return name

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        _check_zone(value)
        return value


class Storage(_Strict):
    raw_url: str = Field(
        default="data/raw", description="folder or s3://bucket/prefix for raw Parquet files"
    )


class Adjustment(_Strict):
    # prev_close: multiply earlier bars by 1 - D / close of the session before the ex-date
    #   (Yahoo, CRSP). ex_close: by close(ex) / (close(ex) + D) (Quandl WIKI's Adj Close).
    dividend_method: Literal["prev_close", "ex_close"] = "prev_close"


class Crossovers(_Strict):
    """SMA windows of gold.ma_crossovers, in sessions."""

    fast: int = Field(default=50, ge=1)
    slow: int = Field(default=200, le=252, description="at most 252: the warm-up holds a year")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> Crossovers:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be shorter than slow ({self.slow})")
        return self


class Freshness(_Strict):
    """When bars are due, from the exchange calendar (early closes included)."""

    daily_grace_minutes: int = Field(
        default=120, ge=0, description="after a session's close, until its daily bar is due"
    )
    intraday_delay_minutes: int = Field(
        default=15, ge=0, description="how far 1-minute bars may lag the clock in a session"
    )


class KnownStep(_Strict):
    """A reviewed price step that no corporate action explains (a real crash or jump)."""

    ticker: str
    session: date
    note: str = Field(min_length=1, description="why it is genuine")


class Alerts(_Strict):
    """A Slack-compatible webhook for failed runs and checks. The URL is a secret: it comes
    from ALERTS__WEBHOOK_URL or .dlt/secrets.toml [alerts] webhook_url, never from
    config.yaml."""

    notify_on: list[Literal["failed_run", "failed_check"]] = ["failed_run", "failed_check"]
    timeout_seconds: float = Field(default=5.0, gt=0)


class Backtest(_Strict):
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


class Report(_Strict):
    """`marketflow report`: the Evidence site."""

    site_dir: str = Field(default="reports", description="the Evidence project")
    build_dir: str = Field(default="reports/build", description="where the static site goes")
    timeout_seconds: float = Field(default=900, gt=0, description="per npm step")


class Api(_Strict):
    """`marketflow serve`: the read-only API."""

    cors_origins: list[str] = Field(default=[], description="origins allowed by CORS")
    gzip_minimum_bytes: int = Field(default=1000, ge=0, description="gzip larger responses")
    page_size: int = Field(default=1000, ge=1, le=10000, description="rows per page by default")
    max_page_size: int = Field(default=10000, ge=1, le=10000)
    snapshot_dir: str = Field(
        default="data/api", description="DuckDB: where the API keeps its warehouse snapshot"
    )


class Checks(_Strict):
    """`marketflow check`: thresholds of the health checks and the severity of each check."""

    freshness: Freshness = Freshness()
    price_step: float = Field(
        default=0.5, gt=0, description="|close / previous close - 1| on continuous prices"
    )
    volume_step: float = Field(default=3.0, gt=1, description="volume / previous volume")
    stale_after_sessions: int = Field(
        default=5, ge=1, description="a ticker whose last bar lags the universe's by more"
    )
    known_price_steps: list[KnownStep] = []
    severity: dict[str, Literal["warn", "fail"]] = Field(
        default={}, description="check name -> warn | fail, over the contracts' defaults"
    )


# Top-level SQLMesh variables that the models read as well as the pipeline. They live outside
# `marketflow` because SQLMesh versions a model by the whole value of every variable it reads.
MODEL_VARIABLES = ("exchange", "adjustment", "crossovers")


class Settings(_Strict):
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
    checks: Checks = Checks()
    alerts: Alerts = Alerts()
    api: Api = Api()
    backtest: Backtest = Backtest()
    report: Report = Report()
    pipelines_dir: str = Field(default="data/pipelines", description="dlt's working folder")

    @model_validator(mode="after")
    def _providers_serve_their_intervals(self) -> Settings:
        for interval, name in self.intervals.items():
            if name not in self.providers:
                raise ValueError(
                    f"intervals.{interval}: provider {name!r} is not defined under providers "
                    f"(defined: {sorted(self.providers)})"
                )
            provider = self.providers[name]
            if isinstance(provider, FilesProvider) and interval not in provider.bars:
                raise ValueError(
                    f"intervals.{interval}: provider {name!r} has no bars.{interval} entry"
                )
        return self


def _check_zone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


@dataclass(frozen=True)
class Warehouse:
    """Where bronze, silver and gold live, as the selected SQLMesh gateway declares it."""

    gateway: str
    engine: Literal["duckdb", "postgres"]
    duckdb_path: Path | None = None
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = None
    database: str | None = None

    def connect_postgres(self, **options: Any) -> Any:
        """A psycopg connection to the PostgreSQL warehouse (UTC session, 10 s timeout)."""
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            dbname=self.database,
            user=self.user,
            password=self.password,
            connect_timeout=10,
            options="-c TimeZone=UTC",
            **options,
        )

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        """(column names, rows) of one query, in a UTC session; `?` marks parameters."""
        if self.engine == "duckdb":
            import duckdb

            with duckdb.connect(str(self.duckdb_path)) as con:
                con.execute("SET TimeZone = 'UTC'")
                cursor = con.execute(sql, list(params))
                return [d[0] for d in cursor.description], cursor.fetchall()
        with self.connect_postgres() as con:
            # Without parameters psycopg takes the text as is (a LIKE 'x%' stays a literal).
            text = sql.replace("?", "%s") if params else sql
            cursor = con.execute(text, list(params) or None)
            return [d.name for d in cursor.description], cursor.fetchall()

    @property
    def display(self) -> str:
        """A description safe to print: never contains the password."""
        if self.engine == "duckdb":
            return f"duckdb:{self.duckdb_path}"
        return f"postgres://{self.user}@{self.host}:{self.port}/{self.database}"


@dataclass(frozen=True)
class Project:
    """A loaded, validated config.yaml and the folder it lives in."""

    root: Path
    config_path: Path
    settings: Settings
    sqlmesh_config: Any  # sqlmesh.core.config.Config
    gateway: str

    def path(self, value: str | Path) -> Path:
        """Resolve a path from config.yaml against the project folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.root / p)

    @property
    def raw_url(self) -> str:
        url = self.settings.storage.raw_url
        return url if "://" in url else self.path(url).resolve().as_uri()

    def raw_store(self) -> Any:
        from pipelines.raw_store import RawStore
        from pipelines.secrets import raw_store_options

        return RawStore(self.raw_url, raw_store_options(self.root, self.raw_url))

    @property
    def pipelines_dir(self) -> Path:
        return self.path(self.settings.pipelines_dir)

    @cached_property
    def warehouse(self) -> Warehouse:
        gateway = self.sqlmesh_config.gateways[self.gateway]
        conn = gateway.connection
        kind = getattr(conn, "type_", None)
        if kind == "duckdb":
            return Warehouse(self.gateway, "duckdb", duckdb_path=Path(conn.database))
        if kind == "postgres":
            return Warehouse(
                self.gateway,
                "postgres",
                host=conn.host,
                port=int(conn.port),
                user=conn.user,
                password=conn.password,
                database=conn.database,
            )
        raise ConfigError(
            f"{self.config_path}: gateways.{self.gateway}.connection.type: {kind!r} is not "
            "supported (use duckdb or postgres)"
        )


def load_project(config_path: str | Path = DEFAULT_CONFIG, gateway: str | None = None) -> Project:
    """Load and validate config.yaml; raise ConfigError naming the key on any problem."""
    path = Path(config_path).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"{config_path}: config file not found")
    _load_dotenv(path.parent / ".env")
    sqlmesh_config = _load_sqlmesh_config(path)
    root = path.parent

    variables = sqlmesh_config.variables or {}
    raw = variables.get("marketflow")
    if raw is None:
        raise ConfigError(f"{path}: variables.marketflow: missing (the pipeline's settings)")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: variables.marketflow: must be a mapping")
    misplaced = [k for k in MODEL_VARIABLES if k in raw]
    if misplaced:
        raise ConfigError(
            f"{path}: variables.marketflow.{misplaced[0]}: belongs directly under variables "
            f"(variables.{misplaced[0]}), where the SQLMesh models read it"
        )
    try:
        settings = Settings.model_validate(
            raw | {k: variables[k] for k in MODEL_VARIABLES if k in variables}
        )
    except ValidationError as exc:
        raise ConfigError(_describe(path, exc)) from None

    gateway = gateway or sqlmesh_config.default_gateway or next(iter(sqlmesh_config.gateways))
    if gateway not in sqlmesh_config.gateways:
        raise ConfigError(
            f"--gateway: {gateway!r} is not a gateway in {path} "
            f"(defined: {sorted(sqlmesh_config.gateways)})"
        )
    sqlmesh_config = _absolute_duckdb_paths(sqlmesh_config, root)
    return Project(root, path, settings, sqlmesh_config, gateway)


def _load_dotenv(path: Path) -> None:
    """The project's .env (git-ignored; `make services-up` writes one). Variables already set
    in the environment win."""
    if path.is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def _load_sqlmesh_config(path: Path) -> Any:
    from sqlmesh.core.config import Config
    from sqlmesh.core.config.loader import load_config_from_paths
    from sqlmesh.utils.errors import ConfigError as SQLMeshConfigError

    try:
        return load_config_from_paths(Config, project_paths=[path], personal_paths=[])
    except SQLMeshConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except Exception as exc:  # pydantic errors from SQLMesh's own schema, YAML errors
        raise ConfigError(f"{path}: {exc}") from None


def _absolute_duckdb_paths(config: Any, root: Path) -> Any:
    """DuckDB paths in config.yaml are relative to the project, not to the current folder."""
    gateways = {}
    for name, gateway in config.gateways.items():
        updates = {}
        for attr in ("connection", "state_connection"):
            conn = getattr(gateway, attr, None)
            if conn is not None and getattr(conn, "type_", None) == "duckdb" and conn.database:
                db = Path(conn.database)
                if not db.is_absolute():
                    updates[attr] = conn.model_copy(update={"database": str(root / db)})
        gateways[name] = gateway.model_copy(update=updates) if updates else gateway
    return config.model_copy(update={"gateways": gateways})


def _describe(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: invalid settings"]
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        prefix = ["variables"] if loc and loc[0] in MODEL_VARIABLES else ["variables", "marketflow"]
        key = ".".join(prefix + loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"].startswith("literal_error"):
            msg = f"{msg} (got {err['input']!r})"
        lines.append(f"  {key}: {msg}")
    return "\n".join(lines)
