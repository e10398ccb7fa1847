MODEL (
  name silver.corporate_actions,
  kind FULL,
  cron '@daily',
  grain (ticker, ex_date, action),
  tags (published, may_be_empty),
  description 'Splits and dividends, as traded: a dividend a provider reported split-adjusted (Yahoo) is multiplied back by every split between its ex-date and the time it was fetched.',
  audits (
    unique_combination_of_columns(columns := (ticker, ex_date, action)),
    not_null(columns := (ticker, ex_date, action, value)),
    accepted_values(column := action, is_in := ('split', 'dividend')),
    accepted_range(column := value, min_v := 0, inclusive := false)
  )
);

WITH splits AS (
  SELECT ticker, ex_date, value
  FROM bronze.corporate_actions
  WHERE action = 'split'
)
SELECT
  a.ticker, -- Ticker symbol
  a.ex_date, -- First session that trades without the split or dividend
  a.action, -- 'split' or 'dividend'
  CASE
    WHEN a.action = 'dividend' AND a.price_basis = 'split_adjusted'
    THEN a.value * COALESCE((
      SELECT EXP(SUM(LN(s.value)))
      FROM splits AS s
      WHERE s.ticker = a.ticker AND s.ex_date > a.ex_date AND s.ex_date <= @session_date(a.fetched_at)
    ), 1.0)
    ELSE a.value
  END AS value, -- split: new shares per old share; dividend: cash per share as traded
  a.source, -- Provider that reported it
  a.load_id -- Raw landing it came from
FROM bronze.corporate_actions AS a
