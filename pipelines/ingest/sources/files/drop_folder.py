"""The drop folder: which files it holds and their fingerprints (SHA-256, cached by size and
modification time so a folder of thousands of unchanged files is not re-read on every run)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest.sources.schema import Rejection


class DropFileError(ValueError):
    """A drop file that cannot be read as declared in config.yaml."""

    def __init__(self, file: str, reason: str, column: str | None = None) -> None:
        self.rejection = Rejection(file, reason, column)
        super().__init__(str(self.rejection))


@dataclass(frozen=True)
class DropFile:
    path: Path
    name: str  # relative to the drop folder, as shown to users
    sha256: str


def fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


FingerprintCache = dict[str, list]  # absolute path -> [size, mtime_ns, sha256]


def cached_fingerprint(path: Path, cache: FingerprintCache | None) -> str:
    """SHA-256 of the file, re-read only when its size or modification time changed."""
    if cache is None:
        return fingerprint(path)
    stat = path.stat()
    known = cache.get(str(path))
    if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
        return known[2]
    sha = fingerprint(path)
    cache[str(path)] = [stat.st_size, stat.st_mtime_ns, sha]
    return sha


def list_drop_files(
    drop_folder: Path, pattern: str, cache: FingerprintCache | None = None
) -> list[DropFile]:
    """Files matching `pattern` under the drop folder, in name order."""
    paths = sorted(p for p in drop_folder.glob(pattern) if p.is_file())
    return [
        DropFile(p, p.relative_to(drop_folder).as_posix(), cached_fingerprint(p, cache))
        for p in paths
    ]


def load_fingerprints(path: Path) -> FingerprintCache:
    """A local cache only: losing it costs one re-read of the drop folder."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def save_fingerprints(path: Path, fingerprints: FingerprintCache) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(fingerprints))
    tmp.replace(path)
