"""Who writes an uncommitted landing, and when its files may be swept.

A landing's marker (beside the manifests, until its manifest commits it) names its writer's host
and process and carries a heartbeat the writer refreshes as it writes. Shards of one run land
side by side, on one host or on several runners, and none holds the warehouse: a sweep deletes
the files of a landing only once its writer is known to have ended.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

HEARTBEAT_SECONDS = 30.0  # how often a writer refreshes its marker
LEASE_SECONDS = 600.0  # a writer not heard of for this long (another runner's) has ended


@dataclass
class Sweep:
    swept: dict[str, int] = field(default_factory=dict)  # load id -> files deleted
    writing: list[str] = field(default_factory=list)  # landings left: their writer is alive


def writer_alive(marker: dict[str, Any], now: datetime) -> bool:
    """Whether the writer of an uncommitted landing may still be writing it: heard of within
    LEASE_SECONDS, unless it is a process of this host that is gone. A marker of an older
    version (no writer named) was left by a run that held the warehouse: it has ended."""
    if "heartbeat" not in marker:
        return False
    local = marker.get("host") == socket.gethostname() and marker.get("pid") != os.getpid()
    if local and not _process_exists(int(marker["pid"])):
        return False
    heard = datetime.fromisoformat(marker["heartbeat"])
    return (now - heard).total_seconds() < LEASE_SECONDS


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
