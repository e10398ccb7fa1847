"""The universe's listing (`universe.listed`): every ticker a provider lists, asked once by each
run and kept in the raw store (`_listings/<provider>/<load id>.parquet`, never replaced: what
the provider listed on each day stays readable, like every other answer it gave). A run that
cannot reach the provider's listing uses the latest one kept, and says so; with none kept, it
fails naming the provider."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pyarrow as pa

from pipelines.config import Project
from pipelines.ingest.raw_store import RawStore, new_load_id
from pipelines.ingest.sources.polygon import api_key_of
from pipelines.ingest.sources.polygon.listing import listed_tickers
from pipelines.ingest.sources.polygon.tables import PolygonError
from pipelines.ingest.sources.web import Pacing

LISTINGS = "_listings"


class ListingUnavailable(RuntimeError):
    """The provider's listing could not be read, and no earlier one is kept."""


@dataclass(frozen=True)
class Listing:
    table: pa.Table  # ticker, name, type, primary_exchange, currency, fetched_at
    path: str  # in the raw store
    fresh: bool  # asked this run (False: the latest kept, the provider unreachable)


def latest_listing(store: RawStore, provider: str) -> Listing | None:
    names = store.names(f"{LISTINGS}/{provider}/*.parquet")
    return Listing(store.read_parquet(names[-1]), names[-1], False) if names else None


def refresh_listing(
    project: Project, store: RawStore, notice: Callable[[str], None] = lambda _: None
) -> Listing | None:
    """The listing of `universe.listed` (None when the universe has none), asked now and kept."""
    listed = project.settings.universe.listed
    if listed is None:
        return None
    settings = project.settings.providers[listed.provider]
    try:
        table = listed_tickers(
            settings.base_url,  # type: ignore[union-attr]  (a polygon provider: schema.py)
            api_key_of(project, listed.provider),
            Pacing(**settings.pacing.model_dump()),  # type: ignore[union-attr]
            listed.market,
            listed.types,
        )
        if table.num_rows == 0:  # never an empty universe from one odd answer
            raise PolygonError(f"{listed.provider}: the listing has no ticker")
    except (PolygonError, OSError) as exc:
        kept = latest_listing(store, listed.provider)
        if kept is None:
            raise ListingUnavailable(
                f"universe.listed: {listed.provider}'s listing could not be read ({exc}) and "
                f"none is kept in {store.url}/{LISTINGS}/{listed.provider}/"
            ) from None
        notice(f"universe.listed: {listed.provider}'s listing could not be read ({exc}); "
               f"the latest kept is used ({kept.path})")  # fmt: skip
        return kept
    path = f"{LISTINGS}/{listed.provider}/{new_load_id()}.parquet"
    store.write_parquet(path, table)
    return Listing(table, path, True)


def with_listing(project: Project, listing: Listing | None) -> Project:
    """The project whose universe includes the listing's tickers."""
    if listing is None:
        return project
    rows = listing.table.select(["ticker", "name", "type"]).to_pylist()
    return replace(project, listed=tuple((r["ticker"], r["name"], r["type"]) for r in rows))
