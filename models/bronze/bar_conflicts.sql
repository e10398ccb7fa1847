MODEL (
  name bronze.bar_conflicts,
  kind VIEW,
  dialect spark,
  enabled @VAR('bronze_from_raw_store', false),
  grain (load_id, ticker, `interval`, ts, value_hash),
  description 'Bars that one committed landing carried more than once with different values, one row per distinct version (as on the other gateways); none of them reaches bronze.bars.'
);

WITH versions AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY ticker, `interval`, ts, load_id, value_hash ORDER BY fetched_at) AS copy
  FROM bronze.bar_copies
  WHERE conflicting
)
SELECT
  ticker, /* The ticker as the provider sent it */
  `interval`, /* 1d or 1m */
  ts, /* UTC */
  open, /* This version's open */
  high, /* This version's high */
  low, /* This version's low */
  close, /* This version's close */
  volume, /* This version's volume */
  provider_adj_close, /* This version's adjusted close */
  price_basis, /* raw or split_adjusted */
  source, /* The provider */
  fetched_at, /* When the provider answered (the first copy of this version) */
  load_id, /* The landing that carried the key twice */
  value_hash /* md5 of the version's values as text */
FROM versions
WHERE copy = 1
