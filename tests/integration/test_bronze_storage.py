"""Bronze keeps one copy of each bar: dlt's staging tables, which the merge loads a landing into
first, are emptied once the merge is committed (a backfill of 22.6M bars left a 4 GB copy in
PostgreSQL's bronze_staging.bars)."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.ingest import demo_data as demo
from tests.conftest import AS_OF, BACKENDS


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_staging_copy_of_a_landing_is_emptied_after_the_merge(new_project, backend) -> None:
    project = new_project(backend)
    demo.stage(project.drop, tickers=["IBM"], start=date(2005, 1, 3), end=date(2005, 3, 31))
    project.cli("run", "--as-of", AS_OF)
    assert project.scalar("SELECT COUNT(*) FROM bronze.bars") == 61  # sessions of 2005 Q1
    assert project.scalar("SELECT COUNT(*) FROM bronze_staging.bars") == 0
    assert project.scalar("SELECT COUNT(*) FROM bronze_staging.corporate_actions") == 0
