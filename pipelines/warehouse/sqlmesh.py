"""SQLMesh's context on the project's gateway: how the transform and the row counts reach the
warehouse through SQLMesh (which brings its own connections, from config.yaml's gateway)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmesh import Context
from sqlmesh.core.config import DuckDBConnectionConfig, GatewayConfig
from sqlmesh.core.console import NoopConsole, set_console

from pipelines.config import Project
from pipelines.warehouse import postgres_copy, spark_overwrite


def schema_table(name: str) -> str:
    """schema.table of a SQLMesh model or snapshot name ('"catalog"."silver"."bars_1m"')."""
    return ".".join(name.replace('"', "").split(".")[-2:])


# The models the last context of each project loaded: a run's checks read the transform's
# rather than loading the project again (a second context costs about a second).
_LOADED: dict[tuple[str, str | None], Mapping[str, Any]] = {}


def sqlmesh_context(project: Project, console: Any | None = None) -> Context:
    """A SQLMesh context on the project's gateway; silent unless given a console."""
    postgres_copy.install()
    spark_overwrite.install()
    set_console(console if console is not None else NoopConsole())  # SQLMesh's is global
    # The selected gateway alone: SQLMesh asks every gateway it is given for its default
    # catalog, which connects to each (a JVM for the spark gateway, in a DuckDB run).
    config = project.sqlmesh_config.model_copy(
        update={"gateways": {project.gateway: project.gateway_config}}
    )
    context = Context(paths=str(project.root), config=config, gateway=project.gateway)
    _LOADED[(str(project.root), project.gateway)] = dict(context.models)
    return context


def project_models(project: Project) -> Mapping[str, Any]:
    """The project's SQLMesh models by name: those this process loaded last, else loaded now."""
    key = (str(project.root), project.gateway)
    if key not in _LOADED:
        sqlmesh_context(project).close()
    return _LOADED[key]


# The gateway the models are rendered for when they are evaluated outside the warehouse (the
# as-of reads): an in-memory DuckDB, whose default catalog is what a scratch DuckDB calls
# itself, so the rendered names resolve there.
RENDERING_GATEWAY = "rendering"
RENDERING_CATALOG = "memory"


def rendering_context(project: Project) -> Context:
    """A SQLMesh context that renders the project's models as DuckDB SQL, with no connection
    to the project's warehouse (an API may hold only the reader's credentials). Bronze is
    external there on every gateway, even where models/bronze/ build it."""
    set_console(NoopConsole())
    gateway = GatewayConfig(connection=DuckDBConnectionConfig(database=":memory:"))
    config = project.sqlmesh_config.model_copy(
        update={"gateways": {RENDERING_GATEWAY: gateway}, "default_gateway": RENDERING_GATEWAY}
    )
    return Context(paths=str(project.root), config=config, gateway=RENDERING_GATEWAY)
