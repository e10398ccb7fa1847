MODEL (
  name silver.missing_sessions,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column detected_on
  ),
  cron '@daily',
  grain (ticker, interval, session_date),
  description 'Sessions the exchange calendar expects between two bars of a ticker that have no good bar. A gap is found by the bar that closes it (detected_on), which makes the model incremental: a late bar inside a gap restates it from that bar on.',
  audits (
    unique_combination_of_columns(columns := (ticker, interval, session_date)),
    not_null(columns := (ticker, interval, session_date, detected_on))
  )
);

WITH bars AS (
  SELECT
    ticker,
    session_date,
    LAG(session_date) OVER (PARTITION BY ticker ORDER BY session_date) AS previous_date
  FROM silver.bars_daily_clean
  WHERE session_date BETWEEN @warmup_start(@start_ds) AND @end_ds
)
SELECT
  b.ticker, -- Ticker symbol
  '1d' AS interval, -- Bar interval
  s.session_date, -- The session with no bar
  b.session_date AS detected_on -- The next session that has a bar
FROM bars AS b
JOIN silver.sessions AS s
  ON s.session_date > b.previous_date
  AND s.session_date < b.session_date
WHERE b.session_date BETWEEN @start_ds AND @end_ds
