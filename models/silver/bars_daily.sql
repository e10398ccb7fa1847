MODEL (
  name silver.bars_daily,
  kind VIEW,
  grain (ticker, session_date),
  tags (published, daily),
  description 'Daily bars, one per ticker and session of the exchange calendar, as traded and adjusted for splits and dividends. The adjustment is applied at read time from the ticker''s current total (silver.adjustment_totals), so a new split or dividend restates all earlier adjusted prices at once; on the latest bar adj_factor is exactly 1.'
);

SELECT
  c.ticker, -- Ticker symbol
  c.session_date, -- Session (exchange-zone date)
  c.open, -- Open, as traded
  c.high, -- High, as traded
  c.low, -- Low, as traded
  c.close, -- Close, as traded
  c.volume, -- Shares traded, as traded
  COALESCE(t.total_multiplier / c.cum_multiplier, 1.0) AS adj_factor, -- Multiply as-traded prices by this to adjust them for every later split and dividend
  c.open * COALESCE(t.total_multiplier / c.cum_multiplier, 1.0) AS adj_open, -- Open, adjusted
  c.high * COALESCE(t.total_multiplier / c.cum_multiplier, 1.0) AS adj_high, -- High, adjusted
  c.low * COALESCE(t.total_multiplier / c.cum_multiplier, 1.0) AS adj_low, -- Low, adjusted
  c.close * COALESCE(t.total_multiplier / c.cum_multiplier, 1.0) AS adj_close, -- Close, adjusted
  COALESCE(t.total_split_multiplier / c.cum_split_multiplier, 1.0) AS split_factor, -- The splits' part of adj_factor: divide as-traded volume by it
  c.volume / COALESCE(t.total_split_multiplier / c.cum_split_multiplier, 1.0) AS adj_volume, -- Shares traded, adjusted for later splits only (CRSP, Yahoo): dividends change no volume
  c.provider_adj_close, -- The provider's own adjusted close, for comparison
  c.source, -- Provider
  c.load_id -- Raw landing the bar came from
FROM silver.bars_daily_continuous AS c
LEFT JOIN silver.adjustment_totals AS t
  ON t.ticker = c.ticker
