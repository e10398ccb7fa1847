"""The repository documents itself, and its docs match its code: no reference to anything
outside it, a short README whose links resolve, docs/tables.md as the models generate it, every
configuration key, command, flag and route described, and the worked examples of
docs/extending.md running as written."""

from __future__ import annotations

import functools
import importlib.util
import re
import shutil
import subprocess
import sys
import threading
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pytest
import typer
import yaml
from pydantic import BaseModel

from api.main import create_app
from dev.docs_tables import generate
from pipelines.cli.main import app
from pipelines.config import load_project
from pipelines.config import providers as registry
from pipelines.config.schema import Settings
from pipelines.ingest.demo_data import bundled_bars
from pipelines.ingest.sources.schema import BAR_SCHEMA, SourceRequest
from pipelines.warehouse.sqlmesh import sqlmesh_context
from tests.conftest import REPO, make_project
from tests.faults_slice import POINTS

DOCS = REPO / "docs"


def tracked() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
    return [REPO / p for p in out.stdout.splitlines() if (REPO / p).is_file()]


def test_nothing_refers_outside_the_repository() -> None:
    pattern = re.compile(r"SPEC\.md|notes/[a-z-]+\.md")
    found = []
    for path in tracked():
        if path.suffix in (".png", ".json") or "package-lock" in path.name:
            continue
        for number, line in enumerate(path.read_text(errors="ignore").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(REPO)}:{number}")
    assert not found, found


def test_the_readme_is_short_and_its_links_resolve() -> None:
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) < 250
    for doc in sorted(DOCS.glob("*.md")):
        assert f"docs/{doc.name}" in readme, f"README does not link docs/{doc.name}"
    for page in [REPO / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).is_file(), f"{page.name} links {target}"


def test_tables_doc_is_generated_from_the_models() -> None:
    assert (DOCS / "tables.md").read_text() == generate(), "run python dev/docs_tables.py"


def keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    found = []
    for name, field in model.model_fields.items():
        inner = field.annotation
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            found += keys(inner, f"{prefix}{name}.")
        else:
            found.append(prefix + name)
    return found


def test_every_configuration_key_is_described() -> None:
    text = (DOCS / "configuration.md").read_text()
    wanted = keys(Settings)
    for provider in registry.PROVIDER_TYPES:
        wanted += keys(provider)
    # `key` itself, or `key.` before a part of it (`providers.<name>`, `bars.<interval>.glob`)
    missing = sorted({k for k in wanted if not re.search(rf"`{re.escape(k)}[`.]", text)})
    assert not missing, missing


def test_every_command_and_flag_is_described() -> None:
    text = (DOCS / "commands.md").read_text()
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert f"`marketflow {name}" in text, name
        for option in command.params:
            for flag in option.opts:
                assert flag.startswith("--") and flag in text, f"marketflow {name} {flag}"


def test_every_route_is_described(tmp_path) -> None:
    text = (DOCS / "api.md").read_text()
    paths = create_app(load_project(make_project(tmp_path).config)).openapi()["paths"]
    for path in paths:
        shown = re.sub(r"\{(\w+)\}", r"{\1}", path)
        assert f"`GET {shown}" in text, path


# ---------------------------------------------------------------- the worked examples


def example(name: str) -> tuple[str, dict[str, str]]:
    """The code block after `<!-- example: name ... -->` in docs/extending.md, and the marker's
    attributes."""
    text = (DOCS / "extending.md").read_text()
    found = re.search(rf"<!-- example: {name}(.*?)-->\n```\w+\n(.*?)```", text, re.S)
    assert found, f"docs/extending.md has no example {name!r}"
    attributes = dict(re.findall(r'(\w+)="([^"]*)"', found.group(1)))
    return found.group(2), attributes


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_the_provider_example_runs_as_written(tmp_path, monkeypatch) -> None:
    settings_code, _ = example("provider-settings")
    namespace = dict(vars(registry))
    exec(settings_code, namespace)  # defined where the docs say: beside the other models
    model = namespace["CsvHttpProvider"]
    monkeypatch.setattr(registry, "CsvHttpProvider", model, raising=False)
    module_code, _ = example("provider-module")
    path = tmp_path / "csv_http.py"
    path.write_text(module_code)
    spec = importlib.util.spec_from_file_location("csv_http", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "csv_http", module)  # dlt inspects the source's module
    spec.loader.exec_module(module)

    served = tmp_path / "daily"
    served.mkdir()
    bars = bundled_bars()
    columns = ["Date", "Open", "High", "Low", "Close", "Volume"]
    bars[bars["Ticker"] == "AAPL"][columns].to_csv(served / "AAPL.csv", index=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=tmp_path))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        entry = yaml.safe_load(example("provider-config")[0])["providers"]["vendor"]
        entry |= {"url": f"http://127.0.0.1:{server.server_port}/daily/{{ticker}}.csv"}
        entry["pacing"] |= {"retries": 0}
        settings = model.model_validate(entry)
        assert settings.cannot_serve("1m") and settings.cannot_serve("1d") is None
        project = load_project(make_project(tmp_path / "p").config)
        rejected = []
        request = SourceRequest(
            "vendor", "1d", ["AAPL", "ZZZZ"], start=date(2012, 1, 1), end=date(2012, 12, 31),
            on_reject=rejected.append,
        )  # fmt: skip
        tables = list(module.source_for(project, settings, request).resources["bars"])
    finally:
        server.shutdown()
    (table,) = tables
    assert table.schema == BAR_SCHEMA and table.num_rows == 250  # AAPL's 2012 sessions
    expected = bars[(bars["Ticker"] == "AAPL") & bars["Date"].str.startswith("2012")]
    assert table["close"].to_pylist() == expected["Close"].tolist()
    assert pa.compute.min(table["ts"]).as_py().isoformat() == "2012-01-03T05:00:00+00:00"
    assert [r.origin for r in rejected] == ["ZZZZ (vendor 1d)"]  # a 404, named; AAPL loaded


def test_the_indicator_example_is_one_model_change_and_its_test(tmp_path) -> None:
    project = make_project(tmp_path)
    for name in ("models", "tests"):
        (project.root / name).unlink()
    shutil.copytree(REPO / "models", project.root / "models")
    shutil.copytree(REPO / "tests" / "sqlmesh", project.root / "tests" / "sqlmesh")
    column, where = example("indicator-column")
    model = project.root / "models" / "gold" / "daily_features.sql"
    text = model.read_text()
    assert where["after"] in text
    model.write_text(text.replace(where["after"], where["after"] + "\n" + column.rstrip("\n")))
    test_file = project.root / "tests" / "sqlmesh" / "test_daily_features.yaml"
    test_file.write_text(test_file.read_text() + example("indicator-test")[0])
    context = sqlmesh_context(load_project(project.config))
    try:
        result = context.test(match_patterns=["*daily_features*"])
    finally:
        context.close()
    assert result.testsRun == 3, "the two existing tests and the example's"
    assert result.wasSuccessful(), [str(e) for _, e in result.failures + result.errors]


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_docs_name_files_that_exist(page: Path) -> None:
    named = r"`((?:pipelines|api|dev|tests|checks|models|macros|bench)/[\w/.-]+\.(?:py|sql|yml))`"
    for name in re.findall(named, page.read_text()):
        assert (REPO / name).exists(), f"{page.name} names {name}"


def test_every_fault_point_is_documented_and_tested() -> None:
    """The Reliability section lists exactly the points the code passes, and the crash test
    kills at each of them."""
    sources = [*REPO.glob("pipelines/**/*.py"), *REPO.glob("models/**/*.py")]
    passed = {
        point
        for path in sources
        for point in re.findall(r'(?:checkpoint\(|point=)"([a-z_.]+)"', path.read_text())
    }
    passed |= set(re.findall(r'hook\("([a-z_.]+)"\)', (REPO / "dev" / "faults.py").read_text()))
    section = (REPO / "docs" / "operations.md").read_text().split("## Reliability", 1)[1]
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", section, re.MULTILINE))
    assert passed == documented
    assert {p.split("#")[0] for p in POINTS} == passed - {"process.fork"}
