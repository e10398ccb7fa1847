MODEL (
  name bronze.bars,
  kind VIEW,
  dialect spark,
  -- The spark gateway only (dlt writes this table on the others): bronze from the raw store.
  enabled @VAR('bronze_from_raw_store', false),
  tags (published),
  grain (ticker, `interval`, ts),
  description 'Every bar landed from a provider, one row per key, read from the Parquet files of committed landings (those recorded in bronze.raw_loads, i.e. with a manifest): a later landing replaces an earlier one; a key one landing carried with different values keeps the value of the earlier landing (its versions are in bronze.bar_conflicts). The same rules as dlt on the other gateways.'
);

WITH ranked AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY ticker, `interval`, ts ORDER BY load_id DESC, fetched_at DESC) AS landing_rank
  FROM bronze.bar_copies
  WHERE NOT conflicting
)
SELECT
  ticker, /* The ticker as the provider sent it */
  `interval`, /* 1d or 1m */
  ts, /* UTC: a daily bar at 00:00 of its session in the exchange's zone, a minute bar at its start */
  open, /* As landed (price_basis says how) */
  high, /* As landed */
  low, /* As landed */
  close, /* As landed */
  volume, /* As landed */
  provider_adj_close, /* The provider's own adjusted close */
  price_basis, /* raw or split_adjusted */
  source, /* The provider */
  fetched_at, /* When the provider answered */
  load_id /* The landing it came from */
FROM ranked
WHERE landing_rank = 1
