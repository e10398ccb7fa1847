"""gold.features_recursive: EMA 12/26, MACD, RSI 14 and ATR 14 on continuous prices.

These recursions have no exact window form, so this is a Python model: each run reads the last
saved row per ticker before its interval and continues from it (pipelines/indicators.py), which
makes an incremental run equal to a rebuild by construction.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta

import pandas as pd
from sqlglot import exp
from sqlmesh import ExecutionContext, model
from sqlmesh.core.model.kind import ModelKindName

from pipelines.indicators import OUTPUT_COLUMNS, STATE_COLUMNS, compute, is_seeded

# How far back to look for a ticker's last saved row; a ticker silent for longer restarts
# from its first bar (still exact, just more reading).
STATE_LOOKBACK_DAYS = 730


def _columns(*names: str) -> list[exp.Column]:
    return [exp.column(n) for n in names]


COLUMN_TYPES = {
    "ticker": "text",
    "session_date": "date",
    "bar_index": "bigint",
    "close_continuous": "double",
    "ema_12": "double",
    "ema_26": "double",
    "macd": "double",
    "macd_signal": "double",
    "macd_hist": "double",
    "avg_gain_14": "double",
    "avg_loss_14": "double",
    "rsi_14": "double",
    "atr_14": "double",
}


@model(
    "gold.features_recursive",
    kind=dict(name=ModelKindName.INCREMENTAL_BY_TIME_RANGE, time_column="session_date"),
    cron="@daily",
    grain=["ticker", "session_date"],
    depends_on=["silver.bars_daily"],
    columns=COLUMN_TYPES,
    column_descriptions={
        "ticker": "Ticker symbol",
        "session_date": "Session",
        "bar_index": "Number of earlier bars of the ticker (0 for its first bar)",
        "close_continuous": "Forward-adjusted close the recursions ran on",
        "ema_12": "EMA 12 of the continuous close, seeded by its first 12 values' mean",
        "ema_26": "EMA 26 of the continuous close, seeded likewise",
        "macd": "ema_12 - ema_26",
        "macd_signal": "EMA 9 of macd, seeded by the mean of its first 9 values",
        "macd_hist": "macd - macd_signal",
        "avg_gain_14": "Wilder-smoothed average gain (RSI state)",
        "avg_loss_14": "Wilder-smoothed average loss (RSI state)",
        "rsi_14": "RSI 14: 100 * avg_gain / (avg_gain + avg_loss)",
        "atr_14": "ATR 14 (Wilder) of the continuous prices",
    },
    audits=[
        ("unique_combination_of_columns", {"columns": _columns("ticker", "session_date")}),
        ("not_null", {"columns": _columns("ticker", "session_date", "bar_index")}),
        ("accepted_range", {"column": exp.column("rsi_14"), "min_v": 0, "max_v": 100}),
    ],
)
def execute(
    context: ExecutionContext,
    start: datetime,
    end: datetime,
    execution_time: datetime,
    **kwargs: t.Any,
) -> t.Iterator[pd.DataFrame]:
    this = context.resolve_table("gold.features_recursive")
    bars_view = context.resolve_table("silver.bars_daily")
    first, last = start.date(), end.date()

    bars = _bars(context, bars_view, f"session_date BETWEEN '{first}' AND '{last}'")
    if bars.empty:
        yield from ()
        return
    states = _states(context, this, first)
    restart = sorted(set(bars["ticker"]) - {k for k, s in states.items() if is_seeded(s)})
    if restart:  # no usable state: recompute these tickers from their first bar
        tickers = ", ".join("'" + tk.replace("'", "''") + "'" for tk in restart)
        history = _bars(context, bars_view, f"ticker IN ({tickers}) AND session_date <= '{last}'")
        bars = pd.concat([bars[~bars["ticker"].isin(restart)], history], ignore_index=True)

    frames = []
    for ticker, g in bars.sort_values(["ticker", "session_date"]).groupby("ticker", sort=True):
        state = None if ticker in restart else states[ticker]
        values = compute(g["close"].tolist(), g["high"].tolist(), g["low"].tolist(), state)
        # Missing values as None in object columns: every engine adapter writes them as NULL
        # (pandas' NA becomes STRUCT() in SQLMesh's PostgreSQL inserts, NaN stays NaN).
        frame = pd.DataFrame(
            {"ticker": ticker, "session_date": g["session_date"].to_numpy()}
            | {name: pd.Series(values[name], dtype=object) for name in OUTPUT_COLUMNS}
        )
        frames.append(frame[frame["session_date"] >= pd.Timestamp(first).date()])
    yield pd.concat(frames, ignore_index=True)[list(COLUMN_TYPES)]


def _bars(context: ExecutionContext, view: str, where: str) -> pd.DataFrame:
    frame = context.fetchdf(
        "SELECT ticker, session_date, close * continuous_factor AS close, "
        "high * continuous_factor AS high, low * continuous_factor AS low "
        f"FROM {view} WHERE {where} ORDER BY ticker, session_date"
    )
    frame["session_date"] = pd.to_datetime(frame["session_date"]).dt.date
    return frame


def _states(context: ExecutionContext, this: str, first) -> dict[str, dict]:
    """Each ticker's last saved row before `first` (within STATE_LOOKBACK_DAYS)."""
    since = first - timedelta(days=STATE_LOOKBACK_DAYS)
    columns = ", ".join(STATE_COLUMNS)
    frame = context.fetchdf(
        f"SELECT ticker, {columns} FROM ("
        "  SELECT *, ROW_NUMBER() OVER (PARTITION BY ticker ORDER BY session_date DESC) AS rn"
        f"  FROM {this} WHERE session_date < '{first}' AND session_date >= '{since}'"
        ") AS latest WHERE rn = 1"
    )
    states = {}
    for row in frame.to_dict("records"):
        states[row.pop("ticker")] = {k: (None if pd.isna(v) else v) for k, v in row.items()}
    return states
