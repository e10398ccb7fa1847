"""The Spark warehouse (the `spark` gateway): Parquet tables in a Hive catalog, SQLMesh's state in
DuckDB beside it.

The session is the one SQLMesh's Spark engine opens: the same settings (config.yaml's
`connection.config`), and pyspark's getOrCreate hands both the one session of the process (one
JVM; Derby's metastore admits one JVM at a time). Bronze is not dlt's here: models/bronze/
builds it from the raw store's files, which this class registers as two external tables; the
pipeline's own small tables (the landings, the universe) are written as Parquet through Spark.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# Soda's data-source plugins must load after its contracts module (a circular import otherwise).
import soda_core.contracts  # noqa: F401
from pyspark import SparkConf
from pyspark.sql import SparkSession
from soda_sparkdf.common.data_sources.sparkdf_data_source import SparkDataFrameDataSourceImpl

from pipelines.config import ConfigError
from pipelines.warehouse.duckdb_warehouse import DuckDBWarehouse
from pipelines.warehouse.engines import EvidenceSource, Warehouse, WarehouseUnavailable
from pipelines.warehouse.locks import file_lock
from pipelines.warehouse.readers import Reader

# Spark 3.5 runs on Java 8, 11 and 17 only.
SUPPORTED_JAVA = (8, 11, 17)

# Spark SQL types of the Arrow types the pipeline's tables use.
SPARK_TYPES = {
    pa.string(): "STRING",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
    pa.timestamp("us", tz="UTC"): "TIMESTAMP",
}


def spark_columns(schema: pa.Schema) -> str:
    """A CREATE TABLE column list for an Arrow schema."""
    return ", ".join(f"`{f.name}` {SPARK_TYPES[f.type]}" for f in schema)


def java_major(version_output: str) -> int | None:
    """The major version in `java -version`'s output ("1.8.0_392" is 8, "17.0.9" is 17)."""
    found = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


@dataclass(frozen=True)
class SparkWarehouse(Warehouse):
    """Spark SQL over a Hive catalog; the settings are SQLMesh's Spark connection's."""

    settings: dict[str, str] = field(default_factory=dict)
    spark_catalog: str | None = None
    state_path: Path | None = None
    serving: DuckDBWarehouse | None = None  # what the API and the report read (Warehouse.of)
    engine: ClassVar[str] = "spark"
    dialect: ClassVar[str] = "spark"
    needs_indexes: ClassVar[bool] = False
    paramstyle: ClassVar[str] = "?"
    bronze_from_raw_store: ClassVar[bool] = True
    publishes: ClassVar[bool] = True

    @classmethod
    def from_gateway(cls, name: str, gateway: Any) -> SparkWarehouse:
        conn = gateway.connection
        state = getattr(gateway, "state_connection", None)
        if state is None or getattr(state, "type_", None) not in ("duckdb", "postgres"):
            raise ConfigError(
                f"gateways.{name}.state_connection: Spark cannot hold SQLMesh's state; give the "
                "gateway a duckdb (or postgres) state_connection"
            )
        state_path = Path(state.database) if getattr(state, "type_", None) == "duckdb" else None
        settings = {k: str(v) for k, v in (conn.config or {}).items()}
        return cls(name, settings, getattr(conn, "catalog", None), state_path)

    @property
    def display(self) -> str:
        return f"spark:{self.settings.get('spark.master', 'local[*]')}"

    @property
    def catalog(self) -> str:
        return self.spark_catalog or "spark_catalog"

    @property
    def warehouse_dir(self) -> Path:
        return Path(self.settings.get("spark.sql.warehouse.dir", "spark-warehouse"))

    def session(self) -> Any:
        """The process's SparkSession, with the gateway's settings (as SQLMesh opens it)."""
        active = SparkSession.getActiveSession()
        if active is not None:  # every query asks: Java is checked once, before the JVM starts
            return active
        self._check_java()
        conf = SparkConf()
        for key, value in self.settings.items():
            conf.set(key, value)
        builder = SparkSession.builder.config(conf=conf).enableHiveSupport()
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        return spark

    @contextmanager
    def connect(self) -> Iterator[Any]:
        yield self.session()

    def _cursor(self, connection: Any) -> Any:
        return _SparkCursor(connection)

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
        frame = self.session().sql(sql, args=list(params) or None)
        return list(frame.columns), [tuple(row) for row in frame.collect()]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.session().sql(sql, args=list(params) or None).collect()

    def table_exists(self, table: str) -> bool:
        return bool(self.session().catalog.tableExists(table))

    def write_table(self, table: str, rows: pa.Table, mode: str) -> None:
        """Write `rows` to `table` (schema.name), created on first use: `append` or
        `overwrite`. Through a Parquet file, so Arrow's types arrive exactly; the file is gone
        when the statement has run."""
        schema_name = table.split(".")[0]
        spark = self.session()
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS {schema_name}")
        columns = spark_columns(rows.schema)
        spark.sql(f"CREATE TABLE IF NOT EXISTS {table} ({columns}) USING parquet")
        folder = Path(tempfile.mkdtemp(prefix="marketflow-spark-"))
        try:
            pq.write_table(rows, folder / "rows.parquet")
            verb = "INSERT OVERWRITE TABLE" if mode == "overwrite" else "INSERT INTO"
            names = ", ".join(f"`{name}`" for name in rows.schema.names)
            spark.sql(f"{verb} {table} SELECT {names} FROM parquet.`{folder}/rows.parquet`")
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def read_table(self, table: str) -> pa.Table | None:
        """A small table whole, as Arrow with the table's own types (a column of nulls keeps
        its type); None when it does not exist."""
        if not self.table_exists(table):
            return None
        frame = self.session().table(table)
        arrow_of = {spark.lower(): arrow for arrow, spark in SPARK_TYPES.items()}
        schema = pa.schema([(f.name, arrow_of[f.dataType.simpleString()]) for f in frame.schema])
        # Spark hands timestamps back naive, in its session's zone (UTC): read as UTC.
        naive = pa.schema(
            [
                (f.name, pa.timestamp("us") if pa.types.is_timestamp(f.type) else f.type)
                for f in schema
            ]
        )
        rows = pa.Table.from_pandas(frame.toPandas(), schema=naive, preserve_index=False)
        return rows.cast(schema)

    def append_run(self, tables: Sequence[tuple[str, dict[str, str], list[tuple]]]) -> None:
        """The run log goes to the serving store, beside the copy of gold that /health and the
        report's run pages read with it."""
        self.serving_store.append_run(tables)

    def set_transformed(self, table: str, now: datetime, load_ids: Sequence[str] | None) -> None:
        # Parquet tables take no UPDATE: the (small) table is rewritten from a copy.
        rows = self.read_table(table)
        if rows is None:
            return
        done = rows.column("transformed_at")
        if load_ids is None:
            hit = pc.is_null(done)
        else:
            hit = pc.is_in(rows.column("load_id"), pa.array(list(load_ids), pa.string()))
        stamp = pa.scalar(now, pa.timestamp("us", tz="UTC"))
        column = pc.if_else(hit, stamp, done)
        position = rows.schema.get_field_index("transformed_at")
        rows = rows.set_column(position, "transformed_at", column)
        self.write_table(table, rows, "overwrite")

    def register_raw_files(self, table: str, location: str, schema: pa.Schema) -> None:
        """An external table over every Parquet file below `location` (a raw-store folder),
        columns from the files (the folder names quote a ticker), refreshed so files landed
        since the session opened are seen."""
        spark = self.session()
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS {table.split('.')[0]}")
        spark.sql(
            f"CREATE TABLE IF NOT EXISTS {table} ({spark_columns(schema)}) USING parquet "
            "OPTIONS (recursiveFileLookup 'true', pathGlobFilter '*.parquet') "
            f"LOCATION '{location}'"
        )
        spark.sql(f"REFRESH TABLE {table}")

    def dlt_destination(self) -> Any:
        raise ConfigError(
            f"gateway {self.gateway}: dlt has no Spark destination; bronze is built from the "
            "raw store by models/bronze/"
        )

    def soda_data_source(self, name: str) -> Any:
        return SparkDataFrameDataSourceImpl.from_existing_session(self.session(), name)

    def check_readable(self, tables: Sequence[str]) -> None:
        self.serving_store.check_readable(tables)

    def evidence_source(self, name: str, folder: Path, scratch: Path) -> EvidenceSource:
        return self.serving_store.evidence_source(name, folder, scratch)

    def reader(self, snapshot_dir: Path) -> Reader:
        return self.serving_store.reader(snapshot_dir)

    @property
    def serving_store(self) -> DuckDBWarehouse:
        if self.serving is None:  # Warehouse.of always sets it
            raise ConfigError(f"gateway {self.gateway}: no serving store (marketflow.serving)")
        return self.serving

    def export_parquet(self, table: str, columns: Sequence[str], folder: Path) -> int:
        """Write a table (or view) to Parquet files in `folder`, replacing what was there, with
        `columns` in that order (all, as stored, if empty); timestamps as UTC microseconds
        (Spark's default INT96 reads back as naive). The number of rows written."""
        spark = self.session()
        spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        frame = spark.table(table)
        frame = frame.select(*[f"`{c}`" for c in columns]) if columns else frame
        frame.write.mode("overwrite").parquet(str(folder))
        return sum(pq.read_metadata(f).num_rows for f in folder.glob("*.parquet"))

    @contextmanager
    def run_lock(self, holder: dict[str, Any], wait_seconds: float) -> Iterator[None]:
        with file_lock(self.warehouse_dir, holder, wait_seconds):
            self.preflight()
            yield

    def preflight(self) -> None:
        self._check_java()
        self.serving_store.preflight()
        for folder in (self.warehouse_dir, self.state_path.parent if self.state_path else None):
            if folder is None:
                continue
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise WarehouseUnavailable(
                    f"Spark warehouse: cannot create {folder}: {exc.strerror}"
                ) from None

    def _check_java(self) -> None:
        java = shutil.which("java")
        if java is None:
            raise WarehouseUnavailable(
                "the spark gateway needs Java 17 (or 11, 8): no `java` on PATH "
                "(Debian: apt-get install openjdk-17-jre-headless), or set JAVA_HOME"
            )
        done = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
        major = java_major(done.stderr + done.stdout)
        if major not in SUPPORTED_JAVA:
            raise WarehouseUnavailable(
                f"the spark gateway needs Java 17, 11 or 8 (Spark 3.5); {java} is Java "
                f"{major}: set JAVA_HOME to a supported JDK"
            )


class _SparkCursor:
    """A DB-API cursor over a SparkSession."""

    def __init__(self, spark: Any) -> None:
        self._spark, self._rows, self.description = spark, [], None

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        frame = self._spark.sql(sql, args=list(params) if params else None)
        self.description = [(name,) for name in frame.columns]
        self._rows = [tuple(row) for row in frame.collect()]

    def fetchall(self) -> list[tuple]:
        return self._rows
