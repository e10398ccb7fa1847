"""The Python client: MarketFlow's data as pandas (or Arrow, or Polars) frames.

    from marketflow import client

    frame = client.bars(["AAPL", "MSFT"], start="2012-01-01", end="2012-12-31", adjusted=True)
    then = client.bars("AAPL", adjusted=True, as_of="2012-06-01")  # as the warehouse held it
    api = client.connect("http://127.0.0.1:8000")      # the same frames over HTTP
    rsi = api.features("AAPL", fields=["rsi_14"])

Locally (a config.yaml) it reads the warehouse the way the API does, so it never blocks or
fails during a run: DuckDB through a snapshot (pipelines/warehouse/readers.py), PostgreSQL as
the read-only role. Given a URL it asks the API for Parquet. Either way the answer is the
Arrow table of pipelines/warehouse/series.py's schema, so the frames have the same columns and
dtypes (ticker object, session_date datetime64, ts datetime64 UTC, prices float64, volume int64)
and a bad parameter is the same ParameterError naming it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa

try:  # optional: only for those who ask for Polars frames
    import polars
except ImportError:
    polars = None

from pipelines.client.remote import HttpSource
from pipelines.config import ParameterError, load_project
from pipelines.config.params import session_range, time_range
from pipelines.transform import as_of as knowledge
from pipelines.warehouse import queries, series
from pipelines.warehouse.engines import Warehouse

__all__ = ["Client", "ParameterError", "bars", "connect", "features", "tickers"]

Output = Literal["pandas", "arrow", "polars"]
Moment = str | date | datetime | None
Tickers = str | Sequence[str] | None
CLIENT_SNAPSHOTS = "client"  # beside the API's snapshots, in a folder of their own


class Client:
    """Reads bars, features and the universe from one source: the warehouse of a config.yaml
    (`local`) or an API (`remote`)."""

    def __init__(self, local: Any = None, remote: HttpSource | None = None) -> None:
        self._project, self._reader = local if local else (None, None)
        self._remote = remote

    def bars(
        self,
        tickers: Tickers = None,
        start: Moment = None,
        end: Moment = None,
        interval: Literal["1d", "1m"] = "1d",
        adjusted: bool = False,
        output: Output = "pandas",
        as_of: Moment = None,
    ) -> Any:
        """Bars by ticker, then time; every ticker of the universe when `tickers` is None.
        `as_of`: as the warehouse held them at that moment (docs/using-the-data.md)."""
        if interval not in ("1d", "1m"):
            raise ParameterError("interval", f"{interval!r} is not 1d or 1m")
        first, last, moment = _text(start), _text(end), _text(as_of)
        if self._remote is not None:
            params = {"tickers": _joined(tickers), "interval": interval, "start": first,
                      "end": last, "adjusted": str(adjusted).lower(), "as_of": moment}  # fmt: skip
            table = self._remote.table("/v1/bars", params)
        else:
            zone = self._project.settings.exchange.timezone
            ranges = session_range if interval == "1d" else time_range  # sessions or moments
            span = ranges(first, last, zone)
            chosen = series.universe_tickers(self._reader, tickers)
            window = series.Window(tuple(chosen) if chosen else None, *span)
            read = series.bars(interval, adjusted, window)
            minutes = None if interval == "1d" else span
            with knowledge.reading(
                self._project, self._reader, moment, window.tickers, read.sql, minutes
            ) as source:
                table = read.arrow(source)
        schema = series.DAILY_BARS if interval == "1d" else series.MINUTE_BARS
        return _out(table.cast(schema), output)

    def features(
        self,
        tickers: Tickers = None,
        start: Moment = None,
        end: Moment = None,
        fields: Sequence[str] | None = None,
        output: Output = "pandas",
        as_of: Moment = None,
    ) -> Any:
        """gold.daily_features rows (ticker, session_date and `fields`, default all);
        `as_of`: as the warehouse held them at that moment."""
        first, last, moment = _text(start), _text(end), _text(as_of)
        if self._remote is not None:
            params = {"tickers": _joined(tickers), "start": first, "end": last,
                      "fields": _joined(fields), "as_of": moment}  # fmt: skip
            return _out(self._remote.table("/v1/features", params), output)
        chosen_fields = series.chosen_fields(self._reader, fields)
        chosen = series.universe_tickers(self._reader, tickers)
        zone = self._project.settings.exchange.timezone
        span = session_range(first, last, zone)
        window = series.Window(tuple(chosen) if chosen else None, *span)
        read = series.features(self._reader, chosen_fields, window)
        minutes = knowledge.session_minutes(*span, zone)
        with knowledge.reading(
            self._project, self._reader, moment, window.tickers, read.sql, minutes
        ) as source:
            return _out(read.arrow(source), output)

    def tickers(self) -> pd.DataFrame:
        """The universe: ticker, name, sector, industry, first and last session."""
        if self._remote is not None:
            return pd.DataFrame(self._remote.json("/v1/tickers")["data"])
        return pd.DataFrame(queries.tickers(self._reader))

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        if self._remote is not None:
            self._remote.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def connect(source: str | Path | None = None, gateway: str | None = None) -> Client:
    """A client of `source`: an API's base URL (http:// or https://) or a config.yaml (a file,
    or the folder holding it). Default: MARKETFLOW_API_URL when set, else MARKETFLOW_CONFIG or
    ./config.yaml, on its default gateway (or `gateway`, or MARKETFLOW_GATEWAY)."""
    source = (
        source
        or os.environ.get("MARKETFLOW_API_URL")
        or os.environ.get("MARKETFLOW_CONFIG", "config.yaml")
    )
    text = str(source)
    if text.startswith(("http://", "https://")):
        return Client(remote=HttpSource(text))
    path = Path(text)
    config = path / "config.yaml" if path.is_dir() else path
    project = load_project(config, gateway or os.environ.get("MARKETFLOW_GATEWAY"))
    snapshots = project.path(project.settings.api.snapshot_dir) / CLIENT_SNAPSHOTS
    return Client(local=(project, Warehouse.of(project).reader(snapshots)))


_default: Client | None = None


def _client() -> Client:
    global _default
    if _default is None:
        _default = connect()
    return _default


def bars(
    tickers: Tickers = None,
    start: Moment = None,
    end: Moment = None,
    interval: Literal["1d", "1m"] = "1d",
    adjusted: bool = False,
    output: Output = "pandas",
    as_of: Moment = None,
) -> Any:
    """Client.bars on the default source (see connect())."""
    return _client().bars(tickers, start, end, interval, adjusted, output, as_of)


def features(
    tickers: Tickers = None,
    start: Moment = None,
    end: Moment = None,
    fields: Sequence[str] | None = None,
    output: Output = "pandas",
    as_of: Moment = None,
) -> Any:
    """Client.features on the default source (see connect())."""
    return _client().features(tickers, start, end, fields, output, as_of)


def tickers() -> pd.DataFrame:
    """Client.tickers on the default source (see connect())."""
    return _client().tickers()


def _text(value: Moment) -> str | None:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _joined(values: str | Sequence[str] | None) -> str | None:
    return values if values is None or isinstance(values, str) else ",".join(values)


def _out(table: pa.Table, output: Output) -> Any:
    if output == "arrow":
        return table
    if output == "polars":
        if polars is None:
            raise ParameterError("output", "polars is not installed: pip install polars")
        return polars.from_arrow(table)
    return table.to_pandas(date_as_object=False)
