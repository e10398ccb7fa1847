MODEL (
  name silver.adjustment_factors,
  kind VIEW,
  grain (ticker, valid_from),
  description 'Cumulative adjustment multipliers per ticker as ranges of sessions: for a bar in [valid_from, valid_to), cum_multiplier is the product of the multipliers of every action with ex-date <= the session, and price / cum_multiplier is the continuous (forward-adjusted) price, which no later action changes. Sessions before the first action have no row (multiplier 1).'
);

SELECT
  ticker, -- Ticker symbol
  ex_date AS valid_from, -- First session the multiplier applies to (the ex-date)
  LEAD(ex_date, 1, DATE '9999-12-31') OVER (PARTITION BY ticker ORDER BY ex_date) AS valid_to, -- First session it no longer applies to
  multiplier, -- What the actions of this ex-date multiply earlier prices by
  EXP(SUM(LN(multiplier)) OVER (PARTITION BY ticker ORDER BY ex_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS cum_multiplier, -- Product of the multipliers of every action up to valid_from
  EXP(SUM(LN(split_multiplier)) OVER (PARTITION BY ticker ORDER BY ex_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS cum_split_multiplier -- The same product over the splits only
FROM silver.adjustment_events
