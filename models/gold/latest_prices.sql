MODEL (
  name gold.latest_prices,
  kind VIEW,
  grain (ticker),
  description 'The latest session of every ticker: close as traded and adjusted, daily return, volume.'
);

WITH ranked AS (
  SELECT
    b.ticker,
    b.session_date,
    b.close,
    b.adj_close,
    b.volume,
    ROW_NUMBER() OVER (PARTITION BY b.ticker ORDER BY b.session_date DESC) AS recency
  FROM silver.bars_daily AS b
)
SELECT
  r.ticker, -- Ticker symbol
  r.session_date, -- Latest session with a bar
  r.close, -- Close, as traded
  r.adj_close, -- Close, adjusted
  f.return_1d, -- Return over the previous session
  r.volume -- Shares traded
FROM ranked AS r
LEFT JOIN gold.daily_features AS f
  ON f.ticker = r.ticker AND f.session_date = r.session_date
WHERE r.recency = 1
