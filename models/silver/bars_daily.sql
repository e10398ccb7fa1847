MODEL (
  name silver.bars_daily,
  kind VIEW,
  grain (ticker, session_date),
  description 'Daily bars, one per ticker and session of the exchange calendar, as traded and adjusted for splits and dividends. Adjusted values are computed at read time from silver.adjustment_factors, so a new split or dividend restates all earlier adjusted prices immediately.'
);

SELECT
  b.ticker, -- Ticker symbol
  b.session_date, -- Session (exchange-zone date)
  b.open, -- Open, as traded
  b.high, -- High, as traded
  b.low, -- Low, as traded
  b.close, -- Close, as traded
  b.volume, -- Shares traded, as traded
  COALESCE(f.adj_factor, 1.0) AS adj_factor, -- Multiply as-traded prices by this to adjust them
  b.open * COALESCE(f.adj_factor, 1.0) AS adj_open, -- Open adjusted for later splits and dividends
  b.high * COALESCE(f.adj_factor, 1.0) AS adj_high, -- High, adjusted
  b.low * COALESCE(f.adj_factor, 1.0) AS adj_low, -- Low, adjusted
  b.close * COALESCE(f.adj_factor, 1.0) AS adj_close, -- Close, adjusted
  COALESCE(1.0 / f.cum_multiplier, 1.0) AS continuous_factor, -- Multiply as-traded prices by this for the forward-adjusted (continuous) price gold's indicators use
  COALESCE(f.total_multiplier, 1.0) AS total_multiplier, -- Continuous price times this is the adjusted price
  b.provider_adj_close, -- The provider's own adjusted close, for comparison
  b.source, -- Provider
  b.load_id -- Raw landing the bar came from
FROM silver.bars_daily_clean AS b
LEFT JOIN silver.adjustment_factors AS f
  ON f.ticker = b.ticker
  AND b.session_date >= f.valid_from
  AND b.session_date < f.valid_to
