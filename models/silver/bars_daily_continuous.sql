MODEL (
  name silver.bars_daily_continuous,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column session_date
  ),
  cron '@daily',
  grain (ticker, session_date),
  tags (served, daily),
  description 'Good daily bars as traded (a unit error scaled back where repair is on: silver.repairs), with the cumulative adjustment multiplier of their session and the continuous (forward-adjusted) prices gold computes on. A late corporate action restates this model from its ex-date; silver.bars_daily adds the backward adjustment at read time.',
  audits (
    unique_combination_of_columns(columns := (ticker, session_date)),
    not_null(columns := (ticker, session_date, cum_multiplier, close_continuous)),
    accepted_range(column := cum_multiplier, min_v := 0, inclusive := false)
  )
);

SELECT
  b.ticker, -- Ticker symbol
  b.session_date, -- Session (exchange-zone date)
  b.session_index, -- Position of the session in the exchange calendar
  b.open * COALESCE(u.factor, 1.0) AS open, -- Open, as traded (a unit error's repaired: silver.repairs)
  b.high * COALESCE(u.factor, 1.0) AS high, -- High, as traded
  b.low * COALESCE(u.factor, 1.0) AS low, -- Low, as traded
  b.close * COALESCE(u.factor, 1.0) AS close, -- Close, as traded
  b.volume, -- Shares traded, as traded
  COALESCE(f.cum_multiplier, 1.0) AS cum_multiplier, -- Product of the multipliers of every action with ex-date <= this session
  COALESCE(f.cum_split_multiplier, 1.0) AS cum_split_multiplier, -- The same product over the splits only (volume's adjustment)
  b.open * COALESCE(u.factor, 1.0) / COALESCE(f.cum_multiplier, 1.0) AS open_continuous, -- Open, forward-adjusted
  b.high * COALESCE(u.factor, 1.0) / COALESCE(f.cum_multiplier, 1.0) AS high_continuous, -- High, forward-adjusted
  b.low * COALESCE(u.factor, 1.0) / COALESCE(f.cum_multiplier, 1.0) AS low_continuous, -- Low, forward-adjusted
  b.close * COALESCE(u.factor, 1.0) / COALESCE(f.cum_multiplier, 1.0) AS close_continuous, -- Close, forward-adjusted
  b.provider_adj_close, -- The provider's own adjusted close, for comparison
  b.source, -- Provider
  b.load_id -- Raw landing the bar came from
FROM silver.bars_daily_clean AS b
LEFT JOIN silver.adjustment_factors AS f
  ON f.ticker = b.ticker AND b.session_date >= f.valid_from AND b.session_date < f.valid_to
LEFT JOIN silver.repairs AS u
  ON u.ticker = b.ticker AND u.session_date = b.session_date AND u.repair = @repair_kind(unit_error)
WHERE b.session_date BETWEEN @start_ds AND @end_ds
-- Inserted in date order: DuckDB's zone maps then prune date-range reads of long histories.
ORDER BY b.session_date, b.ticker;

@postgres_indexes((ticker, session_date), session_date)
