"""`marketflow report` on PostgreSQL: as the reader role only, and a data-only rebuild that
publishes what a full build of the same data does."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from dev import services as svc
from tests.conftest import REPO, write_config
from tests.e2e.built_site import differences, published
from tests.e2e.conftest import CHROMIUM, stale_results

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="make test installs Debian's chromium"),
    # With the demo site's tests: one worker, and the bundles of its build are reused here.
    pytest.mark.xdist_group("report"),
]

# What `marketflow report` on PostgreSQL is given: where the warehouse is and the reader role.
READER_ONLY = (
    "MARKETFLOW_PG_HOST",
    "MARKETFLOW_PG_PORT",
    "MARKETFLOW_PG_DATABASE",
    "MARKETFLOW_PG_READER_USER",
    "MARKETFLOW_PG_READER_PASSWORD",
)
PIPELINE_SECRETS = r"MARKETFLOW_|RAW_STORE__|ALERTS__|POLYGON|SOURCES__|AWS_|EVIDENCE_"


def reader_only(project) -> dict[str, str]:
    """The environment of a report on `project`'s PostgreSQL warehouse: where it is and the
    reader role; no owner, S3, Polygon or webhook variable, and no .env read."""
    env = {k: v for k, v in os.environ.items() if not re.match(PIPELINE_SECRETS, k)}
    env |= {name: project.env[name] for name in READER_ONLY}
    # python-dotenv's own switch, which config/loader.py honours: not even a project .env.
    return env | {"PYTHON_DOTENV_DISABLED": "1"}


def report_as_reader(
    project, root: Path, build_dir: Path, *args: str
) -> subprocess.CompletedProcess:
    config = write_config(root, {"report": {"build_dir": str(build_dir)}})
    dead_proxy = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    return subprocess.run(
        [str(REPO / ".venv/bin/marketflow"), "--config", str(config), "report",
         "--gateway", "postgres", *args],
        capture_output=True, text=True, env=reader_only(project) | dead_proxy, cwd=root,
        timeout=900,
    )  # fmt: skip


def test_on_postgresql_a_warehouse_without_a_run_is_refused_and_left_as_it_was(
    new_project, tmp_path
) -> None:
    """The report creates nothing (the ops tables are the run's, made by the owner): before any
    run it exits 1 naming what is missing, before npm."""
    project = new_project("postgres")
    result = report_as_reader(project, tmp_path / "report", tmp_path / "site")
    assert result.returncode == 1, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert "ops.runs" in message and "silver.bars_daily" in message, message
    assert "marketflow run" in message and "reader role" in message, message
    assert "npm" not in result.stdout
    assert project.scalar("SELECT to_regclass('ops.runs') IS NULL")
    assert not (tmp_path / "site").exists()


def test_on_postgresql_the_site_builds_as_the_reader_and_names_no_host_bucket_or_secret(
    site, demos, tmp_path
) -> None:
    """The PostgreSQL demo's site, built with the reader's variables only (no owner, no S3, no
    webhook in the environment, no .env): it builds, and no built file holds a host, a bucket
    or a secret of the test environment. The DuckDB demo's site was built from the same pages
    before (`site`), so only the data steps run (test_report_rebuild.py shows that such a
    rebuild publishes what a full build does)."""
    demo = demos["postgres"]
    build_dir = tmp_path / "site"
    result = report_as_reader(demo, tmp_path / "project", build_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rebuild (data only):" in result.stdout, result.stdout
    assert "evidence build" not in result.stdout, result.stdout
    assert differences(published(build_dir), published(site[1])), "another warehouse's site"
    assert (build_dir / "index.html").is_file()
    assert "AAPL" in (build_dir / "index.html").read_text()
    # The reader read the run log; the site carries this warehouse's results only (the DuckDB
    # site above was built from the same Evidence project before).
    assert list(build_dir.glob("data/warehouse/runs/*/runs.parquet"))
    assert not stale_results(build_dir)

    creds = svc.Credentials.load_or_create(svc.SERVICES)
    e = demo.env
    s3_endpoint = e["RAW_STORE__CREDENTIALS__ENDPOINT_URL"].split("://", 1)[1]
    forbidden = {
        "the warehouse's host:port": f"{e['MARKETFLOW_PG_HOST']}:{e['MARKETFLOW_PG_PORT']}",
        "the warehouse database": e["MARKETFLOW_PG_DATABASE"],
        "the S3 endpoint": s3_endpoint,
        "the raw store's URL": e["MARKETFLOW_RAW_URL"],
        "the demo's folder": str(demo.root),
        **{f"bucket {b}": b for b in svc.BUCKETS},
        **{f"secret {k}": v for k, v in vars(creds).items()},
        "the owner's password": e["MARKETFLOW_PG_PASSWORD"],
        "the reader's password": e["MARKETFLOW_PG_READER_PASSWORD"],
    }
    assert e["MARKETFLOW_RAW_URL"].startswith("s3://marketflow-test/")
    leaks = [
        f"{f.relative_to(build_dir)}: {what}"
        for f in build_dir.rglob("*")
        if f.is_file()
        for what, value in forbidden.items()
        if value.encode() in f.read_bytes()
    ]
    assert not leaks, leaks
