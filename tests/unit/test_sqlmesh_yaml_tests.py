"""The models' YAML unit tests (tests/sqlmesh/*.yaml: hand-checkable inputs and outputs), run
by SQLMesh's own test runner, as `sqlmesh test` does, and a check that every model has one."""

from __future__ import annotations

from pathlib import Path

import yaml

from pipelines.config import load_project
from pipelines.warehouse.sqlmesh import sqlmesh_context
from tests.conftest import make_project

UNIT_TESTS = Path(__file__).parents[1] / "sqlmesh"
# silver.sessions is the exchange calendar from 1990 to next year (thousands of rows, which a
# YAML test would have to list in full); e2e/test_pipeline_demo.py checks it against the exchange
# calendar instead.
WITHOUT_YAML_TEST = {"silver.sessions"}


def test_sqlmesh_unit_tests_pass(tmp_path, monkeypatch) -> None:
    project = make_project(tmp_path)
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    context = sqlmesh_context(load_project(project.config))
    try:
        models = {
            m.name.replace('"', "").removeprefix("warehouse.")
            for m in context.models.values()
            if m.source_type != "external"  # bronze, written by dlt
        }
        result = context.test()
    finally:
        context.close()
    tested = {
        case["model"]
        for path in UNIT_TESTS.glob("test_*.yaml")
        for case in yaml.safe_load(path.read_text()).values()
    }
    assert models - WITHOUT_YAML_TEST <= tested, sorted(models - WITHOUT_YAML_TEST - tested)
    assert result.testsRun == len(
        [c for p in UNIT_TESTS.glob("test_*.yaml") for c in yaml.safe_load(p.read_text())]
    )
    assert result.wasSuccessful(), [str(e) for _, e in result.failures + result.errors]
