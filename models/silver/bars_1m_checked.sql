MODEL (
  name silver.bars_1m_checked,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column session_date
  ),
  cron '@daily',
  grain (ticker, ts),
  description 'Every 1-minute bar in bronze, converted to as-traded values, with the reason it is rejected (NULL when good): the price rules of daily bars, a day that is not a session, a minute outside the session''s regular hours (after an early close included), or a minute the providers disagree on (reconciliation''s policy refuse or majority). Feeds silver.bars_1m and silver.quarantine.',
  audits (
    unique_combination_of_columns(columns := (ticker, ts)),
    not_null(columns := (ticker, ts, session_date))
  )
);

WITH as_traded AS (
  -- Bronze rows of the interval, as traded, and whether reconciliation's policy refuses them
  -- (macros/reconciliation.py).
  SELECT * FROM @reconciled_bars('1m') AS b
), placed AS (
  SELECT t.*, s.session_date IS NOT NULL AS is_session, s.market_open, s.market_close
  FROM as_traded AS t
  LEFT JOIN silver.sessions AS s
    ON s.session_date = t.session_date
)
SELECT
  ticker, -- Ticker symbol
  ts, -- Start of the minute (UTC)
  session_date, -- Date of the bar in the exchange's zone
  open, -- Open, as traded
  high, -- High, as traded
  low, -- Low, as traded
  close, -- Close, as traded
  volume, -- Shares traded
  source, -- Provider
  load_id, -- Raw landing the bar came from
  COALESCE(
    @price_problem(open, high, low, close, volume),
    CASE
      WHEN NOT is_session THEN @quarantine_reason(not_a_session)
      WHEN ts < market_open OR ts >= market_close THEN @quarantine_reason(outside_session_hours)
      WHEN disagreement IS NOT NULL THEN @quarantine_reason(providers_disagree)
    END
  ) AS reject_reason -- Why the bar is quarantined; NULL for a good bar
FROM placed
WHERE session_date BETWEEN @start_ds AND @end_ds
ORDER BY session_date, ticker, ts;

@postgres_indexes(session_date)
