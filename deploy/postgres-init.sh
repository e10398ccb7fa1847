#!/bin/sh
# First start of the compose stack's PostgreSQL: MarketFlow's owner role, the read-only role,
# the warehouse and SQLMesh's state database, and the reader's grants (the same statements as
# dev/services.py's provision_postgres and grant_reader). Passwords come from the environment.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres \
  -v app_password="$MARKETFLOW_PG_PASSWORD" -v reader_password="$MARKETFLOW_PG_READER_PASSWORD" <<'SQL'
CREATE ROLE marketflow LOGIN PASSWORD :'app_password';
CREATE ROLE marketflow_reader LOGIN PASSWORD :'reader_password';
CREATE DATABASE marketflow OWNER marketflow;
CREATE DATABASE marketflow_state OWNER marketflow;
\connect marketflow
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS bronze AUTHORIZATION marketflow;
CREATE SCHEMA IF NOT EXISTS silver AUTHORIZATION marketflow;
CREATE SCHEMA IF NOT EXISTS gold AUTHORIZATION marketflow;
CREATE SCHEMA IF NOT EXISTS ops AUTHORIZATION marketflow;
GRANT USAGE ON SCHEMA bronze, silver, gold, ops TO marketflow_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE marketflow IN SCHEMA bronze GRANT SELECT ON TABLES TO marketflow_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE marketflow IN SCHEMA silver GRANT SELECT ON TABLES TO marketflow_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE marketflow IN SCHEMA gold GRANT SELECT ON TABLES TO marketflow_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE marketflow IN SCHEMA ops GRANT SELECT ON TABLES TO marketflow_reader;
SQL
