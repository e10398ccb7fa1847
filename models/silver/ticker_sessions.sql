MODEL (
  name silver.ticker_sessions,
  kind VIEW,
  grain (ticker),
  tags (served, daily),
  description 'First and last session with a good daily bar, per ticker: the latest of silver.ticker_session_snapshots, so finding a ticker''s latest bar never scans its history.',
  audits (
    unique_values(columns := (ticker)),
    not_null(columns := (ticker, first_session, last_session))
  )
);

SELECT
  ticker, -- Ticker symbol
  first_session, -- First session with a good bar
  last_session -- Latest session with a good bar
FROM silver.ticker_session_snapshots
WHERE as_of = (SELECT MAX(as_of) FROM silver.ticker_session_snapshots)
