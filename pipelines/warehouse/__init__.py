"""Every connection to the warehouse (DuckDB, PostgreSQL, Spark): engines.py (the Warehouse and
what it gives the pipeline: dlt, Soda, Evidence, psycopg, preflight), one module per engine,
sqlmesh.py for SQLMesh's context, readers.py for the API's read-only readers, queries.py for the
reads several callers share, ops_tables.py for the run log's tables."""

# The engines register themselves with Warehouse.of when their modules load.
from pipelines.warehouse import duckdb_warehouse, postgres_warehouse, spark_warehouse  # noqa: F401
