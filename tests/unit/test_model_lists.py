"""Lists of models come from SQLMesh, not from Python: which models are restated when late data
lands (those that read bronze, and SQLMesh restates what is downstream of them), which tables
a check counts (the `published` tag) and what a run reads a row of."""

from __future__ import annotations

import pytest

from pipelines.config import load_project
from pipelines.quality.checks import model_name, physical_tables, tagged
from pipelines.transform.driver import restated_models
from pipelines.warehouse.sqlmesh import sqlmesh_context
from tests.conftest import make_project


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    project = load_project(make_project(tmp_path_factory.mktemp("models")).config)
    context = sqlmesh_context(project)
    yield context
    context.close()


def names(context, fqns) -> set[str]:
    return {model_name(context.models[f]) for f in fqns}


def test_the_models_that_read_bronze_are_restated(context) -> None:
    assert names(context, restated_models(context)) == {
        "silver.adjustment_events",  # reads bronze.tickers: an action of an unknown ticker
        "silver.bars_daily_checked",
        "silver.bars_1m_checked",
        "silver.corporate_actions",
        "silver.quarantine",
        "silver.tickers",
    }


def test_every_incremental_model_is_restated_or_downstream_of_one(context) -> None:
    restated = set(restated_models(context))
    covered = set(restated)
    for fqn in restated:
        covered |= set(context.dag.downstream(fqn))
    incremental = {f for f, m in context.models.items() if m.kind.is_incremental}
    assert incremental and incremental <= covered, sorted(names(context, incremental - covered))


def test_published_tables_and_what_a_run_reads(context) -> None:
    published = list(tagged(context))
    assert published[:2] == ["bronze.bars", "bronze.corporate_actions"]  # bronze first
    assert {"silver.bars_daily", "gold.daily_features", "gold.return_stats"} <= set(published)
    physical = physical_tables(context)
    assert all(not m.kind.is_view for m in physical.values())
    # the views' tables, not the views: one row read each on any history
    assert {"silver.bars_daily_continuous", "gold.features_windowed"} <= set(physical)
    assert "silver.bars_daily" not in physical
