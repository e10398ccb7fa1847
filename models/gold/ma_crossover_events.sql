MODEL (
  name gold.ma_crossover_events,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column session_date
  ),
  cron '@daily',
  grain (ticker, session_date),
  description 'Moving-average crossovers on continuous prices (a cross is scale-free, so no corporate action restates it): golden when SMA 50 closes above SMA 200 after being at or below it the session before, death for the opposite. gold.ma_crossovers shows them on adjusted prices.',
  audits (
    unique_combination_of_columns(columns := (ticker, session_date)),
    accepted_values(column := signal, is_in := ('golden', 'death'))
  )
);

WITH touched AS (
  SELECT DISTINCT ticker FROM gold.features_windowed WHERE session_date BETWEEN @start_ds AND @end_ds
), pairs AS (
  SELECT
    w.ticker,
    w.session_date,
    w.sma_50 AS fast,
    w.sma_200 AS slow,
    LAG(w.sma_50) OVER by_ticker AS prev_fast,
    LAG(w.sma_200) OVER by_ticker AS prev_slow
  FROM gold.features_windowed AS w
  JOIN touched AS t
    ON t.ticker = w.ticker
  WHERE w.session_date BETWEEN @warmup_start(@start_ds) AND @end_ds
  WINDOW by_ticker AS (PARTITION BY w.ticker ORDER BY w.session_date)
)
SELECT
  ticker, -- Ticker symbol
  session_date, -- Session whose close made the cross
  CASE WHEN fast > slow THEN 'golden' ELSE 'death' END AS signal, -- 'golden' (fast crosses above) or 'death' (below)
  fast AS fast_continuous, -- Fast SMA at the cross, continuous prices
  slow AS slow_continuous, -- Slow SMA at the cross, continuous prices
  50 AS fast_window, -- Fast SMA window, sessions
  200 AS slow_window -- Slow SMA window, sessions
FROM pairs
WHERE session_date BETWEEN @start_ds AND @end_ds
  AND prev_fast IS NOT NULL AND prev_slow IS NOT NULL
  AND ((fast > slow AND prev_fast <= prev_slow) OR (fast < slow AND prev_fast >= prev_slow))
-- Inserted in date order: DuckDB's zone maps then prune date-range reads of long histories.
ORDER BY session_date, ticker
