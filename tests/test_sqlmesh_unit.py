"""The models' YAML unit tests (tests/sqlmesh/*.yaml: hand-checkable inputs and outputs), run
by SQLMesh's own test runner, as `sqlmesh test` does."""

from __future__ import annotations

from tests.conftest import make_project


def test_sqlmesh_unit_tests_pass(tmp_path, monkeypatch) -> None:
    from pipelines.config import load_project
    from pipelines.transform import sqlmesh_context

    project = make_project(tmp_path)
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    context = sqlmesh_context(load_project(project.config))
    try:
        result = context.test()
    finally:
        context.close()
    assert result.testsRun >= 3
    assert result.wasSuccessful(), [str(e) for _, e in result.failures + result.errors]
