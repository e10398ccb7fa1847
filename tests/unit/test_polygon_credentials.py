"""Polygon's key goes to the configured base URL's host only: a `next_url` naming another host
is followed without it."""

from __future__ import annotations

import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pipelines.ingest.sources.polygon import polygon_source
from pipelines.ingest.sources.web import Pacing

BAR = {"t": 1357189200000, "o": 10.0, "h": 11.0, "l": 9.0, "c": 10.5, "v": 100}  # 2013-01-03


def server(answer) -> tuple[ThreadingHTTPServer, list[dict]]:
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({"path": self.path, "authorization": self.headers.get("Authorization")})
            body = json.dumps(answer(self.path)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, seen


def test_the_key_never_leaves_the_configured_host() -> None:
    other, other_seen = server(
        lambda path: {"status": "OK", "results": [BAR | {"t": BAR["t"] + 86_400_000}]}
    )
    next_url = f"http://127.0.0.1:{other.server_port}/v2/aggs/more"

    def answer(path: str) -> dict:
        if path.startswith("/v2/aggs"):
            return {"status": "OK", "results": [BAR], "next_url": next_url}
        return {"status": "OK", "results": []}  # no splits, no dividends

    base, base_seen = server(answer)
    try:
        source = polygon_source(
            ["AAPL"], "1d", date(2013, 1, 1), date(2013, 1, 31), api_key="secret-key",
            base_url=f"http://127.0.0.1:{base.server_port}", pacing=Pacing(retries=0),
        )  # fmt: skip
        (bars,) = list(source.resources["bars"])
    finally:
        base.shutdown()
        other.shutdown()
    assert bars.num_rows == 2  # the other host's page was read
    assert {s["authorization"] for s in base_seen} == {"Bearer secret-key"}
    assert other_seen and all(s["authorization"] is None for s in other_seen)
