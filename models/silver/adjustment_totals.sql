MODEL (
  name silver.adjustment_totals,
  kind VIEW,
  grain (ticker),
  description 'Per ticker, the product of the multipliers of all its corporate actions: a continuous (forward-adjusted) price times this is the adjusted price. Tickers without actions have no row (factor 1).'
);

SELECT
  ticker, -- Ticker symbol
  MIN(total_multiplier) AS total_multiplier -- Continuous price x this = adjusted price
FROM silver.adjustment_factors
GROUP BY ticker
