"""The package's layers, as docs/design.md draws them: every import of a project module points
to a lower layer (or stays in its own package), no project module is imported inside a
function, and modules stay around 300 lines."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = (REPO / "pipelines", REPO / "api")
MAX_LINES = 300


def layers() -> dict[str, int]:
    """Package -> rank (0 at the bottom), read from the picture in docs/design.md."""
    text = (REPO / "docs" / "design.md").read_text()
    block = re.search(r"<!-- layers.*?```\n(.*?)```", text, re.S)
    assert block, "docs/design.md has no layers picture"
    rows = []
    for line in block.group(1).splitlines():
        names = re.findall(r"\b([a-z_]+)(?:/|\.py)", line)  # a package/ or a module.py
        if names:
            rows.append(names)
    ranks = {}
    for rank, names in enumerate(reversed(rows)):
        for name in names:
            ranks["api" if name == "api" else f"pipelines.{name}"] = rank
    return ranks


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(name: str, ranks: dict[str, int]) -> str | None:
    """The layer package a module belongs to (None for the `pipelines` package itself)."""
    return next((p for p in ranks if name == p or name.startswith(p + ".")), None)


def project_imports(tree: ast.AST, here: str) -> list[tuple[str, ast.AST]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:  # relative: resolve against this module's package
                base = ".".join([*here.split(".")[: -node.level], node.module])
            found.append((base, node))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, node) for alias in node.names)
    return [(n, node) for n, node in found if n.split(".")[0] in ("pipelines", "api")]


def modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in package.rglob("*.py"))


def test_the_picture_names_every_package() -> None:
    ranks = layers()
    assert set(ranks) == {
        "api", "pipelines.cli", "pipelines.client", "pipelines.run", "pipelines.ingest",
        "pipelines.transform",
        "pipelines.quality", "pipelines.report", "pipelines.analytics", "pipelines.warehouse",
        "pipelines.config", "pipelines.checkpoints",
    }  # fmt: skip
    on_disk = {module_name(p) for p in (REPO / "pipelines").iterdir() if p.suffix == ".py"}
    on_disk |= {f"pipelines.{p.name}" for p in (REPO / "pipelines").iterdir() if p.is_dir()}
    on_disk -= {"pipelines", "pipelines.__pycache__"}
    assert on_disk == set(ranks) - {"api"}


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_imports_point_down(path: Path) -> None:
    ranks = layers()
    here = module_name(path)
    mine = package_of(here, ranks)
    tree = ast.parse(path.read_text())
    for target, node in project_imports(tree, here):
        theirs = package_of(target, ranks)
        if theirs is None or mine is None or theirs == mine:
            continue  # the package root (telemetry off), or within one package
        assert ranks[theirs] < ranks[mine], (
            f"{here} (layer {mine}) imports {target} (layer {theirs}) at line {node.lineno}: "
            "imports only point down (docs/design.md)"
        )


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_import_inside_a_function(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                assert not isinstance(node, ast.Import | ast.ImportFrom), (
                    f"{path.relative_to(REPO)}:{node.lineno}: import inside {function.name}()"
                )


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_modules_stay_short(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(REPO)}: {lines} lines (split it)"


def test_development_tools_are_not_installed() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'include = ["pipelines*", "api*", "marketflow*"]' in pyproject
    assert not list((REPO / "pipelines").rglob("services.py"))
    assert not list((REPO / "pipelines").rglob("faults.py"))
    assert "def checkpoint(" in (REPO / "pipelines" / "checkpoints.py").read_text()
