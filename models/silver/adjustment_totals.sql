MODEL (
  name silver.adjustment_totals,
  kind FULL,
  cron '@daily',
  grain (ticker),
  tags (daily),
  description 'Per ticker, the cumulative multiplier of its latest bar: the actions that have taken effect. A continuous price times this is the adjusted price; an as-traded price times total_multiplier / cum_multiplier is. One row read per ticker (silver.ticker_sessions gives the latest session).',
  audits (
    unique_values(columns := (ticker)),
    not_null(columns := (ticker, total_multiplier))
  )
);

SELECT
  s.ticker, -- Ticker symbol
  c.cum_multiplier AS total_multiplier, -- cum_multiplier of the ticker's latest bar
  c.cum_split_multiplier AS total_split_multiplier -- cum_split_multiplier of the ticker's latest bar
FROM silver.ticker_sessions AS s
JOIN silver.bars_daily_continuous AS c
  ON c.ticker = s.ticker AND c.session_date = s.last_session
