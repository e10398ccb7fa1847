MODEL (
  name gold.return_stats,
  kind VIEW,
  grain (ticker),
  tags (published, daily),
  description 'Per ticker, its daily returns over its whole history: how many sessions, the mean and the spread of the daily return, the annualised volatility (the definition of volatility_20d over every session), the worst and best day, and the cumulative return to date. What the report''s returns page shows.'
);

SELECT
  ticker, -- Ticker symbol
  COUNT(*) AS sessions, -- Sessions with a good daily bar
  AVG(return_1d) AS mean_return_1d, -- Mean daily return
  STDDEV_SAMP(return_1d) AS stdev_return_1d, -- Sample standard deviation of the daily return
  STDDEV_SAMP(log_return_1d) * SQRT(252) AS volatility, -- Sample std of every daily log return * sqrt(252)
  MIN(return_1d) AS worst_return_1d, -- Worst daily return
  MAX(return_1d) AS best_return_1d, -- Best daily return
  MAX(session_date) AS last_session, -- Latest session
  MAX(CASE WHEN session_date = latest THEN cumulative_return END) AS cumulative_return -- Growth of 1 from the first session to the latest, dividends reinvested
FROM (
  SELECT
    ticker,
    session_date,
    return_1d,
    log_return_1d,
    cumulative_return,
    MAX(session_date) OVER (PARTITION BY ticker) AS latest
  FROM gold.daily_features
) AS f
GROUP BY ticker
