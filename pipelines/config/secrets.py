"""Secrets: environment variables first, then the project's .dlt/secrets.toml (git-ignored),
with dlt's naming (section__key in upper case for the environment). Values are only ever
handed to client libraries; nothing here prints or logs them."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any


def lookup(root: Path, *path: str) -> Any:
    """e.g. lookup(root, "raw_store", "credentials", "aws_access_key_id") reads
    RAW_STORE__CREDENTIALS__AWS_ACCESS_KEY_ID or [raw_store.credentials] aws_access_key_id."""
    env = os.environ.get("__".join(p.upper() for p in path))
    if env:
        return env
    file = root / ".dlt" / "secrets.toml"
    if not file.is_file():
        return None
    node: Any = tomllib.loads(file.read_text())
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node
