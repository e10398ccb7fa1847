"""Polygon daily bars by session: one Grouped Daily request
(`/v2/aggs/grouped/locale/us/market/stocks/{date}`) returns every US ticker's bar of that session,
so a year of a whole-market universe is about 252 requests instead of one per ticker. The
corporate actions come from the same splits and dividends endpoints, paged by date range
instead of by ticker. Used by `polygon_source` when `daily_requests: per_session`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from pipelines.ingest.sources.polygon.tables import session_table

Pages = Callable[[str, dict[str, Any]], Iterator[list[dict]]]
GROUPED = "/v2/aggs/grouped/locale/us/market/stocks/{day}"
# The reference endpoints of splits and dividends, and the date each is queried by.
BY_DATE = (
    ("/v3/reference/splits", "execution_date"),
    ("/v3/reference/dividends", "ex_dividend_date"),
)


def grouped_bars(
    pages: Pages,
    sessions: Sequence[date],
    first_of: Callable[[str], date | None],
    source_name: str,
    exchange_timezone: str,
    notice: Callable[[str], None],
) -> Iterator[pa.Table]:
    """One table per session: the bars of the tickers `first_of` wants from that session on
    (None: a ticker outside the universe). A session with no bars at all is a warning."""
    for day in sessions:
        fetched_at = datetime.now(UTC)
        rows = [
            r
            for page in pages(GROUPED.format(day=day), {"adjusted": "false"})
            for r in page
            if (first := first_of(str(r.get("T", "")))) is not None and first <= day
        ]
        if not rows:
            notice(f"{source_name} 1d {day}: Grouped Daily has no bar of the universe")
            continue
        yield session_table(rows, day, source_name, exchange_timezone, fetched_at)


def actions_by_ticker(
    pages: Pages, first: date, last: date, wanted: Callable[[str], bool], limit: int
) -> dict[str, tuple[list[dict], list[dict]]]:
    """(splits, dividends) per wanted ticker with an ex-date in [first, last], two paged
    queries for the whole universe."""
    found: dict[str, tuple[list[dict], list[dict]]] = defaultdict(lambda: ([], []))
    for slot, (path, field) in enumerate(BY_DATE):
        query = {f"{field}.gte": str(first), f"{field}.lte": str(last), "limit": str(limit)}
        for page in pages(path, query):
            for row in page:
                if wanted(str(row.get("ticker", ""))):
                    found[row["ticker"]][slot].append(row)
    return dict(found)
