"""The change workflow: edit a model, plan it into a `dev` virtual environment, check that
prod is untouched and dev sees the change, then promote it to prod (README, "Changing a
model")."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from pipelines.config import load_project
from pipelines.transform.driver import execution_time
from pipelines.warehouse.sqlmesh import sqlmesh_context
from tests.conftest import AS_OF, REPO


@pytest.mark.slow
def test_a_model_change_goes_through_dev_then_prod(new_project, backend, monkeypatch) -> None:
    project = new_project(backend)
    (project.root / "models").unlink()  # a copy of the models to edit, not the repository's
    shutil.copytree(REPO / "models", project.root / "models")
    project.cli("demo", "--as-of", AS_OF)

    latest = project.root / "models" / "gold" / "latest_prices.sql"
    text = latest.read_text()
    assert "  b.volume -- Shares traded" in text
    latest.write_text(
        text.replace(
            "  b.volume -- Shares traded",
            "  b.volume, -- Shares traded\n  b.close - b.open AS day_change -- Close - open",
        )
    )
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    context = sqlmesh_context(load_project(project.config))
    try:
        exec_time = execution_time(date.fromisoformat(AS_OF))
        plan = context.plan("dev", no_prompts=True, auto_apply=True, execution_time=exec_time)
        assert [s.name.split(".")[-1] for s in plan.directly_modified] == ['"latest_prices"']
        adapter = context.engine_adapter
        assert "day_change" in adapter.columns("gold__dev.latest_prices")
        assert "day_change" not in adapter.columns("gold.latest_prices")  # prod untouched
        assert adapter.fetchone("SELECT COUNT(*) FROM gold__dev.latest_prices")[0] == 5

        context.plan("prod", no_prompts=True, auto_apply=True, execution_time=exec_time)
        assert "day_change" in adapter.columns("gold.latest_prices")
        got, expected = adapter.fetchone(
            "SELECT p.day_change, b.close - b.open FROM gold.latest_prices AS p "
            "JOIN silver.bars_daily_clean AS b ON b.ticker = p.ticker "
            "AND b.session_date = p.session_date WHERE p.ticker = 'AAPL'"
        )
        assert got == pytest.approx(expected, rel=1e-12)
    finally:
        context.close()
