"""SQLMesh's loader with one rule more: an external model (external_models.yaml) gives way to
a SQL model of the same name enabled on the gateway.

Bronze is written by dlt on DuckDB and PostgreSQL, so there bronze.bars and its siblings are
external models; on the spark gateway models/bronze/ builds them from the raw store (dlt has no
Spark destination). Both are declared once: SQLMesh alone would refuse the name twice.
"""

from __future__ import annotations

from typing import Any

from sqlmesh.core.loader import SqlMeshLoader


class MarketFlowLoader(SqlMeshLoader):
    _sql_model_names: frozenset[str] = frozenset()

    def _load_sql_models(self, *args: Any, **kwargs: Any) -> Any:
        models = super()._load_sql_models(*args, **kwargs)
        # SqlMeshLoader._load_models loads the SQL models before the external ones.
        self._sql_model_names = frozenset(models)
        return models

    def _load_external_models(self, *args: Any, **kwargs: Any) -> Any:
        models = super()._load_external_models(*args, **kwargs)
        for name in self._sql_model_names & set(models):
            models.pop(name)
        return models
