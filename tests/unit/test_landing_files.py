"""A landing writes one file per ticker and batch of rows, not one per yielded table: a source
that yields one session of every ticker at a time (Polygon's Grouped Daily) would otherwise
land a file per ticker and session (10,000 tickers: 2.5M files a year). Real dlt resources,
a real local raw store; the rows read back with pyarrow."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import dlt
import pyarrow as pa
import pyarrow.dataset as ds

from pipelines.analytics.exchange_calendar import session_dates
from pipelines.ingest.landing import land
from pipelines.ingest.raw_store import RawStore, new_load_id
from pipelines.ingest.sources.polygon.tables import session_table
from pipelines.ingest.sources.web import resources

TICKERS = [f"SYN{i:05d}" for i in range(1, 7)]
ZONE = "America/New_York"


def test_sessions_of_many_tickers_land_as_one_file_per_ticker(tmp_path: Path) -> None:
    days = session_dates("XNYS", date(2024, 1, 2), date(2024, 1, 31))
    fetched = datetime(2024, 2, 1, tzinfo=UTC)

    def by_session():
        for n, day in enumerate(days):
            rows = [{"T": t, "o": 10.0 + n, "h": 11.0 + n, "l": 9.0 + n, "c": 10.5 + n,
                     "v": 1000.0, "n": 1} for t in TICKERS]  # fmt: skip
            yield session_table(rows, day, "polygon", ZONE, fetched)

    @dlt.source(name="grouped")
    def grouped():
        return resources(by_session, lambda: iter(()))

    store = RawStore(tmp_path.as_uri())
    manifest = land(
        grouped(), store, load_id=new_load_id(), source_name="polygon", interval="1d",
        exchange_timezone=ZONE,
    )  # fmt: skip
    assert manifest is not None
    files = sorted(tmp_path.rglob("*.parquet"))
    assert len(files) == len(TICKERS) == len(manifest.files)  # not len(TICKERS) * len(days)
    assert {f.ticker for f in manifest.files} == set(TICKERS)
    assert all(f.rows == len(days) for f in manifest.files)
    assert {(f.first, f.last) for f in manifest.files} == {(str(days[0]), str(days[-1]))}
    back = ds.dataset([str(f) for f in files], format="parquet").to_table()
    assert back.num_rows == len(TICKERS) * len(days)
    closes = back.filter(pa.compute.equal(back["ticker"], "SYN00003")).sort_by("ts")["close"]
    assert closes.to_pylist() == [10.5 + n for n in range(len(days))]
