MODEL (
  name gold.daily_features,
  kind VIEW,
  grain (ticker, session_date),
  tags (published, daily),
  description 'Every indicator of docs/indicators.md per ticker and session, on adjusted prices. Price-valued indicators are stored on continuous prices and multiplied here by the ticker''s current total adjustment, so a new split or dividend restates them at once; ratios (returns, RSI, volatility) need no scaling. Each is NULL until it has enough history. vwap comes from gold.intraday_sessions where 1-minute bars exist, else it is the typical price (high+low+close)/3; vwap_source says which.'
);

SELECT
  w.ticker, -- Ticker symbol
  w.session_date, -- Session
  b.adj_close, -- Adjusted close (silver.bars_daily)
  w.return_1d, -- Adjusted close / previous adjusted close - 1
  w.log_return_1d, -- ln of the same ratio
  w.close_continuous / f.close_continuous - 1 AS cumulative_return, -- Adjusted close / the ticker's first adjusted close - 1 (growth of 1 since its first session, dividends reinvested)
  w.sma_20 * COALESCE(t.total_multiplier, 1.0) AS sma_20, -- Simple moving average, 20 sessions
  w.sma_50 * COALESCE(t.total_multiplier, 1.0) AS sma_50, -- Simple moving average, 50 sessions
  w.sma_200 * COALESCE(t.total_multiplier, 1.0) AS sma_200, -- Simple moving average, 200 sessions
  r.ema_12 * COALESCE(t.total_multiplier, 1.0) AS ema_12, -- EMA 12, seeded by SMA 12
  r.ema_26 * COALESCE(t.total_multiplier, 1.0) AS ema_26, -- EMA 26, seeded by SMA 26
  r.macd * COALESCE(t.total_multiplier, 1.0) AS macd, -- ema_12 - ema_26
  r.macd_signal * COALESCE(t.total_multiplier, 1.0) AS macd_signal, -- EMA 9 of macd
  r.macd_hist * COALESCE(t.total_multiplier, 1.0) AS macd_hist, -- macd - macd_signal
  r.rsi_14, -- RSI 14, Wilder's smoothing, in [0, 100]
  w.bb_upper * COALESCE(t.total_multiplier, 1.0) AS bb_upper, -- Bollinger upper band (20, 2 population std)
  w.bb_middle * COALESCE(t.total_multiplier, 1.0) AS bb_middle, -- Bollinger middle band (SMA 20)
  w.bb_lower * COALESCE(t.total_multiplier, 1.0) AS bb_lower, -- Bollinger lower band
  r.atr_14 * COALESCE(t.total_multiplier, 1.0) AS atr_14, -- Average true range 14, Wilder's smoothing
  w.volatility_20d, -- Annualised volatility of 20 daily log returns (sample std * sqrt(252))
  w.high_52w * COALESCE(t.total_multiplier, 1.0) AS high_52w, -- Highest adjusted high of 252 sessions
  w.low_52w * COALESCE(t.total_multiplier, 1.0) AS low_52w, -- Lowest adjusted low of 252 sessions
  COALESCE(
    i.vwap * b.adj_close / b.close,
    w.typical_continuous * COALESCE(t.total_multiplier, 1.0)
  ) AS vwap, -- Session VWAP, adjusted: from 1-minute bars where they exist, else the typical price (high+low+close)/3
  CASE WHEN i.vwap IS NOT NULL THEN 'intraday' ELSE 'typical_price' END AS vwap_source -- 'intraday' (gold.intraday_sessions) or 'typical_price'
FROM gold.features_windowed AS w
LEFT JOIN gold.features_recursive AS r
  ON r.ticker = w.ticker AND r.session_date = w.session_date
JOIN silver.bars_daily AS b
  ON b.ticker = w.ticker AND b.session_date = w.session_date
LEFT JOIN silver.adjustment_totals AS t
  ON t.ticker = w.ticker
LEFT JOIN gold.intraday_sessions AS i
  ON i.ticker = w.ticker AND i.session_date = w.session_date
-- The ticker's first bar, however long ago (here, in a view: gold.features_windowed reading
-- silver.ticker_sessions would make SQLMesh restate all its history on every run).
LEFT JOIN silver.ticker_sessions AS s
  ON s.ticker = w.ticker
LEFT JOIN silver.bars_daily_continuous AS f
  ON f.ticker = s.ticker AND f.session_date = s.first_session
