"""MarketFlow's public Python package: `from marketflow import client` (docs/using-the-data.md).
The implementation lives in `pipelines`; this package only names what users import."""

from pipelines import client

__all__ = ["client"]
