"""config.yaml: its schema (schema.py, providers.py), the loader (loader.py), secrets, and the
parsers of what users type (params.py). The bottom layer: it imports nothing of the pipeline."""

from pipelines.config.errors import ConfigError, ParameterError
from pipelines.config.loader import Project, load_project

__all__ = ["ConfigError", "ParameterError", "Project", "load_project"]
