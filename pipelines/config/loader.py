"""Load config.yaml: SQLMesh's gateways plus the pipeline's settings under `variables:`.

The file is read once through SQLMesh's own loader (so `{{ env_var(...) }}` works the same for
both), then the `marketflow` block (and the model variables beside it) is validated with
pydantic. Any problem raises ConfigError, whose message names the file and the offending key;
the command line turns it into exit code 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from dotenv import load_dotenv
from pydantic import ValidationError
from sqlmesh.core.config import Config
from sqlmesh.core.config.loader import load_config_from_paths
from sqlmesh.utils.errors import ConfigError as SQLMeshConfigError

from pipelines.config.constants import DEFAULT_CONFIG
from pipelines.config.errors import ConfigError, yaml_error
from pipelines.config.paths import check_owned_dirs
from pipelines.config.schema import MODEL_VARIABLES, Settings
from pipelines.config.spark import spark_settings


@dataclass(frozen=True)
class Project:
    """A loaded, validated config.yaml and the folder it lives in."""

    root: Path
    config_path: Path
    settings: Settings
    sqlmesh_config: Any  # sqlmesh.core.config.Config
    gateway: str
    # (ticker, name, type) of each ticker of the provider's listing (universe.listed), once a
    # run has read it (pipelines/ingest/listing.py); empty otherwise.
    listed: tuple[tuple[str, str | None, str | None], ...] = ()

    @property
    def members(self) -> list[str]:
        """The universe: config.yaml's tickers and indices, then the listing's."""
        listed = [ticker for ticker, _, _ in self.listed]
        return list(dict.fromkeys([*self.settings.universe.members, *listed]))

    def path(self, value: str | Path) -> Path:
        """Resolve a path from config.yaml against the project folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.root / p)

    @property
    def raw_url(self) -> str:
        url = self.settings.storage.raw_url
        return url if "://" in url else self.path(url).resolve().as_uri()

    @property
    def pipelines_dir(self) -> Path:
        return self.path(self.settings.pipelines_dir)

    @property
    def gateway_config(self) -> Any:
        """The selected SQLMesh gateway (its connection and state connection)."""
        return self.sqlmesh_config.gateways[self.gateway]


def load_project(config_path: str | Path = DEFAULT_CONFIG, gateway: str | None = None) -> Project:
    """Load and validate config.yaml; raise ConfigError naming the key on any problem."""
    path = Path(config_path).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"{config_path}: config file not found")
    _load_dotenv(path.parent / ".env")
    sqlmesh_config = _load_sqlmesh_config(path)
    root = path.parent

    variables = sqlmesh_config.variables or {}
    raw = variables.get("marketflow")
    if raw is None:
        raise ConfigError(f"{path}: variables.marketflow: missing (the pipeline's settings)")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: variables.marketflow: must be a mapping")
    unknown = sorted(set(variables) - {"marketflow", *MODEL_VARIABLES})
    if unknown:
        raise ConfigError(
            f"{path}: variables.{unknown[0]}: unknown key (known: marketflow, "
            f"{', '.join(MODEL_VARIABLES)})"
        )
    misplaced = [k for k in MODEL_VARIABLES if k in raw]
    if misplaced:
        raise ConfigError(
            f"{path}: variables.marketflow.{misplaced[0]}: belongs directly under variables "
            f"(variables.{misplaced[0]}), where the SQLMesh models read it"
        )
    try:
        settings = Settings.model_validate(
            raw | {k: variables[k] for k in MODEL_VARIABLES if k in variables}
        )
    except ValidationError as exc:
        raise ConfigError(_describe(path, exc)) from None

    gateway = gateway or sqlmesh_config.default_gateway or next(iter(sqlmesh_config.gateways))
    if gateway not in sqlmesh_config.gateways:
        raise ConfigError(
            f"--gateway: {gateway!r} is not a gateway in {path} "
            f"(defined: {sorted(sqlmesh_config.gateways)})"
        )
    sqlmesh_config = _absolute_duckdb_paths(sqlmesh_config, root)
    sqlmesh_config = spark_settings(sqlmesh_config, root, settings.storage.raw_url)
    project = Project(root, path, settings, sqlmesh_config, gateway)
    check_owned_dirs(root, settings, _duckdb_files(sqlmesh_config), project.path, str(path))
    return project


def _load_dotenv(path: Path) -> None:
    """The project's .env (git-ignored; `make services-up` writes one). Variables already set
    in the environment win."""
    if path.is_file():
        load_dotenv(path, override=False)


def read_yaml(path: Path) -> Any:
    """A YAML file of the project (a contract, say); ConfigError naming its line if it does
    not parse."""
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise yaml_error(path, exc) from None


def _load_sqlmesh_config(path: Path) -> Any:
    try:
        return load_config_from_paths(Config, project_paths=[path], personal_paths=[])
    except SQLMeshConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except Exception as exc:  # pydantic errors from SQLMesh's own schema, YAML errors
        raise yaml_error(path, exc) from None


def _absolute_duckdb_paths(config: Any, root: Path) -> Any:
    """DuckDB paths in config.yaml are relative to the project, not to the current folder."""
    gateways = {}
    for name, gateway in config.gateways.items():
        updates = {}
        for attr in ("connection", "state_connection"):
            conn = getattr(gateway, attr, None)
            if conn is not None and getattr(conn, "type_", None) == "duckdb" and conn.database:
                db = Path(conn.database)
                if not db.is_absolute():
                    updates[attr] = conn.model_copy(update={"database": str(root / db)})
        gateways[name] = gateway.model_copy(update=updates) if updates else gateway
    return config.model_copy(update={"gateways": gateways})


def _duckdb_files(config: Any) -> list[Path]:
    found = []
    for gateway in config.gateways.values():
        for attr in ("connection", "state_connection"):
            conn = getattr(gateway, attr, None)
            if conn is not None and getattr(conn, "type_", None) == "duckdb" and conn.database:
                found.append(Path(conn.database))
    return found


def _describe(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: invalid settings"]
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        prefix = ["variables"] if loc and loc[0] in MODEL_VARIABLES else ["variables", "marketflow"]
        key = ".".join(prefix + loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"].startswith("literal_error"):
            msg = f"{msg} (got {err['input']!r})"
        lines.append(f"  {key}: {msg}")
    return "\n".join(lines)
