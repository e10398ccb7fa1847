MODEL (
  name silver.adjustment_totals,
  kind FULL,
  cron '@daily',
  grain (ticker),
  description 'Per ticker with corporate actions, the cumulative multiplier of its latest bar: the actions that have taken effect. A continuous price times this is the adjusted price; an as-traded price times total_multiplier / cum_multiplier is. Found by one index lookup per ticker.',
  audits (
    unique_values(columns := (ticker)),
    not_null(columns := (ticker, total_multiplier))
  )
);

SELECT
  t.ticker, -- Ticker symbol
  latest.cum_multiplier AS total_multiplier -- cum_multiplier of the ticker's latest bar
FROM (SELECT DISTINCT ticker FROM silver.adjustment_factors) AS t
CROSS JOIN LATERAL (
  SELECT c.cum_multiplier
  FROM silver.bars_daily_continuous AS c
  WHERE c.ticker = t.ticker
  ORDER BY c.session_date DESC
  LIMIT 1
) AS latest
