MODEL (
  name silver.bars_1m_checked,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column session_date
  ),
  cron '@daily',
  grain (ticker, ts),
  description 'Every 1-minute bar in bronze, converted to as-traded values, with the reason it is rejected (NULL when good): the price rules of daily bars, a day that is not a session, or a minute outside the session''s regular hours (after an early close included). Feeds silver.bars_1m and silver.quarantine.',
  audits (
    unique_combination_of_columns(columns := (ticker, ts)),
    not_null(columns := (ticker, ts, session_date))
  )
);

WITH interval_bars AS (
  SELECT *
  FROM bronze.bars
  WHERE interval = '1m'
    AND ts >= CAST(@start_ds AS TIMESTAMPTZ) - INTERVAL '1' DAY
    AND ts < CAST(@end_ds AS TIMESTAMPTZ) + INTERVAL '2' DAY
), splits_after AS (
  -- Yahoo-style bars are divided by every split between the bar and the fetch: undo that.
  SELECT b.ticker, b.ts, EXP(SUM(LN(s.value))) AS factor
  FROM interval_bars AS b
  JOIN silver.corporate_actions AS s
    ON s.ticker = b.ticker
    AND s.action = 'split'
    AND s.ex_date > @session_date(b.ts)
    AND s.ex_date <= @session_date(b.fetched_at)
  WHERE b.price_basis = 'split_adjusted'
  GROUP BY b.ticker, b.ts
), as_traded AS (
  SELECT
    b.ticker,
    b.ts,
    @session_date(b.ts) AS session_date,
    b.open * COALESCE(f.factor, 1.0) AS open,
    b.high * COALESCE(f.factor, 1.0) AS high,
    b.low * COALESCE(f.factor, 1.0) AS low,
    b.close * COALESCE(f.factor, 1.0) AS close,
    b.volume / COALESCE(f.factor, 1.0) AS volume,
    b.source,
    b.load_id
  FROM interval_bars AS b
  LEFT JOIN splits_after AS f
    ON f.ticker = b.ticker AND f.ts = b.ts
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
      WHEN NOT is_session THEN 'not a session'
      WHEN ts < market_open OR ts >= market_close THEN 'outside session hours'
    END
  ) AS reject_reason -- Why the bar is quarantined; NULL for a good bar
FROM placed
WHERE session_date BETWEEN @start_ds AND @end_ds
ORDER BY session_date, ticker, ts;

@postgres_indexes(session_date)
