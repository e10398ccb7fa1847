MODEL (
  name silver.ticker_session_snapshots,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column as_of
  ),
  cron '@daily',
  grain (as_of, ticker),
  tags (daily),
  columns (
    as_of DATE,
    ticker TEXT,
    first_session DATE,
    last_session DATE
  ),
  description 'First and last session with a good daily bar of every ticker, as of the end of each interval processed: the latest snapshot before the interval widened by the bars after it (LEAST/GREATEST), so a run reads one row per ticker and the interval''s bars, never the history. A time-range model on every engine (no MERGE: Spark''s Parquet tables have none); a restatement from D recomputes from the snapshot before D, or from every bar when none is kept. Snapshots older than a month before the latest interval are deleted. silver.ticker_sessions is the latest one.',
  audits (
    unique_combination_of_columns(columns := (as_of, ticker)),
    not_null(columns := (as_of, ticker, first_session, last_session))
  )
);

WITH previous_as_of AS (
  SELECT MAX(as_of) AS as_of
  FROM silver.ticker_session_snapshots
  WHERE as_of < @start_ds
), previous AS (
  SELECT s.ticker, s.first_session, s.last_session
  FROM silver.ticker_session_snapshots AS s
  JOIN previous_as_of AS p
    ON s.as_of = p.as_of
), later_bars AS (
  -- The bars the previous snapshot has not seen: all of them when there is none.
  SELECT b.ticker, MIN(b.session_date) AS first_session, MAX(b.session_date) AS last_session
  FROM silver.bars_daily_continuous AS b
  CROSS JOIN previous_as_of AS p
  WHERE b.session_date > COALESCE(p.as_of, DATE '1900-01-01')
    AND b.session_date <= @end_ds
  GROUP BY b.ticker
)
SELECT
  CAST(@end_ds AS DATE) AS as_of, -- End of the interval the snapshot was taken at
  COALESCE(n.ticker, o.ticker) AS ticker, -- Ticker symbol
  LEAST(n.first_session, o.first_session) AS first_session, -- First session with a good bar
  GREATEST(n.last_session, o.last_session) AS last_session -- Latest session with a good bar
FROM later_bars AS n
FULL OUTER JOIN previous AS o
  ON o.ticker = n.ticker;

@drop_older_than(as_of, 31);

@postgres_indexes(as_of)
