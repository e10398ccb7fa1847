"""Lists of models come from SQLMesh, not from Python: which models are restated when late data
lands (those that read bronze, and SQLMesh restates what is downstream of them), which tables
a check counts (the `published` tag) and what a run reads a row of."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.config import load_project
from pipelines.quality.checks import model_name, physical_tables, tagged
from pipelines.transform.driver import readers_of, restatements
from pipelines.transform.pending import UNIVERSE, Pending
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
    assert names(context, readers_of(context)) == {
        "silver.adjustment_events",  # reads bronze.tickers: an action of an unknown ticker
        "silver.bar_revisions",
        "silver.bars_daily_checked",
        "silver.bars_1m_checked",
        "silver.corporate_actions",
        "silver.quarantine",
        "silver.reconciliation",
        "silver.tickers",
    }


def test_every_incremental_model_is_restated_or_downstream_of_one(context) -> None:
    restated = set(readers_of(context))
    covered = set(restated)
    for fqn in restated:
        covered |= set(context.dag.downstream(fqn))
    incremental = {f for f, m in context.models.items() if m.kind.is_incremental}
    assert incremental and incremental <= covered, sorted(names(context, incremental - covered))


def test_published_tables_and_what_a_run_reads(context) -> None:
    published = list(tagged(context.models))
    bronze = [t for t in published if t.startswith("bronze.")]
    assert published[: len(bronze)] == bronze  # bronze first
    assert {"bronze.bars", "bronze.corporate_actions", "bronze.bar_versions"} <= set(bronze)
    assert {"silver.bars_daily", "gold.daily_features", "gold.return_stats"} <= set(published)
    physical = physical_tables(context.models)
    by_name = {model_name(m): m for m in context.models.values()}
    assert all(not by_name[t].kind.is_view for t in physical)
    # the views' tables, not the views: one row read each on any history
    assert {"silver.bars_daily_continuous", "gold.features_windowed"} <= set(physical)
    assert "silver.bars_daily" not in physical


def test_a_universe_change_restates_what_reads_bronze_tickers(context) -> None:
    assert names(context, readers_of(context, {UNIVERSE})) == {
        "silver.adjustment_events",
        "silver.tickers",
    }


def test_what_is_restated_from_when(context) -> None:
    end = date(2026, 11, 20)
    landings = Pending(["l1"], date(2005, 3, 1))
    universe = Pending(universe=True, universe_from=date(2000, 5, 8))
    # nothing pending, or a landing after the run's last session: nothing to restate
    assert restatements(context, Pending(), end) == []
    assert restatements(context, Pending(["l2"], date(2026, 12, 1)), end) == []
    assert restatements(context, landings, end) == [(readers_of(context), date(2005, 3, 1))]
    # a universe change with no action of a ticker that joined or left: the latest session
    assert restatements(context, Pending(universe=True), end) == [
        (readers_of(context, {UNIVERSE}), end)
    ]
    assert restatements(context, universe, end) == [
        (readers_of(context, {UNIVERSE}), date(2000, 5, 8))
    ]
    both = Pending(["l1"], date(2005, 3, 1), universe=True, universe_from=date(2000, 5, 8))
    assert [first for _, first in restatements(context, both, end)] == [
        date(2005, 3, 1),
        date(2000, 5, 8),
    ]
    # ... but not when the landings' restatement, which covers every reader, starts earlier
    covered = Pending(["l1"], date(2005, 3, 1), universe=True, universe_from=date(2010, 1, 4))
    assert restatements(context, covered, end) == [(readers_of(context), date(2005, 3, 1))]
