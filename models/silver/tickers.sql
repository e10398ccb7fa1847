MODEL (
  name silver.tickers,
  kind FULL,
  cron '@daily',
  grain (ticker),
  tags (published),
  description 'The universe: every ticker of config.yaml (listed or from an index), with name, sector and industry where pytickersymbols knows them, and the first and last session with a good daily bar.',
  audits (
    unique_values(columns := (ticker)),
    not_null(columns := (ticker))
  )
);

SELECT
  t.ticker, -- Ticker symbol
  t.name, -- Company name from the index data (pytickersymbols; NULL when it does not know the ticker)
  t.sector, -- GICS sector, where the index data names one
  t.industry, -- Industry tags of the index data, '; '-separated
  t.indices, -- Indices of config.yaml that list the ticker, ', '-separated
  t.listed_in_config, -- Listed explicitly under universe.tickers
  s.first_session, -- First session with a good daily bar (NULL before any)
  s.last_session -- Latest session with a good daily bar
FROM bronze.tickers AS t
LEFT JOIN silver.ticker_sessions AS s
  ON s.ticker = t.ticker
ORDER BY t.ticker
