"""A backtest of one ticker: `marketflow backtest` and the API's /v1/backtests ask the same
question the same way (parameters from config.yaml's costs, adjusted bars from the warehouse,
pipelines/analytics/backtest.py for the rest)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from pipelines.analytics import backtest as bt
from pipelines.config import ParameterError, Project
from pipelines.warehouse import queries
from pipelines.warehouse.readers import Reader


def backtest(
    project: Project,
    reader: Reader,
    ticker: str,
    long_short: bool | None = None,
    start: date | None = None,
    end: date | None = None,
    **rule: Any,
) -> bt.Result:
    """The rule's result on the ticker's adjusted bars of [start, end]; ParameterError names a
    bad parameter, or `start` when the window holds fewer than two sessions."""
    params = bt.Params.from_settings(project.settings.backtest, long_short, **rule)
    bars = pd.DataFrame(queries.adjusted_bars(reader, ticker, start, end))
    if len(bars) < 2:
        raise ParameterError("start", f"{ticker} has fewer than two sessions in the window")
    return bt.run(bars, params)
