"""Ingest: providers (sources/, chosen by providers.py) land what they yield as immutable raw
Parquet (landing.py, raw_store.py), and bronze merges the landings (bronze/). demo_data.py
stages the bundled dataset into a drop folder."""
