MODEL (
  name silver.ticker_sessions,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key ticker
  ),
  cron '@daily',
  grain (ticker),
  tags (daily),
  columns (
    ticker TEXT,
    first_session DATE,
    last_session DATE
  ),
  description 'First and last session with a good daily bar, per ticker. Merged from each interval with the row before (LEAST/GREATEST), so finding a ticker''s latest bar never scans its history.',
  audits (
    unique_values(columns := (ticker)),
    not_null(columns := (ticker, first_session, last_session))
  )
);

WITH interval_bars AS (
  SELECT ticker, MIN(session_date) AS first_session, MAX(session_date) AS last_session
  FROM silver.bars_daily_continuous
  WHERE session_date BETWEEN @start_ds AND @end_ds
  GROUP BY ticker
)
SELECT
  n.ticker, -- Ticker symbol
  LEAST(n.first_session, o.first_session) AS first_session, -- First session with a good bar
  GREATEST(n.last_session, o.last_session) AS last_session -- Latest session with a good bar
FROM interval_bars AS n
LEFT JOIN silver.ticker_sessions AS o
  ON o.ticker = n.ticker
