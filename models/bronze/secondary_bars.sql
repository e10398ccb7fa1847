MODEL (
  name bronze.secondary_bars,
  kind VIEW,
  dialect spark,
  -- The spark gateway only (dlt writes this table on the others): from the raw store.
  enabled @VAR('bronze_from_raw_store', false),
  tags (may_be_empty),
  grain (ticker, `interval`, ts, source, load_id),
  description 'Every version of every bar a secondary provider sent (reconciliation), read from the Parquet files of committed landings: the copy of a bar in the earliest landing that carried these values after other ones (or first). A key one landing carried with different values adds no version. The same rules as dlt on the other gateways.'
);

WITH landed AS (
  SELECT
    f.*,
    MIN(f.value_hash) OVER copies <> MAX(f.value_hash) OVER copies AS conflicting
  FROM (
    SELECT *, @file_load_id() AS load_id, @bar_value_hash() AS value_hash
    FROM bronze.raw_secondary_bar_files
  ) AS f
  JOIN bronze.raw_loads AS l
    ON l.load_id = f.load_id
  WINDOW copies AS (PARTITION BY f.ticker, f.`interval`, f.ts, f.source, f.load_id)
), per_landing AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY ticker, `interval`, ts, source, load_id ORDER BY fetched_at DESC) AS copy_rank
  FROM landed
  WHERE NOT conflicting
), numbered AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY ticker, `interval`, ts, source ORDER BY load_id) AS landing_number
  FROM per_landing
  WHERE copy_rank = 1
)
SELECT
  v.ticker, /* The ticker as the provider sent it */
  v.`interval`, /* 1d or 1m */
  v.ts, /* UTC: a daily bar at 00:00 of its session in the exchange's zone, a minute bar at its start */
  v.open, /* As landed (price_basis says how) */
  v.high, /* As landed */
  v.low, /* As landed */
  v.close, /* As landed */
  v.volume, /* As landed */
  v.provider_adj_close, /* The provider's own adjusted close */
  v.price_basis, /* raw or split_adjusted */
  v.source, /* The secondary provider */
  v.fetched_at, /* When the provider answered */
  v.load_id /* The landing that first carried these values */
FROM numbered AS v
LEFT JOIN numbered AS p
  ON p.ticker = v.ticker
  AND p.`interval` = v.`interval`
  AND p.ts = v.ts
  AND p.source = v.source
  AND p.landing_number = v.landing_number - 1
WHERE p.landing_number IS NULL OR @differs(bars, v, p)
