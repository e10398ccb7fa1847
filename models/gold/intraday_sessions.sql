MODEL (
  name gold.intraday_sessions,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column session_date
  ),
  cron '@daily',
  grain (ticker, session_date),
  tags (published, may_be_empty),
  description 'Each session of each ticker summarised from its good 1-minute bars, as traded: OHLCV, volume-weighted average price (typical price (high+low+close)/3 of each minute, weighted by its volume), bar count and first and last minute.',
  audits (
    unique_combination_of_columns(columns := (ticker, session_date)),
    not_null(columns := (ticker, session_date, open, high, low, close, volume, bar_count)),
    ohlc_sane,
    accepted_range(column := volume, min_v := 0)
  )
);

WITH minutes AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY ticker, session_date ORDER BY ts) AS first_rank,
    ROW_NUMBER() OVER (PARTITION BY ticker, session_date ORDER BY ts DESC) AS last_rank
  FROM silver.bars_1m
  WHERE session_date BETWEEN @start_ds AND @end_ds
)
SELECT
  ticker, -- Ticker symbol
  session_date, -- Session
  MAX(CASE WHEN first_rank = 1 THEN open END) AS open, -- Open of the first minute
  MAX(high) AS high, -- Highest high of the session's minutes
  MIN(low) AS low, -- Lowest low
  MAX(CASE WHEN last_rank = 1 THEN close END) AS close, -- Close of the last minute
  SUM(volume) AS volume, -- Shares traded in the session's minutes
  CASE WHEN SUM(volume) > 0
    THEN SUM((high + low + close) / 3 * volume) / SUM(volume)
  END AS vwap, -- Volume-weighted typical price; NULL when no volume traded
  COUNT(*) AS bar_count, -- Good 1-minute bars in the session
  MIN(ts) AS first_ts, -- Start of the first minute (UTC)
  MAX(ts) AS last_ts -- Start of the last minute (UTC)
FROM minutes
GROUP BY ticker, session_date
ORDER BY session_date, ticker
