"""Local HTTP servers that speak Yahoo's chart protocol and Polygon's REST API, serving the real
bokeh_sampledata bars (Quandl WIKI, 2000-2013) with their real splits and dividends
(tests/provider_data.py).

Yahoo's answers are shaped as Yahoo shapes them: Close (and open/high/low) divided by every
later split, volume multiplied by it, dividend amounts split-adjusted, `adjclose` the vendor's
Adj Close. Polygon's are as traded (`adjusted=false`). One-minute bars do not exist in any
package we could find: the demo's SYNTHETIC generator derives them from the real daily bars.

Faults are injected per ticker: a list of HTTP statuses to answer before the real one, a
permanent status, or a malformed body. Bad bars are planted in `bars` itself (a test may add a
second bar for a day or a bar on a Saturday: each day's bars go out in the order they stand) or
as `overrides`. A missing value goes out as JSON null, an infinite one as 1e999 (valid JSON
that every parser reads as infinity; the Infinity token is not JSON, and the simplejson that
requests prefers refuses it). Every request is logged.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd

from pipelines.ingest import demo_data as demo
from tests.provider_data import API_KEY, LISTED_NAMES, NY, as_traded, split_factor_after


def _json_numbers(values: np.ndarray | pd.Series) -> list[float | None]:
    """Numbers as a JSON answer carries them: a missing one (NaN) is null."""
    return [None if np.isnan(v) else float(v) for v in np.asarray(values, dtype=float)]


def _json(body: object) -> str:
    """JSON text; an infinite number as the literal 1e999 (which overflows to infinity)."""
    return json.dumps(body).replace("-Infinity", "-1e999").replace("Infinity", "1e999")


def _by_day(stamps: list[int]) -> list[list[int]]:
    """Epoch seconds grouped by their New York date, in order."""
    groups: dict[date, list[int]] = {}
    for s in stamps:
        groups.setdefault(datetime.fromtimestamp(s, NY).date(), []).append(s)
    return list(groups.values())


@dataclass
class Faults:
    before: dict[str, list[int]] = field(default_factory=dict)  # ticker -> statuses, then OK
    always: dict[str, int] = field(default_factory=dict)  # ticker -> status, every time
    malformed: set[str] = field(default_factory=set)


class MarketServer:
    """Both protocols on one port: Yahoo under /v8, /v1/test; Polygon under /v2, /v3."""

    def __init__(self) -> None:
        self.bars, self.actions = as_traded()
        self.faults = Faults()
        self.log: list[tuple[str, dict[str, list[str]], int]] = []
        self.overrides: dict[tuple[str, str], dict[str, float]] = {}  # (ticker, day) -> values
        self.minute_days: dict[str, list[str]] = defaultdict(list)  # ticker -> days with 1m
        # /v3/reference/tickers: its own page cap (Polygon's is 1000), so five tickers take
        # three pages; `listing_down` answers 503 there.
        self.listing_page, self.listing_down = 2, False
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> MarketServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def requests(self, prefix: str) -> list[tuple[str, dict[str, list[str]], int]]:
        with self._lock:
            return [r for r in self.log if r[0].startswith(prefix)]

    # ------------------------------------------------------------------ data

    def daily(self, ticker: str, first: date, last: date) -> pd.DataFrame:
        g = self.bars[self.bars["ticker"] == ticker]
        g = g[(g["day"] >= first.isoformat()) & (g["day"] <= last.isoformat())].copy()
        for (t, day), values in self.overrides.items():
            if t == ticker:
                for column, value in values.items():
                    g.loc[g["day"] == day, column] = value
        return g.sort_values("day", kind="stable")

    def _fault(self, ticker: str) -> int | str | None:
        with self._lock:
            if ticker in self.faults.always:
                return self.faults.always[ticker]
            queue = self.faults.before.get(ticker)
            if queue:
                return queue.pop(0)
            if ticker in self.faults.malformed:
                return "malformed"
        return None

    # ------------------------------------------------------------------ Yahoo

    def yahoo_chart(self, ticker: str, query: dict[str, list[str]]) -> tuple[int, object]:
        if ticker not in set(self.bars["ticker"]):
            return 404, {
                "chart": {
                    "result": None,
                    "error": {
                        "code": "Not Found",
                        "description": "No data found, symbol may be delisted",
                    },
                }
            }
        interval = query.get("interval", ["1d"])[0]
        if "period1" in query:
            first = datetime.fromtimestamp(int(query["period1"][0]), UTC).astimezone(NY).date()
            last = datetime.fromtimestamp(int(query["period2"][0]) - 1, UTC).astimezone(NY).date()
        else:  # range=1d: the time-zone probe
            last = date.fromisoformat(self.bars[self.bars["ticker"] == ticker]["day"].max())
            first = last
        meta = {
            "currency": "USD",
            "symbol": ticker,
            "exchangeName": "NMS",
            "fullExchangeName": "NasdaqGS",
            "instrumentType": "EQUITY",
            "gmtoffset": -18000,
            "timezone": "EST",
            "exchangeTimezoneName": "America/New_York",
            "priceHint": 2,
            "dataGranularity": interval,
            "range": "",
            "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
        }
        if interval == "1m":
            return 200, self._yahoo_minutes(ticker, first, last, meta)
        return 200, self._yahoo_daily(ticker, first, last, meta)

    def _yahoo_daily(self, ticker: str, first: date, last: date, meta: dict) -> dict:
        g = self.daily(ticker, first, last)
        mine = self.actions[self.actions["ticker"] == ticker]
        factor = split_factor_after(g.assign(ticker=ticker), mine) if len(g) else np.array([])
        stamps = [
            int(datetime.combine(date.fromisoformat(d), time(9, 30), NY).timestamp())
            for d in g["day"]
        ]
        events: dict[str, dict] = {"dividends": {}, "splits": {}}
        in_window = mine[
            (mine["ex_date"] >= first.isoformat()) & (mine["ex_date"] <= last.isoformat())
        ]
        for row in in_window.itertuples():
            ts = int(datetime.combine(date.fromisoformat(row.ex_date), time(9, 30), NY).timestamp())
            if row.action == "split":
                events["splits"][str(ts)] = {
                    "date": ts,
                    "numerator": row.value,
                    "denominator": 1.0,
                    "splitRatio": f"{int(row.value)}:1",
                }
            else:
                later = mine[(mine["action"] == "split") & (mine["ex_date"] > row.ex_date)]
                amount = row.value / float(np.prod(later["value"])) if len(later) else row.value
                events["dividends"][str(ts)] = {"amount": amount, "date": ts}
        prices = ("open", "high", "low", "close")
        quote = {k: _json_numbers(g[k].to_numpy() / factor) for k in prices}
        quote["volume"] = (g["volume"].to_numpy() * factor).astype(int).tolist()
        adjclose = [{"adjclose": _json_numbers(g["adj_close"])}]
        result = {
            "meta": meta,
            "timestamp": stamps,
            "events": events,
            "indicators": {"quote": [quote], "adjclose": adjclose},
        }
        if not stamps:
            result.pop("timestamp")
            result["indicators"] = {"quote": [{}], "adjclose": [{}]}
        return {"chart": {"result": [result], "error": None}}

    def minutes(self, ticker: str, first: date, last: date) -> pd.DataFrame:
        """SYNTHETIC 1-minute bars (demo's generator) of the days in `minute_days`."""
        days = self.daily(ticker, first, last)
        days = days[days["day"].isin(self.minute_days.get(ticker, []))]
        vendor = days.rename(columns={c: c.title() for c in ("open", "high", "low", "close")})
        return demo.synthetic_minutes(
            vendor.rename(columns={"ticker": "Ticker", "day": "Date", "volume": "Volume"})
        )

    def _yahoo_minutes(self, ticker: str, first: date, last: date, meta: dict) -> dict:
        minutes = self.minutes(ticker, first, last)
        stamps = [int(datetime.fromisoformat(t).timestamp()) for t in minutes["Date"]]
        periods = [
            [{"timezone": "EST", "start": min(s), "end": max(s) + 60, "gmtoffset": -18000}]
            for s in _by_day(stamps)
        ]
        meta = {**meta, "tradingPeriods": periods or [[]]}
        if not stamps:
            return {
                "chart": {"result": [{"meta": meta, "indicators": {"quote": [{}]}}], "error": None}
            }
        quote = {k.lower(): minutes[k].tolist() for k in ("Open", "High", "Low", "Close")}
        quote["volume"] = minutes["Volume"].astype(int).tolist()
        return {
            "chart": {
                "result": [{"meta": meta, "timestamp": stamps, "indicators": {"quote": [quote]}}],
                "error": None,
            }
        }

    # ------------------------------------------------------------------ Polygon

    def polygon(self, path: str, query: dict[str, list[str]]) -> tuple[int, object]:
        parts = path.strip("/").split("/")
        if parts[:3] == ["v2", "aggs", "grouped"]:  # every ticker's bar of one session
            if query.get("adjusted") != ["false"]:
                return 400, {"status": "ERROR", "error": "this test server serves adjusted=false"}
            day = parts[7]
            g = self.bars[self.bars["day"] == day]
            close = datetime.combine(date.fromisoformat(day), time(16), NY)  # `t`: the close
            values = {k: _json_numbers(g[k]) for k in ("open", "high", "low", "close", "volume")}
            rows = [
                {"T": ticker, "t": int(close.timestamp() * 1000), "o": values["open"][i],
                 "h": values["high"][i], "l": values["low"][i], "c": values["close"][i],
                 "v": values["volume"][i], "n": 1}
                for i, ticker in enumerate(g["ticker"])
            ]  # fmt: skip
            return 200, {"status": "OK", "resultsCount": len(rows), "results": rows}
        if parts[:2] == ["v2", "aggs"]:
            ticker, timespan, first, last = parts[3], parts[6], parts[7], parts[8]
            if timespan not in ("day", "minute"):
                return 400, {"status": "ERROR", "error": "only day and minute aggregates here"}
            if query.get("adjusted") != ["false"]:
                return 400, {"status": "ERROR", "error": "this test server serves adjusted=false"}
            first_day, last_day = date.fromisoformat(first), date.fromisoformat(last)
            if timespan == "minute":  # vendor columns; a bar starts at its minute
                m = self.minutes(ticker, first_day, last_day)
                starts = [datetime.fromisoformat(t) for t in m["Date"]]
                bars = m.rename(columns=str.lower)
            else:  # a daily bar starts at midnight New York time
                bars = self.daily(ticker, first_day, last_day)
                starts = [datetime.combine(date.fromisoformat(d), time(0), NY) for d in bars["day"]]
            values = {k: _json_numbers(bars[k]) for k in ("open", "high", "low", "close", "volume")}
            rows = [
                {"t": int(start.timestamp() * 1000), "o": values["open"][i],
                 "h": values["high"][i], "l": values["low"][i], "c": values["close"][i],
                 "v": values["volume"][i], "n": 1}
                for i, start in enumerate(starts)
            ]  # fmt: skip
            return 200, self._page(path, query, rows, ticker)
        if parts[:3] == ["v3", "reference", "tickers"]:
            return self._listing(path, query)
        ticker = query.get("ticker", [""])[0]
        mine = self.actions[self.actions["ticker"] == ticker] if ticker else self.actions
        for field_name in ("execution_date", "ex_dividend_date"):  # a date range, every ticker
            if f"{field_name}.gte" in query:
                first, last = query[f"{field_name}.gte"][0], query[f"{field_name}.lte"][0]
                mine = mine[(mine["ex_date"] >= first) & (mine["ex_date"] <= last)]
        if parts[:3] == ["v3", "reference", "splits"]:
            rows = [
                {
                    "ticker": r.ticker,
                    "execution_date": r.ex_date,
                    "split_from": 1,
                    "split_to": r.value,
                }
                for r in mine[mine["action"] == "split"].itertuples()
            ]
            return 200, self._page(path, query, rows, ticker)
        if parts[:3] == ["v3", "reference", "dividends"]:
            rows = [
                {"ticker": r.ticker, "ex_dividend_date": r.ex_date, "cash_amount": r.value}
                for r in mine[mine["action"] == "dividend"].itertuples()
            ]
            return 200, self._page(path, query, rows, ticker)
        return 404, {"status": "NOT_FOUND", "error": f"no route {path}"}

    def _listing(self, path: str, query: dict[str, list[str]]) -> tuple[int, object]:
        """Every ticker the server has bars of, as Polygon lists them (common stock)."""
        if self.listing_down:
            return 503, {"status": "ERROR", "error": "listing unavailable"}
        if query.get("market") != ["stocks"] or query.get("active") != ["true"]:
            return 400, {"status": "ERROR", "error": "this test server lists active stocks"}
        rows = [
            {"ticker": t, "name": LISTED_NAMES.get(t), "market": "stocks", "type": "CS",
             "active": True, "primary_exchange": "XNAS", "currency_name": "usd"}
            for t in sorted(self.bars["ticker"].unique())
        ]  # fmt: skip
        limit = min(int(query.get("limit", ["100"])[0]), self.listing_page)
        return 200, self._page(path, query | {"limit": [str(limit)]}, rows, "")

    def _page(self, path: str, query: dict[str, list[str]], rows: list, ticker: str) -> dict:
        limit = int(query.get("limit", ["50000"])[0])
        offset = int(query.get("cursor", ["0"])[0])
        page = rows[offset : offset + limit]
        body: dict = {"status": "OK", "ticker": ticker, "resultsCount": len(page), "results": page}
        if offset + limit < len(rows):
            rest = {k: v[0] for k, v in query.items() if k != "cursor"}
            params = "&".join(f"{k}={v}" for k, v in rest.items())
            body["next_url"] = f"{self.url}{path}?{params}&cursor={offset + limit}"
        return body

    # ------------------------------------------------------------------ HTTP

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                status, body = self._answer(parts.path, query)
                with server._lock:
                    server.log.append((parts.path, query, status))
                if isinstance(body, (dict, list)):
                    payload, kind = _json(body).encode(), "application/json"
                else:
                    payload, kind = str(body).encode(), "text/html"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                if parts.path == "/":
                    self.send_header("Set-Cookie", "A3=test-cookie; Path=/")
                self.end_headers()
                self.wfile.write(payload)

            def _answer(self, path: str, query: dict) -> tuple[int, object]:
                if path.startswith("/v8/finance/chart/"):
                    ticker = path.rsplit("/", 1)[-1]
                    fault = server._fault(ticker)
                    if fault == "malformed":
                        return 200, '{"chart": {"result": [{"meta": '
                    if isinstance(fault, int):
                        return fault, "Too Many Requests" if fault == 429 else "<html>error</html>"
                    return server.yahoo_chart(ticker, query)
                if path.startswith("/v10/finance/quoteSummary/"):
                    ticker = path.rsplit("/", 1)[-1]
                    return 404, {
                        "quoteSummary": {
                            "result": None,
                            "error": {
                                "code": "Not Found",
                                "description": f"Quote not found for symbol: {ticker}",
                            },
                        }
                    }
                if path.endswith("/getcrumb"):
                    return 200, "test-crumb"
                if path.startswith(("/v2/", "/v3/")):
                    if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                        return 401, {"status": "ERROR", "error": "Unknown API Key"}
                    ticker = (
                        path.split("/")[4]
                        if path.startswith("/v2/")
                        else query.get("ticker", [""])[0]
                    )
                    fault = server._fault(ticker)
                    if fault == "malformed":
                        return 200, '{"status": "OK", "results": [{"t": '
                    if isinstance(fault, int):
                        return fault, {"status": "ERROR", "error": f"injected {fault}"}
                    return server.polygon(path, query)
                return 200, "<html><body>ok</body></html>"

        return Handler
