"""Sharded ingestion: `run --shard K/N` lands a deterministic 1/N of the universe as raw files
only, and `run --ingest none` then merges, transforms and checks what every shard landed.

A ticker's shard depends on the ticker alone (a hash, not its place in the universe), so adding
tickers never moves another one. A shard takes no warehouse lock and writes nothing but raw
files: its outcome goes to the raw store as a record (`_shards/<session>/<K>-of-<N>.json`, a
rerun replaces it), which the transform reads to name the shards that failed or never reported,
and whose run-log rows it writes to ops.runs.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.console import Console

from pipelines.config import ParameterError, Project
from pipelines.ingest.raw_store import RawStore

RECORDS = "_shards"


class ShardsIncomplete(RuntimeError):
    """A transform that configuration forbids while a shard of its session failed."""


@dataclass(frozen=True)
class Shard:
    index: int  # K: 1..count
    count: int  # N

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @staticmethod
    def parse(text: str | None) -> Shard | None:
        """`K/N` as typed after --shard (None: not sharded)."""
        if text is None:
            return None
        found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not found or not 1 <= int(found[1]) <= int(found[2]):
            raise ParameterError("shard", f"{text!r} is not K/N with 1 <= K <= N (e.g. 2/3)")
        return Shard(int(found[1]), int(found[2]))

    def holds(self, ticker: str) -> bool:
        return shard_of(ticker, self.count) == self.index

    def members(self, tickers: list[str]) -> list[str]:
        return [t for t in tickers if self.holds(t)]


def shard_of(ticker: str, count: int) -> int:
    """The shard (1..count) a ticker belongs to: the first 8 bytes of its SHA-256, mod count."""
    digest = hashlib.sha256(ticker.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


@dataclass(frozen=True)
class ShardRecord:
    shard: Shard
    session: date  # the run's --as-of session
    run_id: str
    exit_code: int
    error: str | None
    failed_tickers: list[str]
    load_ids: list[str]
    log_rows: list[Any]  # its ops.runs row, encoded (runlog.py), for the transform to write

    def to_json(self) -> str:
        data = {k: v for k, v in self.__dict__.items() if k not in ("shard", "session")}
        return json.dumps(
            data | {"shard": str(self.shard), "session": self.session.isoformat()}, indent=1
        )

    @staticmethod
    def from_json(text: str) -> ShardRecord:
        data = json.loads(text)
        shard = Shard.parse(data.pop("shard"))
        assert shard is not None
        return ShardRecord(shard=shard, session=date.fromisoformat(data.pop("session")), **data)


def _path(session: date, shard: Shard) -> str:
    return f"{RECORDS}/{session.isoformat()}/{shard.index}-of-{shard.count}.json"


def write_record(store: RawStore, record: ShardRecord) -> None:
    store.write_bytes(_path(record.session, record.shard), record.to_json().encode())


def records_for(store: RawStore, session: date) -> list[ShardRecord]:
    """The shards' records of one session, by shard."""
    found = [ShardRecord.from_json(text) for text in store.read_all(f"{RECORDS}/{session}/*.json")]
    return sorted(found, key=lambda r: (r.shard.count, r.shard.index))


@dataclass(frozen=True)
class ShardVerdict:
    count: int  # N of the session's shards (0: no shard reported)
    failed: list[str]  # `2/3 (exit 1: ...)`, `3/3 (no record)`
    records: list[ShardRecord]


def judge(records: list[ShardRecord]) -> ShardVerdict:
    """Which shards of the session's split failed or never reported. Records of another N
    (the split changed that day) are ignored but for the largest N."""
    if not records:
        return ShardVerdict(0, [], [])
    count = max(r.shard.count for r in records)
    by_index = {r.shard.index: r for r in records if r.shard.count == count}
    failed = []
    for index in range(1, count + 1):
        record = by_index.get(index)
        if record is None:
            failed.append(f"{index}/{count} (no record: not run, or killed)")
        elif record.exit_code != 0:
            why = record.error.splitlines()[0][:200] if record.error else ""
            tickers = f"failed tickers {', '.join(record.failed_tickers[:10])}"
            failed.append(f"{index}/{count} (exit {record.exit_code}: {why or tickers})")
    return ShardVerdict(count, failed, [by_index[i] for i in sorted(by_index)])


def judge_session(
    project: Project, store: RawStore, session: date, console: Console
) -> ShardVerdict:
    """The shards of the session that failed or never reported; ShardsIncomplete when the
    configuration refuses to transform without them."""
    verdict = judge(records_for(store, session))
    if verdict.count:
        done = verdict.count - len(verdict.failed)
        console.print(f"  shards of {session}: {done} of {verdict.count} landed in full")
    for failure in verdict.failed:
        console.print(f"  [red]shard {failure}[/red]")
    if verdict.failed and project.settings.shards.on_failed_shard == "refuse":
        raise ShardsIncomplete(
            f"{len(verdict.failed)} of {verdict.count} shards of {session} failed or never "
            f"reported ({'; '.join(verdict.failed)}); shards.on_failed_shard is 'refuse': "
            "nothing merged. Rerun those shards, then the transform"
        )
    return verdict
