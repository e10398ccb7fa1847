"""Answers kept as the bytes sent: a repeated GET under /v1 on an unchanged DuckDB snapshot is
sent from memory, before routing, validation or JSON encoding (about 1 ms of Python a request
otherwise, most of the cost of a small answer).

A snapshot never changes, so an answer read from it stays exact until the next one: answers
are keyed by the snapshot's generation, the path and query, and the request headers an answer
depends on (Accept picks the format, Accept-Encoding gzip, Origin the CORS headers). The
routes under /v1 read nothing but the warehouse and their parameters (no clock: /health, which
judges freshness against now, is outside /v1 and never kept). Only 200 answers are kept, each
up to ANSWER_MAX_BYTES, all together up to TOTAL_MAX_BYTES (the oldest go first). PostgreSQL
has no snapshot (a run's commit changes what the next query sees), so there is no cache there.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Protocol, runtime_checkable

import anyio.to_thread

from pipelines.warehouse.readers import Unavailable

ANSWER_MAX_BYTES = 1 << 20
TOTAL_MAX_BYTES = 64 << 20
VARY = (b"accept", b"accept-encoding", b"origin")
CACHE_HEADER = b"x-cache"  # "hit" when the answer came from memory, "miss" when it was kept

Scope = dict[str, Any]


@runtime_checkable
class Versioned(Protocol):
    """A reader whose answers change only with its generation (pipelines/warehouse/readers.py
    DuckDBSnapshot)."""

    generation: int

    def check_due(self) -> bool: ...

    def refresh(self) -> None: ...


class AnswerCache:
    """ASGI middleware in front of the app (outermost, so gzip and CORS are inside the bytes)."""

    def __init__(self, app: Any, reader: Versioned, prefix: str) -> None:
        self.app, self.reader, self.prefix = app, reader, prefix
        self._answers: OrderedDict[tuple, tuple[int, list, bytes]] = OrderedDict()
        self._bytes = 0
        self._generation = -1

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        if self.reader.check_due():
            try:  # a snapshot copy may take seconds: not on the event loop
                await anyio.to_thread.run_sync(self.reader.refresh)
            except Unavailable:  # the app answers 503 with Retry-After
                await self.app(scope, receive, send)
                return
        if self.reader.generation != self._generation:
            self._answers.clear()
            self._bytes, self._generation = 0, self.reader.generation
        headers = dict(scope["headers"])
        key = (scope["path"], scope["query_string"], *(headers.get(name) for name in VARY))
        hit = self._answers.get(key)
        if hit is not None:
            status, response_headers, body = hit
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [*response_headers, (CACHE_HEADER, b"hit")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, self._keeping(send, key, self._generation))

    def _cacheable(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(self.prefix + "/")
        )

    def _keeping(self, send: Any, key: tuple, generation: int) -> Any:
        """`send`, keeping a copy of a 200 answer small enough to keep."""
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def keeping(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                if message["status"] == 200:
                    message = {**message, "headers": [*message["headers"], (CACHE_HEADER, b"miss")]}
            elif message["type"] == "http.response.body" and start.get("status") == 200:
                chunks.append(message.get("body", b""))
                size = sum(map(len, chunks))
                if size > ANSWER_MAX_BYTES:
                    start["status"] = None  # too large to keep: sent, not kept
                elif not message.get("more_body", False) and generation == self._generation:
                    self._keep(key, (200, list(start["headers"]), b"".join(chunks)))
            await send(message)

        return keeping

    def _keep(self, key: tuple, answer: tuple[int, list, bytes]) -> None:
        if (earlier := self._answers.pop(key, None)) is not None:  # two misses at once
            self._bytes -= len(earlier[2])
        self._answers[key] = answer
        self._bytes += len(answer[2])
        while self._bytes > TOTAL_MAX_BYTES:
            _, (_, _, body) = self._answers.popitem(last=False)  # the oldest answer
            self._bytes -= len(body)
