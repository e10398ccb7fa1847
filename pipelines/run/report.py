"""What a run did, stage by stage: what it landed and merged, what was refused, the transform,
the checks and the seconds each stage took. The exit code follows from it (outcome.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.ingest.bronze.landings import BronzeResult
from pipelines.ingest.raw_store import Manifest
from pipelines.ingest.sources.schema import Rejection
from pipelines.quality.results import CheckResult, failed
from pipelines.run.outcome import run_exit_code
from pipelines.transform.driver import TransformResult
from pipelines.warehouse.serving import Published


@dataclass
class RunReport:
    manifests: list[Manifest] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    tolerated_failures: int = 0  # failed tickers within the providers' max_failed_tickers
    failed_shards: list[str] = field(default_factory=list)  # `2/3 (exit 1: ...)`
    shard_log_rows: list[list] = field(default_factory=list)  # the shards' ops.runs rows
    bronze: BronzeResult | None = None
    transform: TransformResult | None = None
    checks: list[CheckResult] = field(default_factory=list)
    published: Published | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def landed_rows(self, table: str) -> int:
        return sum(m.rows(table) for m in self.manifests)

    @property
    def rejected_files(self) -> list[Rejection]:
        return [r for r in self.rejections if r.kind == "file"]

    @property
    def failed_tickers(self) -> list[Rejection]:
        return [r for r in self.rejections if r.kind == "ticker"]

    @property
    def exit_code(self) -> int:
        return run_exit_code(
            len(self.rejected_files),
            len(self.failed_tickers),
            self.tolerated_failures,
            len(failed(self.checks)),
            len(self.failed_shards),
        )
