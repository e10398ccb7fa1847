"""gold.features_recursive: EMA 12/26, MACD, RSI 14 and ATR 14 on continuous prices.

These recursions have no exact window form, so this is a Python model: each run reads the last
saved row per ticker before its interval and continues from it
(pipelines/analytics/indicators.py), which makes an incremental run equal to a rebuild by
construction.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlglot import exp, parse_one
from sqlmesh import ExecutionContext, model
from sqlmesh.core.model.kind import ModelKindName

from pipelines.analytics.indicators import OUTPUT_COLUMNS, STATE_COLUMNS, compute, is_seeded
from pipelines.checkpoints import checkpoint

# How far back to look for a ticker's last saved row; a ticker silent for longer restarts
# from its first bar (still exact, just more reading).
STATE_LOOKBACK_DAYS = 730
TICKERS_PER_BATCH = 100


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
    tags=["daily"],
    description=(
        "EMA 12/26, MACD, RSI 14 and ATR 14 on continuous (forward-adjusted) prices, each run "
        "continuing from the last saved row per ticker before its interval, so an incremental "
        "run equals a rebuild."
    ),
    depends_on=["silver.bars_daily_continuous"],
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
    post_statements=["@postgres_indexes((ticker, session_date), session_date)"],
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
    bars_view = context.resolve_table("silver.bars_daily_continuous")
    first, last = start.date(), end.date()
    tickers = _fetch(
        context,
        f"SELECT DISTINCT ticker FROM {bars_view} "
        f"WHERE session_date BETWEEN '{first}' AND '{last}'",
    )["ticker"].tolist()
    if not tickers:
        yield from ()
        return
    states = _states(context, this, first, tickers)
    # Missing values: NaN, which DuckDB stores as NULL; elsewhere None in object columns, which
    # SQLMesh writes as NULL (PostgreSQL and Spark keep a NaN as a value, and Spark orders it
    # above every number).
    as_objects = context.engine_adapter.dialect != "duckdb"
    tickers.sort()
    for offset in range(0, len(tickers), TICKERS_PER_BATCH):  # bounded memory on any universe
        batch = tickers[offset : offset + TICKERS_PER_BATCH]
        continued = [tk for tk in batch if is_seeded(states.get(tk))]
        restarted = [tk for tk in batch if tk not in continued]  # from the ticker's first bar
        where = " OR ".join(
            clause
            for clause in (
                f"(ticker IN ({_quoted(continued)}) AND session_date >= '{first}')"
                if continued
                else "",
                f"ticker IN ({_quoted(restarted)})" if restarted else "",
            )
            if clause
        )
        bars = _bars(context, bars_view, f"({where}) AND session_date <= '{last}'")
        frame = _batch(bars, states, set(continued), pd.Timestamp(first), as_objects)
        if len(frame):
            yield frame
    # A crash point (a no-op in the product): the rows are computed and handed over, SQLMesh
    # has not recorded the interval yet.
    checkpoint("sqlmesh.model")


def _fetch(context: ExecutionContext, sql: str) -> pd.DataFrame:
    """A query written in DuckDB's SQL (the models' dialect; the names resolve_table gives are
    quoted so), run in the engine's: a string would reach the engine as written."""
    return context.fetchdf(parse_one(sql, dialect="duckdb"))


def _quoted(tickers: list[str]) -> str:
    return ", ".join("'" + tk.replace("'", "''") + "'" for tk in tickers)


def _batch(
    bars: pd.DataFrame, states: dict, continued: set, first: pd.Timestamp, as_objects: bool
) -> pd.DataFrame:
    """The indicators of one batch of tickers (bars ordered by ticker and session), each
    ticker's series computed alone and written into arrays for the whole batch: one frame per
    batch, not one per ticker (the per-ticker frames and their concatenation cost more than
    the recursions)."""
    tickers = bars["ticker"].to_numpy()
    close, high, low = (bars[c].to_numpy(dtype=float) for c in ("close", "high", "low"))
    starts = np.flatnonzero(np.r_[True, tickers[1:] != tickers[:-1]])
    ends = np.r_[starts[1:], len(tickers)]
    out = {name: np.empty(len(tickers)) for name in OUTPUT_COLUMNS}
    for a, b in zip(starts, ends, strict=True):
        ticker = tickers[a]
        state = states.get(ticker) if ticker in continued else None
        for name, values in compute(close[a:b], high[a:b], low[a:b], state).items():
            out[name][a:b] = values
    keep = (bars["session_date"] >= first).to_numpy()
    frame = pd.DataFrame(
        {
            # Categorical: engines read it as fast as numbers; 100k Python strings are slow.
            "ticker": pd.Categorical(tickers[keep]),
            "session_date": bars["session_date"].to_numpy()[keep],
        }
        | {name: out[name][keep] for name in OUTPUT_COLUMNS}
    )[list(COLUMN_TYPES)]
    frame["bar_index"] = frame["bar_index"].astype("int64")
    if as_objects:
        floats = [c for c in OUTPUT_COLUMNS if c != "bar_index"]
        frame[floats] = frame[floats].astype(object).where(frame[floats].notna(), None)
    return frame


def _bars(context: ExecutionContext, view: str, where: str) -> pd.DataFrame:
    frame = _fetch(
        context,
        "SELECT ticker, session_date, close_continuous AS close, high_continuous AS high, "
        "low_continuous AS low "
        f"FROM {view} WHERE {where} ORDER BY ticker, session_date",
    )
    # datetime64, not date objects: engines ingest it natively (objects are 3x slower in DuckDB).
    frame["session_date"] = pd.to_datetime(frame["session_date"])
    return frame


def _states(context: ExecutionContext, this: str, first, tickers: list[str]) -> dict[str, dict]:
    """The last saved row before `first` (within STATE_LOOKBACK_DAYS) of each ticker the
    interval touches: the cost follows the tickers updated, not the universe or the history."""
    since = first - timedelta(days=STATE_LOOKBACK_DAYS)
    columns = ", ".join(STATE_COLUMNS)
    frames = []
    for offset in range(0, len(tickers), 1000):
        chosen = _quoted(tickers[offset : offset + 1000])
        frames.append(
            _fetch(
                context,
                f"SELECT ticker, {columns} FROM ("
                "  SELECT *, ROW_NUMBER() OVER (PARTITION BY ticker ORDER BY session_date DESC)"
                f"   AS rn FROM {this} WHERE ticker IN ({chosen})"
                f"   AND session_date < '{first}' AND session_date >= '{since}'"
                ") AS latest WHERE rn = 1",
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    states = {}
    for row in frame.to_dict("records"):
        states[row.pop("ticker")] = {k: (None if pd.isna(v) else v) for k, v in row.items()}
    return states
