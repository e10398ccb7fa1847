MODEL (
  name gold.ma_crossover_events,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column session_date
  ),
  cron '@daily',
  grain (ticker, session_date),
  tags (may_be_empty, daily),
  description 'Moving-average crossovers on continuous prices (a cross is scale-free, so no corporate action restates it): golden when the fast SMA closes above the slow SMA after being at or below it the session before, death for the opposite. Windows from the crossovers variable of config.yaml (50/200 by default, slow at most 252 sessions so the warm-up holds it). gold.ma_crossovers shows them on adjusted prices.',
  audits (
    unique_combination_of_columns(columns := (ticker, session_date)),
    accepted_values(column := signal, is_in := ('golden', 'death'))
  )
);

WITH touched AS (
  SELECT DISTINCT ticker
  FROM silver.bars_daily_continuous
  WHERE session_date BETWEEN @start_ds AND @end_ds
), running AS (
  -- Running sums over the warm-up window: an SMA of any length is then one subtraction.
  SELECT
    c.ticker,
    c.session_date,
    ROW_NUMBER() OVER by_ticker AS n,
    SUM(c.close_continuous) OVER running_rows AS sum_close
  FROM silver.bars_daily_continuous AS c
  JOIN touched AS t
    ON t.ticker = c.ticker
  WHERE c.session_date BETWEEN @warmup_start(@start_ds) AND @end_ds
  -- Two named windows, not one extended with a frame: Spark rejects `OVER (w ROWS ...)`.
  WINDOW
    by_ticker AS (PARTITION BY c.ticker ORDER BY c.session_date),
    running_rows AS (PARTITION BY c.ticker ORDER BY c.session_date ROWS UNBOUNDED PRECEDING)
), averages AS (
  SELECT
    ticker,
    session_date,
    CASE WHEN n >= @crossover_window(fast)
      THEN (sum_close - COALESCE(LAG(sum_close, @crossover_window(fast)) OVER by_ticker, 0)) / @crossover_window(fast)
    END AS fast,
    CASE WHEN n >= @crossover_window(slow)
      THEN (sum_close - COALESCE(LAG(sum_close, @crossover_window(slow)) OVER by_ticker, 0)) / @crossover_window(slow)
    END AS slow
  FROM running
  WINDOW by_ticker AS (PARTITION BY ticker ORDER BY session_date)
), sides AS (
  -- Which side the fast SMA is on: +1 above, -1 below, 0 level (a tie within a relative
  -- tolerance); the rule the SMA crossover backtest holds its positions by, too.
  SELECT
    *,
    @crossover_side(fast, slow) AS side
  FROM averages
  WHERE fast IS NOT NULL AND slow IS NOT NULL
), pairs AS (
  SELECT *, LAG(side) OVER by_ticker AS prev_side
  FROM sides
  WINDOW by_ticker AS (PARTITION BY ticker ORDER BY session_date)
)
SELECT
  ticker, -- Ticker symbol
  session_date, -- Session whose close made the cross
  CASE WHEN side > 0 THEN 'golden' ELSE 'death' END AS signal, -- 'golden' (fast crosses above) or 'death' (below)
  fast AS fast_continuous, -- Fast SMA at the cross, continuous prices
  slow AS slow_continuous, -- Slow SMA at the cross, continuous prices
  @crossover_window(fast) AS fast_window, -- Fast SMA window, sessions
  @crossover_window(slow) AS slow_window -- Slow SMA window, sessions
FROM pairs
WHERE session_date BETWEEN @start_ds AND @end_ds
  AND ((side = 1 AND prev_side <= 0) OR (side = -1 AND prev_side >= 0))
-- Inserted in date order: DuckDB's zone maps then prune date-range reads of long histories.
ORDER BY session_date, ticker
