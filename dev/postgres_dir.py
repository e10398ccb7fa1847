"""Where the development PostgreSQL keeps its cluster: a directory the `postgres` user can reach.

As root, the server binaries run as `postgres` (PostgreSQL refuses root), so every directory
above the cluster must be traversable by that user. A clone under /root (mode 0700) is not:
there the cluster goes to a directory of its own under /var/tmp, named after the repository's
path, and the choice is recorded in data/services/ so `down` and `status` find it. A cluster
that already exists stays where it is. When no place is reachable, ServiceError names the
directory that stops the postgres user.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

FALLBACK_ROOT = Path("/var/tmp")
RECORD = "postgres.dir"  # in the services folder: the cluster's folder, when not the default
OWNER = "superuser.sha256"  # beside the cluster: which credentials it was made for


class ServiceError(RuntimeError):
    pass


def postgres_can_reach(directory: Path) -> bool:
    """Whether the user the server runs as may traverse `directory` (runuser, as root; as
    another user the server runs as that user, who reaches what we reach)."""
    if os.geteuid() != 0:
        return os.access(directory, os.X_OK)
    done = subprocess.run(
        ["runuser", "-u", "postgres", "--", "test", "-x", str(directory)], capture_output=True
    )
    return done.returncode == 0


def first_unreachable(path: Path, reachable: Callable[[Path], bool]) -> Path | None:
    """The first directory from / down to `path` that `reachable` refuses (only the part of
    `path` that exists: what is created below it is created reachable), or None."""
    existing = [p for p in [*reversed(path.parents), path] if p.is_dir()]
    return next((p for p in existing if not reachable(p)), None)


def choose(preferred: Path, fallback: Path, reachable: Callable[[Path], bool]) -> Path:
    """`preferred` if the postgres user can reach it, else `fallback`; ServiceError otherwise."""
    blocked = first_unreachable(preferred, reachable)
    if blocked is None:
        return preferred
    other = first_unreachable(fallback, reachable)
    if other is None:
        return fallback
    raise ServiceError(
        f"PostgreSQL's data directory must be reachable by the postgres user, which cannot "
        f"enter {blocked} ({_mode(blocked)}; above {preferred}) nor {other} ({_mode(other)}; "
        f"above {fallback}). Let it in (chmod o+x {blocked}) or clone the repository elsewhere"
    )


def fallback_for(repository: Path, root: Path = FALLBACK_ROOT) -> Path:
    """The per-repository folder outside it: /var/tmp/marketflow-services-<hash>/postgres."""
    digest = hashlib.sha256(str(repository.resolve()).encode()).hexdigest()[:12]
    return root / f"marketflow-services-{digest}" / "postgres"


def located(services: Path) -> Path:
    """Where the cluster's folder is: the recorded one, else data/services/postgres."""
    record = services / RECORD
    return Path(record.read_text().strip()) if record.is_file() else services / "postgres"


def prepare(
    services: Path,
    repository: Path,
    reachable: Callable[[Path], bool] = postgres_can_reach,
    fallback_root: Path = FALLBACK_ROOT,
) -> Path:
    """The cluster's folder for `up`: where a cluster already is, else chosen (and recorded
    when it is the fallback, whose parent is created ours alone)."""
    services.mkdir(parents=True, exist_ok=True)
    current = located(services)
    if (current / "data" / "PG_VERSION").exists():  # a cluster stays where it is
        blocked = first_unreachable(current, reachable)
        if blocked is not None:
            raise ServiceError(
                f"the PostgreSQL cluster in {current} is not reachable by the postgres user: "
                f"it cannot enter {blocked} ({_mode(blocked)}); chmod o+x {blocked}, or remove "
                f"{current} to start a new cluster elsewhere"
            )
        return current
    default, record = services / "postgres", services / RECORD
    chosen = choose(default, fallback_for(repository, fallback_root), reachable)
    if chosen == default:
        record.unlink(missing_ok=True)
        return chosen
    parent = chosen.parent
    parent.mkdir(exist_ok=True)
    info = parent.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise ServiceError(f"{parent} exists and is not a directory of this user: remove it")
    parent.chmod(0o755)  # the postgres user enters it; its cluster folder is postgres's own
    record.write_text(f"{chosen}\n")
    return chosen


def _fingerprint(password: str) -> str:
    return hashlib.sha256(f"marketflow-services:{password}".encode()).hexdigest()


def record_owner(folder: Path, superuser_password: str) -> None:
    """Note beside a new cluster which credentials it was made for (a hash, not the password)."""
    (folder / OWNER).write_text(_fingerprint(superuser_password) + "\n")


def made_for(folder: Path, superuser_password: str) -> bool:
    """Whether the cluster in `folder` was made with this superuser password: not when the
    note differs or is missing (a cluster made before the note existed is replaced once)."""
    note = folder / OWNER
    return note.is_file() and note.read_text().strip() == _fingerprint(superuser_password)


def _mode(path: Path) -> str:
    try:
        info = path.stat()
    except OSError as exc:
        return exc.strerror or "not accessible"
    return f"mode {stat.S_IMODE(info.st_mode):04o}, owner uid {info.st_uid}"
