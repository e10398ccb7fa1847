"""The Arrow shapes of the bronze tables (each source table plus the landing it came from)."""

from __future__ import annotations

import pyarrow as pa

from pipelines.config.constants import BAR_KEY
from pipelines.ingest.sources.schema import ACTION_SCHEMA, BAR_SCHEMA

BRONZE_BARS_SCHEMA = BAR_SCHEMA.append(pa.field("load_id", pa.string(), nullable=False))
# A conflict row: one distinct version of a key that a single landing carried more than once.
CONFLICTS_SCHEMA = BRONZE_BARS_SCHEMA.append(pa.field("value_hash", pa.string(), nullable=False))
CONFLICT_KEY = ("load_id", *BAR_KEY, "value_hash")
BRONZE_ACTIONS_SCHEMA = ACTION_SCHEMA.append(pa.field("load_id", pa.string(), nullable=False))
RAW_LOADS_SCHEMA = pa.schema(
    [
        pa.field("load_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("interval", pa.string(), nullable=False),
        pa.field("landed_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("loaded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("bars", pa.int64(), nullable=False),
        pa.field("corporate_actions", pa.int64(), nullable=False),
        pa.field("first_date", pa.date32()),  # earliest session or ex-date in the landing
        pa.field("last_date", pa.date32()),
        pa.field("origins", pa.string()),  # JSON {file name: sha256} for the files provider
        pa.field("transformed_at", pa.timestamp("us", tz="UTC")),  # set once silver/gold have it
    ]
)
