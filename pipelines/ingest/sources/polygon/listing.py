"""Polygon's reference tickers (`/v3/reference/tickers?market=stocks&active=true`), paged: every
ticker the provider lists, with its name and type (CS common stock, ETF, ADRC, ...): the
universe of `universe.listed` (pipelines/ingest/listing.py keeps each answer in the raw store).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pyarrow as pa

from pipelines.ingest.sources.polygon import polygon_client
from pipelines.ingest.sources.polygon.tables import PolygonError
from pipelines.ingest.sources.web import Pacer, Pacing

TICKERS = "/v3/reference/tickers"
PAGE = 1000  # the endpoint's largest page
LISTING_SCHEMA = pa.schema(
    [
        pa.field("ticker", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("type", pa.string()),
        pa.field("primary_exchange", pa.string()),
        pa.field("currency", pa.string()),
        pa.field("fetched_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


def listed_tickers(
    base_url: str, api_key: str, pacing: Pacing, market: str, types: Sequence[str]
) -> pa.Table:
    """Every active ticker of `market` (of `types`, when given), ordered by ticker."""
    client = polygon_client(base_url, api_key, pacing)
    pacer = Pacer(pacing.requests_per_second)
    fetched_at = datetime.now(UTC)
    query = {
        "market": market,
        "active": "true",
        "limit": str(PAGE),
        "order": "asc",
        "sort": "ticker",
    }
    rows: dict[str, dict] = {}
    pacer.wait()
    try:
        for page in client.paginate(TICKERS, params=query):
            status = page.response.json().get("status", "OK")
            if status not in ("OK", "DELAYED"):
                raise PolygonError(f"{TICKERS}: status {status!r}")
            for row in page:
                ticker = str(row.get("ticker") or "")
                if ticker and (not types or row.get("type") in types):
                    rows[ticker] = row
            pacer.wait()
    except ValueError as exc:  # json.JSONDecodeError: a garbled body
        raise PolygonError(f"{TICKERS}: answer is not valid JSON ({exc})") from None
    records = [
        {
            "ticker": ticker,
            "name": row.get("name"),
            "type": row.get("type"),
            "primary_exchange": row.get("primary_exchange"),
            "currency": row.get("currency_name"),
            "fetched_at": fetched_at,
        }
        for ticker, row in sorted(rows.items())
    ]
    return pa.Table.from_pylist(records, schema=LISTING_SCHEMA)
