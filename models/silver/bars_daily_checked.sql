MODEL (
  name silver.bars_daily_checked,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column session_date
  ),
  cron '@daily',
  grain (ticker, ts),
  description 'Every daily bar in bronze, converted to as-traded values, with the reason it is rejected (NULL when it is good): the price rules, the calendar, a second bar of a session, or reconciliation''s policy. Feeds silver.bars_daily_clean and silver.quarantine, so the rules live in one place. Reads only the bronze rows of its interval (by ts, which bronze is indexed on).',
  audits (
    unique_combination_of_columns(columns := (ticker, ts)),
    not_null(columns := (ticker, ts, session_date))
  )
);

WITH as_traded AS (
  -- Bronze rows of the interval, as traded, and whether reconciliation's policy refuses them
  -- (macros/reconciliation.py).
  SELECT * FROM @reconciled_bars('1d') AS b
), repeated AS (
  -- Sessions with more than one bar (two timestamps of one day): only their copies need
  -- ranking, and a window over every bar would sort the whole interval for them.
  SELECT ticker, session_date
  FROM as_traded
  GROUP BY ticker, session_date
  HAVING COUNT(*) > 1
), ranked_copies AS (
  SELECT
    t.ticker,
    t.ts,
    ROW_NUMBER() OVER (PARTITION BY t.ticker, t.session_date ORDER BY t.load_id DESC, t.ts DESC) AS copy_rank
  FROM as_traded AS t
  JOIN repeated AS r
    ON r.ticker = t.ticker AND r.session_date = t.session_date
), ranked AS (
  SELECT
    t.*,
    s.session_date IS NOT NULL AS is_session,
    s.session_index,
    COALESCE(c.copy_rank, 1) AS copy_rank
  FROM as_traded AS t
  LEFT JOIN silver.sessions AS s
    ON s.session_date = t.session_date
  LEFT JOIN ranked_copies AS c
    ON c.ticker = t.ticker AND c.ts = t.ts
)
SELECT
  ticker, -- Ticker symbol
  ts, -- Bar timestamp (UTC) as the provider keyed it
  session_date, -- Date of the bar in the exchange's zone
  session_index, -- Position of the session in the exchange calendar (NULL if not a session)
  open, -- Open, as traded
  high, -- High, as traded
  low, -- Low, as traded
  close, -- Close, as traded
  volume, -- Shares traded
  provider_adj_close, -- The provider's own adjusted close, for comparison
  source, -- Provider
  load_id, -- Raw landing the bar came from
  COALESCE(
    @price_problem(open, high, low, close, volume),
    CASE
      WHEN NOT is_session THEN @quarantine_reason(not_a_session)
      WHEN copy_rank > 1 THEN @quarantine_reason(duplicate_session_bar)
      WHEN disagreement IS NOT NULL THEN @quarantine_reason(providers_disagree)
    END
  ) AS reject_reason -- Why the bar is quarantined; NULL for a good bar
FROM ranked
WHERE session_date BETWEEN @start_ds AND @end_ds
-- Inserted in date order: DuckDB's zone maps then prune date-range reads of long histories.
ORDER BY session_date, ticker, ts;

@postgres_indexes(session_date)
