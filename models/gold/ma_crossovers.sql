MODEL (
  name gold.ma_crossovers,
  kind VIEW,
  grain (ticker, session_date),
  tags (published, may_be_empty, daily),
  description 'Golden and death crosses of the fast and slow SMA (crossovers variable, 50/200 by default), with both averages on adjusted prices at the cross.'
);

SELECT
  e.ticker, -- Ticker symbol
  e.session_date, -- Session whose close made the cross
  e.signal, -- 'golden' (fast crosses above slow) or 'death' (below)
  e.fast_continuous * COALESCE(t.total_multiplier, 1.0) AS fast, -- Fast SMA at the cross, adjusted
  e.slow_continuous * COALESCE(t.total_multiplier, 1.0) AS slow, -- Slow SMA at the cross, adjusted
  e.fast_window, -- Fast SMA window, sessions
  e.slow_window -- Slow SMA window, sessions
FROM gold.ma_crossover_events AS e
LEFT JOIN silver.adjustment_totals AS t
  ON t.ticker = e.ticker
