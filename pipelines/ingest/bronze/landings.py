"""What bronze's merge of landings reports, and the row each landing leaves in bronze.raw_loads
(the same on every gateway)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pyarrow as pa

from pipelines.ingest.bronze.schemas import RAW_LOADS_SCHEMA
from pipelines.ingest.raw_store import Manifest


@dataclass
class BronzeResult:
    manifests: list[Manifest] = field(default_factory=list)
    bars: int = 0
    corporate_actions: int = 0

    @property
    def first_date(self) -> date | None:
        dates = [m.first_date() for m in self.manifests if m.first_date()]
        return date.fromisoformat(min(dates)) if dates else None


def raw_loads_table(manifests: Sequence[Manifest]) -> pa.Table:
    now = datetime.now(UTC)
    rows = []
    for m in manifests:
        dates = [f.first for f in m.files] + [f.last for f in m.files]
        rows.append(
            {
                "load_id": m.load_id,
                "source": m.source,
                "interval": m.interval,
                "landed_at": datetime.fromisoformat(m.landed_at),
                "loaded_at": now,
                "bars": m.rows("bars"),
                "corporate_actions": m.rows("corporate_actions"),
                "first_date": date.fromisoformat(min(dates)) if dates else None,
                "last_date": date.fromisoformat(max(dates)) if dates else None,
                "origins": json.dumps(m.origins, sort_keys=True),
                "transformed_at": None,
            }
        )
    return pa.Table.from_pylist(rows, schema=RAW_LOADS_SCHEMA)
