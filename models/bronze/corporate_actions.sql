MODEL (
  name bronze.corporate_actions,
  kind VIEW,
  dialect spark,
  enabled @VAR('bronze_from_raw_store', false),
  tags (published, may_be_empty),
  grain (ticker, ex_date, action),
  description 'Splits and dividends as the provider reported them, one row per key from the committed landings of the raw store: a later landing replaces an earlier one.'
);

WITH ranked AS (
  SELECT
    f.*,
    ROW_NUMBER() OVER (PARTITION BY f.ticker, f.ex_date, f.action ORDER BY f.load_id DESC, f.fetched_at DESC) AS landing_rank
  FROM (
    SELECT *, @file_load_id() AS load_id FROM bronze.raw_action_files
  ) AS f
  JOIN bronze.raw_loads AS l
    ON l.load_id = f.load_id
)
SELECT
  ticker, /* The ticker as the provider sent it */
  ex_date, /* The ex-date */
  action, /* split or dividend */
  value, /* Split ratio (new shares per old) or cash per share */
  price_basis, /* The basis of a dividend's cash */
  source, /* The provider */
  fetched_at, /* When the provider answered */
  load_id /* The landing it came from */
FROM ranked
WHERE landing_rank = 1
