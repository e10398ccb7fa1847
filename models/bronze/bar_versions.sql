MODEL (
  name bronze.bar_versions,
  kind VIEW,
  dialect spark,
  -- The spark gateway only (dlt writes this table on the others): history from the raw store.
  enabled @VAR('bronze_from_raw_store', false),
  tags (published),
  grain (ticker, `interval`, ts, load_id),
  description 'Every version of every bar: the copy of a bar in the earliest committed landing that carried these values after other ones (or first). A landing that sends a bar again unchanged adds no version; its conflicting copies (bronze.bar_conflicts) are none. The same rules as dlt on the other gateways.'
);

WITH per_landing AS (
  -- A landing's copies of a key that do not conflict hold the same values: one of them.
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY ticker, `interval`, ts, load_id ORDER BY fetched_at DESC) AS copy_rank
  FROM bronze.bar_copies
  WHERE NOT conflicting
), landed AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY ticker, `interval`, ts ORDER BY load_id) AS landing_number
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
  v.source, /* The provider */
  v.fetched_at, /* When the provider answered */
  v.load_id /* The landing that first carried these values */
FROM landed AS v
LEFT JOIN landed AS p
  ON p.ticker = v.ticker
  AND p.`interval` = v.`interval`
  AND p.ts = v.ts
  AND p.landing_number = v.landing_number - 1
WHERE p.landing_number IS NULL OR @differs(bars, v, p)
