"""The development PostgreSQL's cluster goes where the postgres user can reach it (dev/services.py
runs the server binaries as `postgres` when root): a clone under a 0700 folder such as /root
gets a per-repository folder under /var/tmp, recorded for `down` and `status`, or a message
naming the directory that stops the postgres user. No server is started here."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from pathlib import Path

import pytest

from dev import postgres_dir
from dev.postgres_dir import ServiceError


def refusing(*blocked: Path):
    """A "can the postgres user enter it" that refuses `blocked` (and everything inside)."""
    return lambda path: not any(path == b or path.is_relative_to(b) for b in blocked)


@pytest.fixture
def clone(tmp_path) -> Path:
    """A repository under a home folder, with its services folder not created yet."""
    repository = tmp_path / "root" / "marketflow"
    repository.mkdir(parents=True)
    return repository


def test_a_reachable_repository_keeps_its_cluster_inside(clone, tmp_path) -> None:
    services = clone / "data" / "services"
    folder = postgres_dir.prepare(services, clone, refusing(), fallback_root=tmp_path / "var")
    assert folder == services / "postgres"
    assert not (services / postgres_dir.RECORD).exists()
    assert postgres_dir.located(services) == folder


def test_a_repository_the_postgres_user_cannot_enter_gets_a_folder_outside(clone, tmp_path):
    services, var = clone / "data" / "services", tmp_path / "var"
    var.mkdir()
    home = clone.parent  # e.g. /root, mode 0700
    folder = postgres_dir.prepare(services, clone, refusing(home), fallback_root=var)
    assert folder.is_relative_to(var) and not folder.is_relative_to(home)
    assert folder == postgres_dir.fallback_for(clone, var)  # one per repository path
    assert folder != postgres_dir.fallback_for(tmp_path / "another" / "clone", var)
    assert folder.parent.is_dir() and folder.parent.stat().st_uid == os.geteuid()
    # Recorded: `down` and `status` find it, and the next `up` keeps it.
    assert postgres_dir.located(services) == folder
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "PG_VERSION").write_text("15\n")
    assert postgres_dir.prepare(services, clone, refusing(home), fallback_root=var) == folder


def test_a_fallback_someone_else_holds_is_refused(clone, tmp_path) -> None:
    var = tmp_path / "var"
    var.mkdir()
    parent = postgres_dir.fallback_for(clone, var).parent
    parent.symlink_to(tmp_path)  # planted before us
    with pytest.raises(ServiceError, match="is not a directory of this user"):
        postgres_dir.prepare(clone / "data" / "services", clone, refusing(clone.parent), var)


def test_nowhere_reachable_names_the_directory_that_stops_the_postgres_user(clone, tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    home = clone.parent
    with pytest.raises(ServiceError) as error:
        postgres_dir.prepare(clone / "data" / "services", clone, refusing(home, var), var)
    message = str(error.value)
    assert f"cannot enter {home} (mode" in message and f"nor {var} (mode" in message, message
    assert f"chmod o+x {home}" in message


def test_an_existing_cluster_the_postgres_user_cannot_reach_is_named(clone, tmp_path) -> None:
    services = clone / "data" / "services"
    (services / "postgres" / "data").mkdir(parents=True)
    (services / "postgres" / "data" / "PG_VERSION").write_text("15\n")
    with pytest.raises(ServiceError, match=f"cannot enter {clone.parent} "):
        postgres_dir.prepare(services, clone, refusing(clone.parent), tmp_path / "var")


def test_the_first_unreachable_directory_is_the_topmost_that_exists(tmp_path) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    blocked = refusing(tmp_path / "a")
    assert postgres_dir.first_unreachable(deep / "c" / "d", blocked) == tmp_path / "a"
    assert postgres_dir.first_unreachable(tmp_path / "x" / "y", blocked) is None  # not there


def _has_postgres() -> bool:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("runuser") is None or not _has_postgres(),
    reason="asks the postgres user through runuser: as root, with a postgres user",
)
def test_the_postgres_user_is_asked_for_real() -> None:
    private = Path(tempfile.mkdtemp(prefix="marketflow-reach-", dir="/tmp"))  # mode 0700
    try:
        inside = private / "clone"
        inside.mkdir()
        assert postgres_dir.postgres_can_reach(Path("/tmp"))
        assert not postgres_dir.postgres_can_reach(private)
        assert not postgres_dir.postgres_can_reach(inside)
        assert postgres_dir.first_unreachable(inside, postgres_dir.postgres_can_reach) == private
        private.chmod(0o711)
        assert postgres_dir.postgres_can_reach(inside)
        assert postgres_dir.first_unreachable(inside, postgres_dir.postgres_can_reach) is None
    finally:
        shutil.rmtree(private)
