MODEL (
  name gold.latest_prices,
  kind VIEW,
  grain (ticker),
  tags (published, daily),
  description 'The latest session of every ticker: close as traded and adjusted, daily return, volume. An equi-join on each ticker''s last session (silver.ticker_sessions), so it reads one row per ticker whatever the history.'
);

SELECT
  s.ticker, -- Ticker symbol
  s.last_session AS session_date, -- Latest session with a bar
  b.close, -- Close, as traded
  b.adj_close, -- Close, adjusted
  f.return_1d, -- Return over the previous session
  b.volume -- Shares traded
FROM silver.ticker_sessions AS s
JOIN silver.bars_daily AS b
  ON b.ticker = s.ticker AND b.session_date = s.last_session
LEFT JOIN gold.features_windowed AS f
  ON f.ticker = s.ticker AND f.session_date = s.last_session
