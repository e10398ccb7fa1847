"""MarketFlow's read-only API (FastAPI): `marketflow serve`. It reads gold and silver only."""
