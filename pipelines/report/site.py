"""`marketflow report`: the Evidence static site (reports/), built from the warehouse offline.

The site reads two Evidence sources (sources.py): `warehouse`, the warehouse itself, and
`backtests`, the one backtest implementation run for config.yaml's `backtest.report` rules.
Pages query those sources only: every number comes from gold or silver (or the backtests),
none is computed twice.

First, before anything is installed or written, the warehouse is checked readable the way the
site reads it (on PostgreSQL the reader role, never the owner: every table the queries name
must exist and be granted). Steps: npm ci (only when package-lock.json or the patches
changed), sources (Evidence runs every `sources/<name>/*.sql` and keeps the results as
Parquet), build (SvelteKit prerenders every page into `build/`). A `report.build_dir`
elsewhere is replaced only once the build succeeded; the default, the project's own `build/`,
is Evidence's to write.

The build bundles the pages (Vite, most of its time and nearly all of its memory) and then
prerenders them with the data. The bundles depend on the pages, the packages and the patches,
never on the data: when none of those changed since the last full build (its key, written
beside the bundles), only the data steps run again (scripts/rerender.mjs). `full=True`, or a
failure of that shortcut, builds in full.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipelines.config import ConfigError, Project
from pipelines.config.paths import OWNED_MARKER
from pipelines.report.sources import warehouse_tables, write_backtests, write_warehouse_source
from pipelines.warehouse.engines import Warehouse

INSTALL_STAMP = "node_modules/.marketflow-installed"
LOCK = ".marketflow-report.lock"
TEMPLATE = ".evidence/template"  # Evidence's SvelteKit project, emptied by each full build
BUILD_KEY = f"{TEMPLATE}/.marketflow-build-key"
BUNDLES = f"{TEMPLATE}/.svelte-kit/output/server/manifest-full.js"
# What the bundles are compiled from (the packages, and what `evidence build` copies into its
# template but sources/, which is the data's): a change to any of these needs a full build.
BUILD_INPUTS = (
    "package-lock.json", "patches", "evidence.config.yaml", "evidence.settings.json",
    "scripts/rerender.mjs", "pages", "static", "queries", "components", "partials", "app.css",
)  # fmt: skip
# What `evidence build` gives Vite, and so what the data-only rebuild gets.
BUILD_ENV = {
    "EVIDENCE_DATA_URL_PREFIX": "static/data",
    "EVIDENCE_DATA_DIR": "./static/data",
    "EVIDENCE_IS_BUILDING": "true",
}


class ReportError(Exception):
    """A step of the build failed; the message says which and shows npm's last lines."""


@dataclass
class ReportSummary:
    site: Path
    build: Path
    steps: dict[str, float] = field(default_factory=dict)  # step -> seconds
    pages: int = 0
    megabytes: float = 0.0
    backtests: int = 0


def build(
    project: Project, *, full: bool = False, log: Callable[[str], None] = print
) -> ReportSummary:
    """Install, write the sources, run Evidence's sources and build (only the data steps when
    the bundles are current, unless `full`); return what was built."""
    settings = project.settings.report
    site = project.path(settings.site_dir).resolve()
    target = project.path(settings.build_dir).resolve()
    if not (site / "package.json").is_file():
        raise ConfigError(f"report.site_dir: {site} holds no Evidence project (package.json)")
    npm = shutil.which("npm")
    if npm is None:
        raise ReportError("npm not found: the report site is built with Node.js 18+ and npm")
    Warehouse.of(project).check_readable(warehouse_tables(site))
    summary = ReportSummary(site=site, build=target)
    with open(site / LOCK, "w") as lock:
        # One build at a time per Evidence project: they share sources/ and .evidence/.
        fcntl.flock(lock, fcntl.LOCK_EX)
        _build(project, site, target, npm, full, summary, log)
    return summary


def _build(
    project: Project,
    site: Path,
    target: Path,
    npm: str,
    full: bool,
    summary: ReportSummary,
    log: Callable[[str], None],
) -> None:
    settings = project.settings.report
    env = npm_env()

    def step(name: str, action: Callable[[], Any]) -> Any:
        log(f"  {name} …")
        began = time.perf_counter()
        result = action()
        summary.steps[name] = time.perf_counter() - began
        log(f"  {name}: {summary.steps[name]:.1f} s")
        return result

    if _install_needed(site):
        ci = [npm, "ci", "--no-audit", "--no-fund"]
        step("npm ci", lambda: _run(ci, site, env, settings.timeout_seconds))
        (site / INSTALL_STAMP).write_text(_install_key(site))
    try:
        source = step("warehouse source", lambda: write_warehouse_source(project, site))
    except duckdb.IOException as exc:
        raise ReportError(f"the warehouse is busy (a pipeline run holds it): {exc}") from None
    env |= source.env
    summary.backtests = step("backtests", lambda: write_backtests(project, site, source.reader))
    step(
        "evidence sources",
        lambda: _run([npm, "run", "sources"], site, env, settings.timeout_seconds),
    )
    built = site / "build"
    # Evidence merges its output into an existing build/, so the results of every earlier
    # build (another warehouse's, an older run log's columns) would be published again.
    shutil.rmtree(built, ignore_errors=True)
    key = build_key(site)
    if full or not bundles_current(site, key):
        _full_build(site, key, npm, env, settings.timeout_seconds, step)
    else:
        rerender = [_node(), "../../scripts/rerender.mjs"]
        try:
            step(
                "rebuild (data only)",
                lambda: _run(rerender, site / TEMPLATE, env | BUILD_ENV, settings.timeout_seconds),
            )
        except ReportError as exc:
            log(f"  the data-only rebuild failed, so the build runs in full:\n{exc}")
            shutil.rmtree(built, ignore_errors=True)
            _full_build(site, key, npm, env, settings.timeout_seconds, step)
    if target != built:
        replace_build(built, target)
    summary.pages = sum(1 for _ in target.rglob("index.html"))
    summary.megabytes = sum(f.stat().st_size for f in target.rglob("*") if f.is_file()) / 1e6


def _full_build(
    site: Path, key: str, npm: str, env: dict[str, str], timeout: float, step: Callable
) -> None:
    (site / BUILD_KEY).unlink(missing_ok=True)
    step("evidence build", lambda: _run([npm, "run", "build"], site, env, timeout))
    (site / BUILD_KEY).write_text(key)


def build_key(site: Path) -> str:
    """A hash of everything the bundles are compiled from (BUILD_INPUTS), never the data."""
    digest = hashlib.sha256()
    for name in BUILD_INPUTS:
        root = site / name
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for file in (f for f in files if f.is_file()):
            digest.update(f"{file.relative_to(site).as_posix()}\0".encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def bundles_current(site: Path, key: str) -> bool:
    """Whether the last full build finished (its key is written last) with this key."""
    stamp = site / BUILD_KEY
    return (site / BUNDLES).is_file() and stamp.is_file() and stamp.read_text() == key


def replace_build(built: Path, target: Path) -> None:
    """Put the new site at `target` whole; an old one there is replaced only if this product
    built it (its marker), never a directory someone else keeps there."""
    if target.exists() and not (target / OWNED_MARKER).is_file():
        raise ReportError(
            f"report.build_dir: {target} exists and was not built by marketflow report; "
            "empty it, or choose another report.build_dir"
        )
    staged = target.with_name(f".{target.name}.partial")
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(built, staged)
    (staged / OWNED_MARKER).touch()
    shutil.rmtree(target, ignore_errors=True)
    staged.rename(target)


# ---------------------------------------------------------------- npm


def _install_key(site: Path) -> str:
    files = [site / "package-lock.json", *sorted((site / "patches").glob("*.patch"))]
    return hashlib.sha256(b"".join(f.read_bytes() for f in files if f.exists())).hexdigest()


def _install_needed(site: Path) -> bool:
    stamp = site / INSTALL_STAMP
    return not stamp.is_file() or stamp.read_text() != _install_key(site)


# What npm and Evidence get of the environment: what a Node build needs, never the pipeline's
# secrets (PostgreSQL's owner, S3 keys, Polygon's key, the webhook); the warehouse source's
# reader credentials are added by name.
NPM_ENV = (
    "PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "NODE_EXTRA_CA_CERTS", "DO_NOT_TRACK",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
)  # fmt: skip
NPM_ENV_PREFIXES = ("npm_config_", "NPM_CONFIG_")


def npm_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    environ = dict(os.environ if environ is None else environ)
    env = {k: v for k, v in environ.items() if k in NPM_ENV or k.startswith(NPM_ENV_PREFIXES)}
    env["NODE_OPTIONS"] = environ.get("NODE_OPTIONS", "--max-old-space-size=4096")
    return env


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise ReportError("node not found: the report site is built with Node.js 18+ and npm")
    return node


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> None:
    """Run an npm (or node) command in `cwd`; a failure names it and shows its last lines."""
    shown = " ".join([Path(command[0]).name, *command[1:]])
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise ReportError(f"{shown} (in {cwd}) took over {timeout:.0f} s") from None
    if done.returncode != 0:
        tail = _tail(done.stdout + done.stderr, 40)
        raise ReportError(f"{shown} (in {cwd}) exited {done.returncode}:\n{tail}")


def _tail(text: str, lines: int) -> str:
    kept: Iterable[str] = text.strip().splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in kept)
