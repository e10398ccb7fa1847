"""Constants shared by the pipeline: table names, column sets, defaults.

Everything a user can change lives in config.yaml; what is here is the contract between
the pipeline's stages (and SPEC.md), not configuration.
"""

from __future__ import annotations

INTERVALS = ("1d", "1m")

# Price bases a provider can deliver. "raw": prices as traded on the day. "split_adjusted":
# prices (and dividends) already divided by every split between the bar and the fetch time,
# which is what Yahoo's Close is. Silver converts both to as-traded values.
PRICE_BASES = ("raw", "split_adjusted")

ACTIONS = ("split", "dividend")

BRONZE_DATASET = "bronze"
BARS_TABLE = "bars"
ACTIONS_TABLE = "corporate_actions"
RAW_LOADS_TABLE = "raw_loads"
CONFLICTS_TABLE = "bar_conflicts"  # bars a landing carried twice with different values
TICKERS_TABLE = "tickers"

# Raw landing layout (relative to storage.raw_url):
#   <table>/interval=<i>/source=<s>/ticker=<t>/ingest_date=<YYYY-MM-DD>/<load_id>-<n>.parquet
#   _manifests/<load_id>.json        written last: a landing without it never happened
MANIFEST_DIR = "_manifests"

# SQLMesh models that hold history incrementally; a late bar or corporate action restates
# them (and, through SQLMesh, everything downstream) from its date onward.
INCREMENTAL_MODELS = (
    "silver.bars_daily_checked",
    "silver.bars_daily_clean",
    "silver.bars_1m_checked",
    "silver.bars_1m",
    "gold.intraday_sessions",
    "silver.adjustment_events",
    "silver.bars_daily_continuous",
    "silver.quarantine",
    "silver.missing_sessions",
    "silver.ticker_sessions",
    "gold.features_windowed",
    "gold.features_recursive",
    "gold.ma_crossover_events",
)

# Physical tables a run checks for rows (views over them may join long histories).
RUN_CHECK_TABLES = (
    "bronze.bars",
    "bronze.corporate_actions",
    "silver.bars_daily_continuous",
    "silver.corporate_actions",
    "silver.ticker_sessions",
    "gold.features_windowed",
    "gold.features_recursive",
)

# Tables the CLI summarises after a run, in display order.
SUMMARY_TABLES = (
    "bronze.bars",
    "bronze.corporate_actions",
    "silver.bars_daily",
    "silver.bars_1m",
    "silver.corporate_actions",
    "silver.tickers",
    "silver.quarantine",
    "silver.missing_sessions",
    "gold.daily_features",
    "gold.intraday_sessions",
    "gold.ma_crossovers",
    "gold.latest_prices",
)

DEFAULT_CONFIG = "config.yaml"

# Exit codes (SPEC.md).
EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_CONFIG = 2
EXIT_DATA_QUALITY = 3
EXIT_NO_SESSION = 4  # `marketflow calendar`: no session for this slot (schedulers skip)

# Telemetry of every tool in the stack is off (notes/stack.md); set before they import.
TELEMETRY_OFF = {
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "SODA_CORE_TELEMETRY_ENABLED": "false",
    "SQLMESH__DISABLE_ANONYMIZED_ANALYTICS": "true",
    "DO_NOT_TRACK": "1",
}
