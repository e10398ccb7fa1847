MODEL (
  name silver.missing_sessions,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column detected_on
  ),
  cron '@daily',
  grain (ticker, interval, session_date),
  tags (published, may_be_empty),
  description 'Sessions the exchange calendar expects between two bars of a ticker that have no good bar, per interval (daily bars, and 1-minute bars counted by session). A gap is found by the bar that closes it (detected_on), which keeps the model incremental: a late bar inside a gap restates it from that bar on.',
  audits (
    unique_combination_of_columns(columns := (ticker, interval, session_date)),
    not_null(columns := (ticker, interval, session_date, detected_on))
  )
);

WITH days AS (
  -- The sessions each ticker has bars for, per interval, over the interval plus the warm-up.
  SELECT ticker, '1d' AS interval, session_date, session_index
  FROM silver.bars_daily_clean
  WHERE session_date BETWEEN @warmup_start(@start_ds) AND @end_ds
  UNION ALL
  SELECT m.ticker, '1m' AS interval, m.session_date, s.session_index
  FROM (
    SELECT DISTINCT ticker, session_date
    FROM silver.bars_1m
    WHERE session_date BETWEEN @warmup_start(@start_ds) AND @end_ds
  ) AS m
  JOIN silver.sessions AS s
    ON s.session_date = m.session_date
), touched AS (
  SELECT DISTINCT ticker, interval FROM days WHERE session_date BETWEEN @start_ds AND @end_ds
), bars AS (
  SELECT
    d.ticker,
    d.interval,
    d.session_date,
    d.session_index,
    LAG(d.session_index) OVER (PARTITION BY d.ticker, d.interval ORDER BY d.session_date) AS previous_index
  FROM days AS d
  JOIN touched AS t
    ON t.ticker = d.ticker AND t.interval = d.interval
), gaps AS (
  SELECT *
  FROM bars
  WHERE session_index - previous_index > 1 AND session_date BETWEEN @start_ds AND @end_ds
)
SELECT
  g.ticker, -- Ticker symbol
  g.interval, -- Bar interval: '1d', or '1m' for a session with no good minute at all
  s.session_date, -- The session with no bar
  g.session_date AS detected_on -- The next session that has a bar
FROM gaps AS g
JOIN silver.sessions AS s
  ON s.session_index > g.previous_index AND s.session_index < g.session_index
-- Inserted in date order: DuckDB's zone maps then prune date-range reads of long histories.
ORDER BY detected_on, ticker, interval
