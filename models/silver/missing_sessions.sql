MODEL (
  name silver.missing_sessions,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column detected_on
  ),
  cron '@daily',
  grain (ticker, interval, session_date),
  description 'Sessions the exchange calendar expects between two bars of a ticker that have no good bar. A gap is found by the bar that closes it (detected_on), which keeps the model incremental: a late bar inside a gap restates it from that bar on.',
  audits (
    unique_combination_of_columns(columns := (ticker, interval, session_date)),
    not_null(columns := (ticker, interval, session_date, detected_on))
  )
);

WITH touched AS (
  SELECT DISTINCT ticker FROM silver.bars_daily_clean WHERE session_date BETWEEN @start_ds AND @end_ds
), bars AS (
  SELECT
    b.ticker,
    b.session_date,
    b.session_index,
    LAG(b.session_index) OVER (PARTITION BY b.ticker ORDER BY b.session_date) AS previous_index
  FROM silver.bars_daily_clean AS b
  JOIN touched AS t
    ON t.ticker = b.ticker
  WHERE b.session_date BETWEEN @warmup_start(@start_ds) AND @end_ds
), gaps AS (
  SELECT *
  FROM bars
  WHERE session_index - previous_index > 1 AND session_date BETWEEN @start_ds AND @end_ds
)
SELECT
  g.ticker, -- Ticker symbol
  '1d' AS interval, -- Bar interval
  s.session_date, -- The session with no bar
  g.session_date AS detected_on -- The next session that has a bar
FROM gaps AS g
JOIN silver.sessions AS s
  ON s.session_index > g.previous_index AND s.session_index < g.session_index
-- Inserted in date order: DuckDB's zone maps then prune date-range reads of long histories.
ORDER BY detected_on, ticker
