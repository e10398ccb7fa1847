"""The spark gateway's settings, made usable from any working folder.

Spark resolves its warehouse folder and its Derby metastore against the process's working
folder; config.yaml means the project's. The bronze models of the spark gateway read the raw
store's Parquet files themselves (dlt has no Spark destination), so they get the raw store's
location as the gateway variable `raw_store_url`: storage.raw_url stays the one setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.config.models_loader import MarketFlowLoader

# The path-valued Spark settings, and how each names its path.
DERBY_URL = "spark.hadoop.javax.jdo.option.ConnectionURL"
WAREHOUSE_DIR = "spark.sql.warehouse.dir"
DERBY_HOME = "spark.driver.extraJavaOptions"
RAW_STORE_VARIABLE = "raw_store_url"


def _absolute(value: str, root: Path) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else root / path)


def spark_raw_url(raw_url: str, root: Path) -> str:
    """The raw store as Spark's Hadoop layer names it: a local folder as an absolute path;
    s3:// as s3a:// (the connector a cluster supplies: pyspark bundles no hadoop-aws)."""
    if raw_url.startswith("s3://"):
        return "s3a://" + raw_url.removeprefix("s3://")
    if "://" in raw_url:
        return raw_url
    return _absolute(raw_url, root)


def _connection(conn: Any, root: Path) -> Any:
    config = dict(conn.config or {})
    if WAREHOUSE_DIR in config:
        config[WAREHOUSE_DIR] = _absolute(str(config[WAREHOUSE_DIR]), root)
    url = str(config.get(DERBY_URL, ""))
    marker = "databaseName="
    if url.startswith("jdbc:derby:") and marker in url:
        head, rest = url.split(marker, 1)
        name, _, tail = rest.partition(";")
        config[DERBY_URL] = f"{head}{marker}{_absolute(name, root)}" + (f";{tail}" if tail else "")
    options = str(config.get(DERBY_HOME, ""))
    if "-Dderby.system.home=" in options:  # where Derby writes derby.log
        parts = [
            f"-Dderby.system.home={_absolute(p.split('=', 1)[1], root)}"
            if p.startswith("-Dderby.system.home=")
            else p
            for p in options.split()
        ]
        config[DERBY_HOME] = " ".join(parts)
    return conn.model_copy(update={"config": config})


def spark_settings(config: Any, root: Path, raw_url: str) -> Any:
    """config.yaml's SQLMesh config with every spark gateway's paths absolute and its bronze
    models told where the raw store is."""
    gateways = {}
    for name, gateway in config.gateways.items():
        conn = getattr(gateway, "connection", None)
        if getattr(conn, "type_", None) != "spark":
            gateways[name] = gateway
            continue
        variables = {**(gateway.variables or {}), RAW_STORE_VARIABLE: spark_raw_url(raw_url, root)}
        gateways[name] = gateway.model_copy(
            update={"connection": _connection(conn, root), "variables": variables}
        )
    return config.model_copy(update={"gateways": gateways, "loader": MarketFlowLoader})
