"""Which shard a ticker lands in, as docs/operations.md states it, and each shard's share of a
provider's rate limit."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date

import pytest

from pipelines.config import ParameterError
from pipelines.config.providers import FilesProvider, PolygonProvider
from pipelines.ingest.providers import paced
from pipelines.run.shards import Shard, ShardRecord, judge, shard_of

UNIVERSE = [f"SYN{i:05d}" for i in range(1, 10_001)]


def documented(ticker: str, count: int) -> int:
    """The rule as the docs word it: SHA-256 of the ticker's UTF-8 bytes, the first 8 bytes as
    a big-endian integer, mod N, plus 1."""
    value = 0
    for byte in hashlib.sha256(ticker.encode("utf-8")).digest()[:8]:
        value = value * 256 + byte
    return value % count + 1


def test_the_shards_partition_the_universe_as_documented() -> None:
    shards = [Shard(k, 7) for k in range(1, 8)]
    slices = [shard.members(UNIVERSE) for shard in shards]
    assert sorted(t for s in slices for t in s) == sorted(UNIVERSE)  # each ticker once
    assert all(shard_of(t, 7) == documented(t, 7) for t in UNIVERSE)
    sizes = Counter(shard_of(t, 7) for t in UNIVERSE)
    assert all(abs(n - 10_000 / 7) < 0.06 * 10_000 / 7 for n in sizes.values()), sizes


def test_adding_tickers_moves_no_other_ticker() -> None:
    # A shard's slice of a grown universe (new tickers first, in the middle, last) holds the
    # same old tickers as before: membership never depends on a ticker's place in the list.
    old = UNIVERSE[:5_000]
    was = set(old)
    grown = ["AAA", *old[:2_500], "BRK.B", "NEW1", *old[2_500:], *UNIVERSE[5_000:]]
    for shard in (Shard(1, 3), Shard(2, 3), Shard(3, 3)):
        kept = [t for t in shard.members(grown) if t in was]
        assert kept == shard.members(old)


def test_k_of_n_is_parsed_or_named() -> None:
    assert Shard.parse("2/3") == Shard(2, 3) and str(Shard.parse(" 3 / 3 ")) == "3/3"
    assert Shard.parse(None) is None
    for bad in ("0/3", "4/3", "3", "a/3", "-1/3"):
        with pytest.raises(ParameterError, match=r"--shard: .* is not K/N"):
            Shard.parse(bad)


def test_each_shard_gets_its_fraction_of_the_rate_limit() -> None:
    polygon = PolygonProvider.model_validate(
        {"type": "polygon", "pacing": {"requests_per_second": 5}}
    )
    assert paced(polygon, 4).pacing.requests_per_second == 1.25
    assert paced(polygon, 4).pacing.workers == polygon.pacing.workers
    assert paced(polygon, 1) is polygon
    files = FilesProvider.model_validate(
        {"type": "files", "drop_folder": "data/drop", "bars": {"1d": {"glob": "1d/*.csv"}}}
    )
    assert paced(files, 4) is files  # a drop folder has no rate limit


def _record(shard: str, exit_code: int, failed: list[str] | None = None) -> ShardRecord:
    parsed = Shard.parse(shard)
    assert parsed is not None
    return ShardRecord(parsed, date(2026, 12, 2), f"run-{shard}", exit_code, None,
                       failed or [], [], [])  # fmt: skip


def test_a_missing_or_failed_shard_is_named() -> None:
    assert judge([]).count == 0 and judge([]).failed == []
    verdict = judge([_record("1/3", 0), _record("2/3", 1, ["IBM: HTTP 500"]), _record("1/2", 1)])
    assert verdict.count == 3
    assert verdict.failed == [
        "2/3 (exit 1: failed tickers IBM: HTTP 500)",
        "3/3 (no record: not run, or killed)",
    ]
    assert [str(r.shard) for r in verdict.records] == ["1/3", "2/3"]  # 1/2: another split
    assert judge([_record(f"{k}/3", 0) for k in (1, 2, 3)]).failed == []
