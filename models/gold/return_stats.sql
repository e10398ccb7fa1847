MODEL (
  name gold.return_stats,
  kind VIEW,
  grain (ticker),
  tags (published, daily),
  description 'Per ticker, its daily returns over its whole history: how many sessions, the mean and the spread of the daily return, the annualised volatility (the definition of volatility_20d over every session), the worst and best day, and the cumulative return to date. What the report''s returns page shows.'
);

WITH stats AS (
  -- From the table, not the gold.daily_features view: a sum's rounding follows the order of
  -- its rows, which a view's hash joins do not keep from one read to the next.
  SELECT
    ticker,
    COUNT(*) AS sessions,
    AVG(return_1d) AS mean_return_1d,
    STDDEV_SAMP(return_1d) AS stdev_return_1d,
    STDDEV_SAMP(log_return_1d) * SQRT(252) AS volatility,
    MIN(return_1d) AS worst_return_1d,
    MAX(return_1d) AS best_return_1d,
    MAX(session_date) AS last_session
  FROM gold.features_windowed
  GROUP BY ticker
)
SELECT
  s.ticker, -- Ticker symbol
  s.sessions, -- Sessions with a good daily bar
  s.mean_return_1d, -- Mean daily return
  s.stdev_return_1d, -- Sample standard deviation of the daily return
  s.volatility, -- Sample std of every daily log return * sqrt(252)
  s.worst_return_1d, -- Worst daily return
  s.best_return_1d, -- Best daily return
  s.last_session, -- Latest session
  d.cumulative_return -- Growth of 1 from the first session to the latest, dividends reinvested (gold.daily_features on the latest session)
FROM stats AS s
LEFT JOIN gold.daily_features AS d
  ON d.ticker = s.ticker AND d.session_date = s.last_session
