MODEL (
  name bronze.action_versions,
  kind VIEW,
  dialect spark,
  -- The spark gateway only (dlt writes this table on the others): history from the raw store.
  enabled @VAR('bronze_from_raw_store', false),
  tags (published, may_be_empty),
  grain (ticker, ex_date, action, load_id),
  description 'Every version of every corporate action: its copy in the earliest committed landing that carried these values after other ones (or first). A landing that sends an action again unchanged adds no version. The same rules as dlt on the other gateways.'
);

WITH per_landing AS (
  SELECT
    f.*,
    ROW_NUMBER() OVER (PARTITION BY f.ticker, f.ex_date, f.action, f.load_id ORDER BY f.fetched_at DESC) AS copy_rank
  FROM (
    SELECT *, @file_load_id() AS load_id FROM bronze.raw_action_files
  ) AS f
  JOIN bronze.raw_loads AS l
    ON l.load_id = f.load_id
), landed AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY ticker, ex_date, action ORDER BY load_id) AS landing_number
  FROM per_landing
  WHERE copy_rank = 1
)
SELECT
  v.ticker, /* The ticker as the provider sent it */
  v.ex_date, /* The ex-date */
  v.action, /* split or dividend */
  v.value, /* Split ratio (new shares per old) or cash per share */
  v.price_basis, /* The basis of a dividend's cash */
  v.source, /* The provider */
  v.fetched_at, /* When the provider answered */
  v.load_id /* The landing that first carried these values */
FROM landed AS v
LEFT JOIN landed AS p
  ON p.ticker = v.ticker
  AND p.ex_date = v.ex_date
  AND p.action = v.action
  AND p.landing_number = v.landing_number - 1
WHERE p.landing_number IS NULL OR @differs(actions, v, p)
