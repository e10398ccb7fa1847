"""Names the stages share: the contract between them, not configuration (everything a user can
change is in config.yaml)."""

from __future__ import annotations

INTERVALS = ("1d", "1m")

# Price bases a provider can deliver. "raw": prices as traded on the day. "split_adjusted":
# prices (and dividends) already divided by every split between the bar and the fetch time,
# which is what Yahoo's Close is. Silver converts both to as-traded values.
PRICE_BASES = ("raw", "split_adjusted")

ACTIONS = ("split", "dividend")

# Bronze: the tables the dlt pipeline writes (external models to SQLMesh).
BRONZE_DATASET = "bronze"
BARS_TABLE = "bars"
ACTIONS_TABLE = "corporate_actions"
RAW_LOADS_TABLE = "raw_loads"
CONFLICTS_TABLE = "bar_conflicts"  # bars a landing carried twice with different values
TICKERS_TABLE = "tickers"
# Every version of a bar or action, with the landing that first carried it (history).
BAR_VERSIONS_TABLE = "bar_versions"
ACTION_VERSIONS_TABLE = "action_versions"
# What identifies a bar and a corporate action: bronze's merge keys, and their versions'.
BAR_KEY = ("ticker", "interval", "ts")
ACTION_KEY = ("ticker", "ex_date", "action")
# A secondary provider's bar (bronze.secondary_bars keeps every version of each, by load_id).
SECONDARY_KEY = (*BAR_KEY, "source")

# The raw tables a landing writes, by the source's table: a primary provider's (the one
# `intervals` names), and a secondary's, which reconciliation compares with it (its bars only,
# kept apart so that they never replace the primary's in bronze.bars).
PRIMARY_TABLES = {"bars": "bars", "corporate_actions": "corporate_actions"}
SECONDARY_BARS_TABLE = "secondary_bars"
SECONDARY_TABLES = {"bars": SECONDARY_BARS_TABLE}
BAR_TABLES = ("bars", SECONDARY_BARS_TABLE)  # raw tables of bars: partitioned by interval too

# Raw landing layout (relative to storage.raw_url):
#   <table>/interval=<i>/source=<s>/ticker=<t>/ingest_date=<YYYY-MM-DD>/<load_id>-<n>.parquet
#   _manifests/<load_id>.json        written last: a landing without it never happened
MANIFEST_DIR = "_manifests"

DEFAULT_CONFIG = "config.yaml"
