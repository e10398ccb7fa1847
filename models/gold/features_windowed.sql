MODEL (
  name gold.features_windowed,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column session_date
  ),
  cron '@daily',
  grain (ticker, session_date),
  tags (daily),
  description 'Window indicators on continuous (forward-adjusted) prices, which no later corporate action changes; gold.daily_features scales the price-valued ones to adjusted prices. Each interval reads @warmup_start rows of the tickers it touches, so windows are exact and an incremental run costs the same on any length of history (and no input may be a model SQLMesh restates only whole, such as silver.ticker_sessions: a restatement of this model would then widen to all history). Moving averages come from running sums (O(n) on every engine: PostgreSQL recomputes a float AVG over a row frame for every row).',
  audits (
    unique_combination_of_columns(columns := (ticker, session_date)),
    not_null(columns := (ticker, session_date, close_continuous))
  )
);

WITH touched AS (
  SELECT DISTINCT ticker
  FROM silver.bars_daily_continuous
  WHERE session_date BETWEEN @start_ds AND @end_ds
), bars AS (
  SELECT
    b.ticker,
    b.session_date,
    b.close_continuous AS close_c,
    b.high_continuous AS high_c,
    b.low_continuous AS low_c,
    (b.high_continuous + b.low_continuous + b.close_continuous) / 3 AS typical_c
  FROM silver.bars_daily_continuous AS b
  JOIN touched AS t
    ON t.ticker = b.ticker
  WHERE b.session_date BETWEEN @warmup_start(@start_ds) AND @end_ds
), running AS (
  SELECT
    *,
    ROW_NUMBER() OVER by_ticker AS n,
    SUM(close_c) OVER running_rows AS sum_close,
    close_c / LAG(close_c) OVER by_ticker - 1 AS return_1d,
    LN(close_c / LAG(close_c) OVER by_ticker) AS log_return_1d
  FROM bars
  -- LAG over a window with a frame is rejected by Spark: the frame has a window of its own.
  WINDOW
    by_ticker AS (PARTITION BY ticker ORDER BY session_date),
    running_rows AS (PARTITION BY ticker ORDER BY session_date ROWS UNBOUNDED PRECEDING)
), extremes AS (
  -- Highest high and lowest low of the last 252 rows by doubling: each level covers twice the
  -- rows of the one before (GREATEST/LEAST skip the NULLs before a ticker's first bar), and
  -- the 252 rows are two overlapping 128-row spans. O(n log w) on every engine; PostgreSQL's
  -- MAX over a 252-row frame recomputes the frame for every row (4x slower here).
  SELECT *, GREATEST(high_c, LAG(high_c, 1) OVER by_ticker) AS hi2, LEAST(low_c, LAG(low_c, 1) OVER by_ticker) AS lo2
  FROM running
  WINDOW by_ticker AS (PARTITION BY ticker ORDER BY session_date)
), x4 AS (
  SELECT *, GREATEST(hi2, LAG(hi2, 2) OVER by_ticker) AS hi4, LEAST(lo2, LAG(lo2, 2) OVER by_ticker) AS lo4
  FROM extremes WINDOW by_ticker AS (PARTITION BY ticker ORDER BY session_date)
), x8 AS (
  SELECT *, GREATEST(hi4, LAG(hi4, 4) OVER by_ticker) AS hi8, LEAST(lo4, LAG(lo4, 4) OVER by_ticker) AS lo8
  FROM x4 WINDOW by_ticker AS (PARTITION BY ticker ORDER BY session_date)
), x16 AS (
  SELECT *, GREATEST(hi8, LAG(hi8, 8) OVER by_ticker) AS hi16, LEAST(lo8, LAG(lo8, 8) OVER by_ticker) AS lo16
  FROM x8 WINDOW by_ticker AS (PARTITION BY ticker ORDER BY session_date)
), x32 AS (
  SELECT *, GREATEST(hi16, LAG(hi16, 16) OVER by_ticker) AS hi32, LEAST(lo16, LAG(lo16, 16) OVER by_ticker) AS lo32
  FROM x16 WINDOW by_ticker AS (PARTITION BY ticker ORDER BY session_date)
), x64 AS (
  SELECT *, GREATEST(hi32, LAG(hi32, 32) OVER by_ticker) AS hi64, LEAST(lo32, LAG(lo32, 32) OVER by_ticker) AS lo64
  FROM x32 WINDOW by_ticker AS (PARTITION BY ticker ORDER BY session_date)
), x128 AS (
  SELECT *, GREATEST(hi64, LAG(hi64, 64) OVER by_ticker) AS hi128, LEAST(lo64, LAG(lo64, 64) OVER by_ticker) AS lo128
  FROM x64 WINDOW by_ticker AS (PARTITION BY ticker ORDER BY session_date)
), x252 AS (
  SELECT *, GREATEST(hi128, LAG(hi128, 124) OVER by_ticker) AS hi252, LEAST(lo128, LAG(lo128, 124) OVER by_ticker) AS lo252
  FROM x128 WINDOW by_ticker AS (PARTITION BY ticker ORDER BY session_date)
), windows AS (
  SELECT
    ticker,
    session_date,
    close_c,
    typical_c,
    return_1d,
    log_return_1d,
    CASE WHEN n >= 20 THEN (sum_close - COALESCE(LAG(sum_close, 20) OVER by_ticker, 0)) / 20 END AS sma_20,
    CASE WHEN n >= 50 THEN (sum_close - COALESCE(LAG(sum_close, 50) OVER by_ticker, 0)) / 50 END AS sma_50,
    CASE WHEN n >= 200 THEN (sum_close - COALESCE(LAG(sum_close, 200) OVER by_ticker, 0)) / 200 END AS sma_200,
    CASE WHEN n >= 20 THEN STDDEV_POP(close_c) OVER w20 END AS std_20,
    CASE WHEN COUNT(log_return_1d) OVER w20 = 20 THEN STDDEV_SAMP(log_return_1d) OVER w20 * SQRT(252) END AS volatility_20d,
    CASE WHEN n >= 252 THEN hi252 END AS high_52w,
    CASE WHEN n >= 252 THEN lo252 END AS low_52w
  FROM x252
  WINDOW
    by_ticker AS (PARTITION BY ticker ORDER BY session_date),
    w20 AS (PARTITION BY ticker ORDER BY session_date ROWS BETWEEN 19 PRECEDING AND CURRENT ROW)
)
SELECT
  ticker, -- Ticker symbol
  session_date, -- Session
  close_c AS close_continuous, -- Forward-adjusted close
  typical_c AS typical_continuous, -- (high + low + close) / 3, forward-adjusted
  return_1d, -- close / previous close - 1
  log_return_1d, -- ln(close / previous close)
  sma_20, -- Mean of the last 20 closes (continuous)
  sma_50, -- Mean of the last 50 closes (continuous)
  sma_200, -- Mean of the last 200 closes (continuous)
  sma_20 + 2 * std_20 AS bb_upper, -- sma_20 + 2 population standard deviations (continuous)
  sma_20 AS bb_middle, -- sma_20 (continuous)
  sma_20 - 2 * std_20 AS bb_lower, -- sma_20 - 2 population standard deviations (continuous)
  volatility_20d, -- Sample std of the last 20 log returns * sqrt(252)
  high_52w, -- Highest high of the last 252 sessions (continuous)
  low_52w -- Lowest low of the last 252 sessions (continuous)
FROM windows
WHERE session_date BETWEEN @start_ds AND @end_ds
-- Inserted in date order: DuckDB's zone maps then prune date-range reads of long histories.
ORDER BY session_date, ticker;

@postgres_indexes((ticker, session_date), session_date)
