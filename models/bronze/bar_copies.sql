MODEL (
  name bronze.bar_copies,
  kind VIEW,
  dialect spark,
  -- The spark gateway only: what bronze.bars and bronze.bar_conflicts both start from.
  enabled @VAR('bronze_from_raw_store', false),
  grain (load_id, ticker, `interval`, ts, value_hash, fetched_at),
  description 'Every bar row of the Parquet files of committed landings (those recorded in bronze.raw_loads, i.e. with a manifest), with the landing it came from, the hash of its values and whether its landing carried the same key with other values. bronze.bars keeps the latest landing of each key that is not conflicting; bronze.bar_conflicts keeps the versions of those that are.'
);

WITH landed AS (
  SELECT
    f.*
  FROM (
    SELECT
      *,
      @file_load_id() AS load_id,
      @bar_value_hash() AS value_hash
    FROM bronze.raw_bar_files
  ) AS f
  JOIN bronze.raw_loads AS l
    ON l.load_id = f.load_id
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
  load_id, /* The landing it came from (its file's name) */
  value_hash, /* md5 of its values as text (BAR_VALUES) */
  MIN(value_hash) OVER copies <> MAX(value_hash) OVER copies AS conflicting /* Its landing carried the key with other values too */
FROM landed
WINDOW copies AS (PARTITION BY ticker, `interval`, ts, load_id)
