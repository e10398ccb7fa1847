"""The container files, linted with what the package registries offer (no container engine or
base image on these machines): hadolint for the Dockerfile, the compose specification's schema
for deploy/compose.yaml (check-jsonschema's copy). Plus what a linter cannot know: every file
the image copies exists, it runs as a non-root user, and no secret is written down."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.unit.test_workflows import cli_commands, invocations

BIN = Path(sys.executable).parent
DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "deploy" / "compose.yaml"


def hadolint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "hadolint"), "--failure-threshold", "info", "--no-color", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def compose_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_hadolint_passes_and_would_catch_a_mistake(tmp_path) -> None:
    result = hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "Dockerfile"
    broken.write_text("FROM python:latest\nRUN pip install marketflow\nUSER root\n")
    found = hadolint(broken)
    assert found.returncode == 1
    assert {"DL3007", "DL3002", "DL3013"} <= set(re.findall(r"DL\d{4}", found.stdout))


def stages() -> list[list[dict]]:
    """The Dockerfile's instructions (continuation lines joined), stage by stage."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found: list[list[dict]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        word, _, value = line.strip().partition(" ")
        if word.upper() == "FROM":
            found.append([])
        found[-1].append({"instruction": word.upper(), "value": " ".join(value.split())})
    return found


def test_the_image_runs_the_cli_as_a_non_root_user() -> None:
    final = stages()[-1]
    users = [i["value"] for i in final if i["instruction"] == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    entrypoint = next(i["value"] for i in final if i["instruction"] == "ENTRYPOINT")
    assert entrypoint == '["marketflow"]'
    command = next(i["value"] for i in final if i["instruction"] == "CMD")
    assert '"serve"' in command and '"0.0.0.0"' in command  # reachable from outside


def test_every_file_the_image_copies_exists_and_secrets_stay_out() -> None:
    for stage in stages():
        for instruction in stage:
            if instruction["instruction"] != "COPY" or "--from=" in instruction["value"]:
                continue
            *sources, _ = [w for w in instruction["value"].split() if not w.startswith("--")]
            for source in sources:
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"
    ignored = (REPO / ".dockerignore").read_text().split()
    for private in (".env", ".dlt/secrets.toml", "data", ".venv", "reports/node_modules"):
        assert private in ignored


def test_compose_follows_the_specification_and_a_mistake_fails(tmp_path) -> None:
    result = compose_check(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  api:\n    image: x\n    restart: sometimes\n    ports: 8000\n")
    assert compose_check(broken).returncode == 1


def test_compose_writes_no_secret_and_the_api_reads_as_the_reader_only() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "s3", "api", "run"}
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|KEY|TOKEN|WEBHOOK", key):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+(:\?[^}]*|:-)?\}", str(value)), (name, key)
    api = services["api"]["environment"]
    assert "MARKETFLOW_PG_PASSWORD" not in api and api["MARKETFLOW_PG_READER_USER"]
    script = "\n".join(services["run"]["command"])
    calls = invocations(script)
    assert calls and all(sub in cli_commands() for _, sub in calls), calls
    init = REPO / "deploy" / "postgres-init.sh"
    assert (REPO / "deploy" / services["postgres"]["volumes"][1].split(":")[0]).resolve() == init
    assert (
        "GRANT USAGE ON SCHEMA bronze, silver, gold, ops TO marketflow_reader" in init.read_text()
    )


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_the_postgres_init_script_is_valid_shell() -> None:
    result = subprocess.run(["sh", "-n", str(REPO / "deploy" / "postgres-init.sh")])
    assert result.returncode == 0
