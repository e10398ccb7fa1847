"""Silver and gold: the SQLMesh project (models/, macros/, audits/) run on the project's
gateway, restated from the earliest landing it has not seen (driver.py)."""
