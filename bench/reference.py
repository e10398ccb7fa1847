"""The hand-written reference the pipeline benchmark compares `marketflow run` with: what a user
would write instead of MarketFlow to get the same gold columns from the same drop files.

    python bench/reference.py DROP_DIR OUT.parquet

No project code: DuckDB reads the drop folder's daily bars and corporate_actions.csv, keeps one
bar per ticker and session, adjusts for splits (1/ratio) and dividends (1 - D / previous close)
and computes the window columns with SQL windows; TA-Lib computes the recursions (EMA 12/26,
MACD, RSI 14, ATR 14), on adjusted prices. Writes the columns of gold.daily_features (vwap as the
typical price: there are no minute bars) as Parquet; bench/pipeline_bench.py checks them
against gold before it times anything.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import talib

COLUMNS = """
WITH raw AS (
  SELECT ticker, CAST(ts AS DATE) AS session_date, high, low, close, filename
  FROM read_parquet('{drop}/1d/*.parquet', filename = true)
), bars AS (  -- one bar per ticker and session: the last file's
  SELECT * EXCLUDE (filename) FROM raw
  QUALIFY ROW_NUMBER() OVER (PARTITION BY ticker, session_date ORDER BY filename DESC) = 1
), actions AS (
  SELECT a.ticker, CAST(a.ex_date AS DATE) AS ex_date, a.action, a.value, b.close AS prev_close
  FROM read_csv('{drop}/corporate_actions.csv') AS a
  ASOF LEFT JOIN bars AS b ON a.ticker = b.ticker AND a.ex_date > b.session_date
), factors AS (  -- from each ex-date, the product of its multipliers and every later one's
  SELECT ticker, ex_date, PRODUCT(m) OVER (PARTITION BY ticker ORDER BY ex_date DESC) AS factor
  FROM (
    SELECT ticker, ex_date,
      PRODUCT(CASE WHEN action = 'split' THEN 1 / value ELSE 1 - value / prev_close END) AS m
    FROM actions GROUP BY ticker, ex_date
  )
), adjusted AS (  -- a bar's factor is that of the first ex-date after it
  SELECT b.ticker, b.session_date, b.close * COALESCE(f.factor, 1) AS c,
    b.high * COALESCE(f.factor, 1) AS h, b.low * COALESCE(f.factor, 1) AS l,
    ROW_NUMBER() OVER (PARTITION BY b.ticker ORDER BY b.session_date) AS n
  FROM bars AS b
  ASOF LEFT JOIN factors AS f ON b.ticker = f.ticker AND b.session_date < f.ex_date
), returns AS (
  SELECT *, c / LAG(c) OVER t - 1 AS return_1d, LN(c / LAG(c) OVER t) AS log_return_1d
  FROM adjusted WINDOW t AS (PARTITION BY ticker ORDER BY session_date)
)
SELECT ticker, session_date, c AS adj_close, return_1d, log_return_1d,
  c / FIRST_VALUE(c) OVER t - 1 AS cumulative_return,
  CASE WHEN n >= 20 THEN AVG(c) OVER w20 END AS sma_20,
  CASE WHEN n >= 50 THEN AVG(c) OVER w50 END AS sma_50,
  CASE WHEN n >= 200 THEN AVG(c) OVER w200 END AS sma_200,
  CASE WHEN n >= 20 THEN STDDEV_POP(c) OVER w20 END AS std_20,
  CASE WHEN COUNT(log_return_1d) OVER w20 = 20
    THEN STDDEV_SAMP(log_return_1d) OVER w20 * SQRT(252) END AS volatility_20d,
  CASE WHEN n >= 252 THEN MAX(h) OVER w252 END AS high_52w,
  CASE WHEN n >= 252 THEN MIN(l) OVER w252 END AS low_52w,
  (h + l + c) / 3 AS vwap, h, l
FROM returns
WINDOW t AS (PARTITION BY ticker ORDER BY session_date),
  w20 AS (t ROWS 19 PRECEDING), w50 AS (t ROWS 49 PRECEDING),
  w200 AS (t ROWS 199 PRECEDING), w252 AS (t ROWS 251 PRECEDING)
ORDER BY ticker, session_date
"""


def recursions(close: np.ndarray, high: np.ndarray, low: np.ndarray) -> dict[str, np.ndarray]:
    """EMA 12/26 seeded by their SMA, MACD with its EMA 9 signal seeded from MACD's first
    value, RSI 14 and ATR 14 (Wilder): TA-Lib's functions on one ticker's series."""
    ema_12, ema_26 = talib.EMA(close, 12), talib.EMA(close, 26)
    macd = ema_12 - ema_26
    signal = np.full_like(close, np.nan)
    if len(close) > 25:
        signal[25:] = talib.EMA(macd[25:], 9)
    return {
        "ema_12": ema_12,
        "ema_26": ema_26,
        "macd": macd,
        "macd_signal": signal,
        "macd_hist": macd - signal,
        "rsi_14": talib.RSI(close, 14),
        "atr_14": talib.ATR(high, low, close, 14),
    }


def reference(drop: Path) -> pa.Table:
    frame = duckdb.connect().execute(COLUMNS.format(drop=drop)).to_arrow_table()
    columns = {name: frame[name].to_numpy(zero_copy_only=False) for name in frame.column_names}
    tickers = columns["ticker"]
    starts = np.flatnonzero(np.r_[True, tickers[1:] != tickers[:-1]])
    ends = np.r_[starts[1:], len(tickers)]
    out: dict[str, np.ndarray] = {}
    for a, b in zip(starts, ends, strict=True):
        for name, values in recursions(columns["adj_close"][a:b], columns["h"][a:b],
                                       columns["l"][a:b]).items():  # fmt: skip
            out.setdefault(name, np.full(len(tickers), np.nan))[a:b] = values
    sma_20, std = columns["sma_20"].astype(float), columns["std_20"].astype(float)
    names = ["ticker", "session_date", "adj_close", "return_1d", "log_return_1d",
             "cumulative_return", "sma_20", "sma_50", "sma_200"]  # fmt: skip
    table = {k: columns[k] for k in names} | {
        **{k: out[k] for k in ("ema_12", "ema_26", "macd", "macd_signal", "macd_hist")},
        "rsi_14": out["rsi_14"],
        "bb_upper": sma_20 + 2 * std,
        "bb_middle": sma_20,
        "bb_lower": sma_20 - 2 * std,
        "atr_14": out["atr_14"],
        **{k: columns[k] for k in ("volatility_20d", "high_52w", "low_52w", "vwap")},
    }
    return pa.table({k: pa.array(v, from_pandas=True) for k, v in table.items()})


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    drop, out = Path(sys.argv[1]), Path(sys.argv[2])
    pq.write_table(reference(drop), out)


if __name__ == "__main__":
    main()
