"""MarketFlow: market data from providers to a checked warehouse, an API and reports.

The package is layered; imports only point down (docs/design.md has the picture, and
tests/unit/test_layers.py holds the code to it):

    cli/ (and the top-level api/)       one module per command; the read-only API
      -> run/                           the pipeline runner, exit codes, the run log, alerts
        -> ingest/ transform/ quality/ report/
             providers and raw landing, bronze | SQLMesh | Soda contracts, freshness | site
          -> analytics/                 pure computations: calendar, indicators, rules, backtest
            -> warehouse/               every connection to DuckDB or PostgreSQL, shared reads
              -> config/, checkpoints   config.yaml's schema and loader; the crash-point hook
"""

from __future__ import annotations

import os

# Every tool of the stack reports usage unless told not to; this must happen before any of
# them is imported, and every entry point imports this package first.
TELEMETRY_OFF = {
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "SODA_CORE_TELEMETRY_ENABLED": "false",
    "SQLMESH__DISABLE_ANONYMIZED_ANALYTICS": "true",
    "DO_NOT_TRACK": "1",
}
for _key, _value in TELEMETRY_OFF.items():
    os.environ.setdefault(_key, _value)

# Soda loads the first .env above its own install folder as it is imported (with the virtualenv
# inside a repository: that repository's .env, whatever project runs, with another warehouse's
# owner password). A project's .env is config/loader.py's alone to read: Soda's environment
# helper, a singleton, is created here once with python-dotenv's own switch off.
_dotenv_switch = os.environ.get("PYTHON_DOTENV_DISABLED")
os.environ["PYTHON_DOTENV_DISABLED"] = "1"
try:
    from soda_core.common.env_config_helper import EnvConfigHelper

    EnvConfigHelper()
finally:
    if _dotenv_switch is None:
        del os.environ["PYTHON_DOTENV_DISABLED"]
    else:
        os.environ["PYTHON_DOTENV_DISABLED"] = _dotenv_switch
