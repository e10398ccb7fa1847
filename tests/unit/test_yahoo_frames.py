"""Yahoo's answers as bars: every version of a bar the answer carried twice goes on (yfinance's
parser keeps one); bronze then sends differing copies to bronze.bar_conflicts."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from pipelines.ingest.sources.yahoo.frames import bars_table, with_every_copy

NY = "America/New_York"
FEB_13, FEB_14 = 1329143400, 1329229800  # 2012-02-13 and -14, 09:30 in New York


class Answer:
    """A chart response as yfinance received it."""

    def __init__(self, stamps: list[int], closes: list[float]) -> None:
        n = len(stamps)
        quote = {"open": [10.0] * n, "high": [12.0] * n, "low": [9.0] * n, "close": closes,
                 "volume": [100] * n}  # fmt: skip
        self.body = {
            "chart": {
                "result": [
                    {
                        "meta": {"exchangeTimezoneName": NY},
                        "timestamp": stamps,
                        "indicators": {"quote": [quote], "adjclose": [{"adjclose": closes}]},
                    }
                ]
            }
        }

    def json(self) -> dict:
        return self.body


def history(days: list[str], closes: list[float]) -> pd.DataFrame:
    """What yfinance's history() returns for daily bars: one row per session date."""
    index = pd.DatetimeIndex(pd.to_datetime(days)).tz_localize(NY)
    n = len(days)
    return pd.DataFrame(
        {"Open": [10.0] * n, "High": [12.0] * n, "Low": [9.0] * n, "Close": closes,
         "Adj Close": closes, "Volume": [100] * n, "Dividends": [0.0] * n},
        index=index,
    )  # fmt: skip


def test_a_repeated_timestamp_keeps_every_version() -> None:
    answer = Answer([FEB_13, FEB_13, FEB_14], [11.0, 9.5, 11.5])
    frame = history(["2012-02-13", "2012-02-14"], [11.0, 11.5])  # yfinance kept one
    bars = bars_table(
        with_every_copy(frame, [answer], "1d", NY), "IBM", "1d", "yahoo", NY, datetime.now(UTC)
    )
    rows = [(r["ts"].isoformat(), r["close"]) for r in bars.to_pylist()]
    assert rows == [
        ("2012-02-13T05:00:00+00:00", 11.0),  # both versions of the 13th, keyed alike
        ("2012-02-13T05:00:00+00:00", 9.5),
        ("2012-02-14T05:00:00+00:00", 11.5),
    ]


def test_an_answer_without_repeats_changes_nothing() -> None:
    frame = history(["2012-02-13", "2012-02-14"], [11.0, 11.5])
    answer = Answer([FEB_13, FEB_14], [11.0, 11.5])
    assert with_every_copy(frame, [answer], "1d", NY) is frame
