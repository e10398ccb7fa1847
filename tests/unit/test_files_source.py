"""The files provider: column mapping, time zones, formats, skipping and refusing files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.config.providers import BarColumns, BarFiles, FilesProvider
from pipelines.ingest.sources.files import (
    DropFile,
    FileFormat,
    file_format,
    files_source,
    fingerprint,
    read_bars_file,
)

NY = "America/New_York"


def provider(**kwargs) -> FileFormat:
    """How the files of a config.yaml `files` entry with these settings read."""
    settings = FilesProvider(
        bars={"1d": BarFiles(glob="*.csv"), "1m": BarFiles(glob="*.csv")}, **kwargs
    )
    return file_format(settings)


def drop(path: Path) -> DropFile:
    return DropFile(path, path.name, fingerprint(path))


def write(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def bar(ts: str, ticker: str = "AAPL", **prices) -> dict:
    base = {
        "ticker": ticker,
        "ts": ts,
        "open": 10.0,
        "high": 11.0,
        "low": 9.0,
        "close": 10.5,
        "volume": 100,
    }
    return base | prices


def test_daily_bars_are_keyed_by_session_date_at_exchange_midnight(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", [bar("2024-03-08"), bar("2024-03-11"), bar("2024-07-01")])
    table = read_bars_file(drop(path), provider(), "1d", NY, "files")
    ts = table["ts"].to_pylist()
    # EST before the DST change on 2024-03-10, EDT after it.
    assert ts == [
        datetime(2024, 3, 8, 5, tzinfo=UTC),
        datetime(2024, 3, 11, 4, tzinfo=UTC),
        datetime(2024, 7, 1, 4, tzinfo=UTC),
    ]
    assert table["interval"].to_pylist() == ["1d"] * 3
    assert table["price_basis"].to_pylist() == ["raw"] * 3


def test_minute_timestamps_with_and_without_offsets(tmp_path: Path) -> None:
    with_offset = write(tmp_path / "a.csv", [bar("2024-03-11T09:30:00-04:00")])
    naive = write(tmp_path / "b.csv", [bar("2024-03-11 09:30:00")])
    utc_zone = write(tmp_path / "c.csv", [bar("2024-03-11T13:30:00Z")])
    expected = datetime(2024, 3, 11, 13, 30, tzinfo=UTC)
    for path in (with_offset, naive, utc_zone):
        table = read_bars_file(drop(path), provider(), "1m", NY, "files")
        assert table["ts"].to_pylist() == [expected], path.name


def test_naive_timestamps_in_a_declared_zone_and_format(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", [bar("11/03/2024 14:30")])
    spec = provider(timestamp_format="%d/%m/%Y %H:%M", timezone="UTC")
    table = read_bars_file(drop(path), spec, "1m", NY, "files")
    assert table["ts"].to_pylist() == [datetime(2024, 3, 11, 14, 30, tzinfo=UTC)]


def test_parquet_with_vendor_column_names(tmp_path: Path) -> None:
    path = tmp_path / "v.parquet"
    pq.write_table(
        pa.table(
            {
                "sym": ["MSFT"],
                "day": pa.array([date(2024, 1, 2)], pa.date32()),
                "o": [1.0],
                "h": [2.0],
                "l": [0.5],
                "c": [1.5],
                "v": pa.array([7], pa.int64()),
            }
        ),
        path,
    )
    columns = BarColumns(ticker="sym", ts="day", open="o", high="h", low="l", close="c", volume="v")
    table = read_bars_file(drop(path), provider(columns=columns), "1d", NY, "vendor")
    row = table.to_pylist()[0]
    assert row["ticker"] == "MSFT" and row["close"] == 1.5 and row["volume"] == 7.0
    assert row["source"] == "vendor" and row["provider_adj_close"] is None
    assert row["ts"] == datetime(2024, 1, 2, 5, tzinfo=UTC)


def test_source_skips_landed_files_filters_and_reports_rejections(tmp_path: Path) -> None:
    good = write(tmp_path / "good.csv", [bar("2024-01-02"), bar("2024-01-03", ticker="TSLA")])
    old = write(tmp_path / "old.csv", [bar("2023-12-29")])
    write(tmp_path / "bad.csv", [{"ticker": "AAPL", "ts": "2024-01-04", "open": 1}])
    rejected = []
    source = files_source(
        str(tmp_path),
        "1d",
        NY,
        bars_glob="*.csv",
        bar_format=provider(),
        tickers=["AAPL"],
        start=date(2024, 1, 1),
        skip_sha256=frozenset({fingerprint(old)}),
        on_reject=rejected.append,
    )
    tables = list(source.resources["bars"])
    assert [t.schema.metadata[b"marketflow.origin"] for t in tables] == [b"good.csv"]
    assert tables[0]["ticker"].to_pylist() == ["AAPL"]  # TSLA is outside the universe
    assert [(r.origin, r.column) for r in rejected] == [("bad.csv", "high")]
    assert fingerprint(good) == tables[0].schema.metadata[b"marketflow.sha256"].decode()


def test_without_a_reject_callback_the_first_bad_file_raises(tmp_path: Path) -> None:
    write(tmp_path / "bad.csv", [{"ticker": "AAPL"}])
    source = files_source(str(tmp_path), "1d", NY, bars_glob="*.csv", bar_format=provider())
    with pytest.raises(Exception, match=r"bad\.csv, column .ts.: required column missing"):
        list(source.resources["bars"])


def test_a_window_over_a_file_of_other_tickers_only_reads_no_bars(tmp_path: Path) -> None:
    """A backfill of some tickers over a window reads every file, and a file holding none of
    them gives no bars (it failed: the window's mask over no rows had no type)."""
    other = write(tmp_path / "msft.csv", [bar("2024-01-02", ticker="MSFT")])
    table = read_bars_file(
        drop(other), provider(), "1d", NY, "files", frozenset({"AAPL"}), date(2024, 1, 1),
        date(2024, 12, 31),
    )  # fmt: skip
    assert table.num_rows == 0 and "close" in table.column_names


def test_an_empty_list_of_tickers_keeps_no_bar(tmp_path: Path) -> None:
    """`tickers=[]` (a shard no ticker of the universe falls in) keeps none; None keeps all."""
    write(tmp_path / "aapl.csv", [bar("2024-01-02"), bar("2024-01-03")])
    every = files_source(str(tmp_path), "1d", NY, bars_glob="*.csv", bar_format=provider())
    none = files_source(
        str(tmp_path), "1d", NY, bars_glob="*.csv", bar_format=provider(), tickers=[]
    )
    assert sum(t.num_rows for t in every.resources["bars"]) == 2
    assert sum(t.num_rows for t in none.resources["bars"]) == 0
