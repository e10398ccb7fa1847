MODEL (
  name silver.reconciliation,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column session_date
  ),
  cron '@daily',
  grain (ticker, interval, ts, secondary),
  tags (published, may_be_empty),
  description 'Each bar of the primary provider (bronze.bars) beside the same bar from each secondary provider (bronze.secondary_bars; config.yaml''s reconciliation), both as traded, with a verdict and its reason code (pipelines/analytics/reconciliation.py): agree; missing at one side; closes 100x apart (a unit error) or a split ratio apart (a split one side missed); one side jumping alone (an outlier, judged by the bar before: never by a later one, so an incremental run equals a rebuild); prices or volumes beyond the tolerances. A key is compared within each side''s span (its first to its last bar of the ticker): history one provider never had is not a disagreement.',
  audits (
    unique_combination_of_columns(columns := (ticker, interval, ts, secondary)),
    not_null(columns := (ticker, interval, ts, session_date, secondary, reason, agrees))
  )
);

WITH secondary_bars AS (
  -- Each side's usable bars of the interval and of the days before it (the bar before each),
  -- as traded (macros/bars.py): an impossible bar is no evidence, so it counts as missing.
  -- An interval nobody reconciles reads nothing (@reconciled: a literal the engine prunes by).
  SELECT '1d' AS bar_interval, b.*
  FROM @as_traded_bars('1d', bronze.secondary_bars, 10) AS b
  WHERE @reconciled('1d') AND @price_problem(b.open, b.high, b.low, b.close, b.volume) IS NULL
  UNION ALL
  SELECT '1m' AS bar_interval, b.*
  FROM @as_traded_bars('1m', bronze.secondary_bars, 4) AS b
  WHERE @reconciled('1m') AND @price_problem(b.open, b.high, b.low, b.close, b.volume) IS NULL
), touched AS (
  SELECT DISTINCT ticker FROM secondary_bars
), primary_bars AS (
  -- Only the tickers a secondary answered for: nothing to read without one.
  SELECT '1d' AS bar_interval, b.*
  FROM @as_traded_bars('1d', bronze.bars, 10) AS b
  WHERE @reconciled('1d') AND @price_problem(b.open, b.high, b.low, b.close, b.volume) IS NULL
    AND b.ticker IN (SELECT ticker FROM touched)
  UNION ALL
  SELECT '1m' AS bar_interval, b.*
  FROM @as_traded_bars('1m', bronze.bars, 4) AS b
  WHERE @reconciled('1m') AND @price_problem(b.open, b.high, b.low, b.close, b.volume) IS NULL
    AND b.ticker IN (SELECT ticker FROM touched)
), spans AS (
  -- Where a side's silence means something: its first to its last bar of the ticker, ever.
  SELECT ticker, interval AS bar_interval, source, MIN(ts) AS first_ts, MAX(ts) AS last_ts, FALSE AS is_primary
  FROM bronze.secondary_bars
  WHERE (@reconciled('1d') OR @reconciled('1m')) AND ticker IN (SELECT ticker FROM touched)
  GROUP BY ticker, interval, source
  UNION ALL
  SELECT ticker, interval AS bar_interval, MAX(source) AS source, MIN(ts) AS first_ts, MAX(ts) AS last_ts, TRUE AS is_primary
  FROM bronze.bars
  WHERE (@reconciled('1d') OR @reconciled('1m')) AND ticker IN (SELECT ticker FROM touched)
  GROUP BY ticker, interval
), compared AS (
  -- The keys compared: a primary bar within a secondary's span, a secondary's bar within the
  -- primary's.
  SELECT p.ticker, p.bar_interval, p.ts, p.session_date, s.source AS secondary
  FROM primary_bars AS p
  JOIN spans AS s
    ON s.ticker = p.ticker AND s.bar_interval = p.bar_interval AND NOT s.is_primary
    AND p.ts BETWEEN s.first_ts AND s.last_ts
  UNION
  SELECT b.ticker, b.bar_interval, b.ts, b.session_date, b.source AS secondary
  FROM secondary_bars AS b
  JOIN spans AS s
    ON s.ticker = b.ticker AND s.bar_interval = b.bar_interval AND s.is_primary
    AND b.ts BETWEEN s.first_ts AND s.last_ts
), pairs AS (
  SELECT
    k.*,
    COALESCE(p.source, ps.source) AS primary_source,
    p.close AS primary_close,
    s.close AS secondary_close,
    p.volume AS primary_volume,
    s.volume AS secondary_volume,
    p.load_id AS primary_load_id,
    s.load_id AS secondary_load_id,
    @price_diff_bps(p, s) AS price_diff_bps,
    @volume_diff_pct(p, s) AS volume_diff_pct,
    CASE
      WHEN k.bar_interval = '1d' THEN @reconcile_setting('1d', price_bps)
      ELSE @reconcile_setting('1m', price_bps)
    END AS price_tolerance,
    COALESCE(
      CASE WHEN k.bar_interval = '1d' THEN @bars_agree('1d', p, s) ELSE @bars_agree('1m', p, s) END,
      FALSE
    ) AS agrees
  FROM compared AS k
  LEFT JOIN primary_bars AS p
    ON p.ticker = k.ticker AND p.bar_interval = k.bar_interval AND p.ts = k.ts
  LEFT JOIN secondary_bars AS s
    ON s.ticker = k.ticker AND s.bar_interval = k.bar_interval AND s.ts = k.ts AND s.source = k.secondary
  LEFT JOIN spans AS ps
    ON ps.ticker = k.ticker AND ps.bar_interval = k.bar_interval AND ps.is_primary
), stepped AS (
  SELECT
    *,
    secondary_close / primary_close AS ratio,
    primary_close / LAG(primary_close) OVER by_key - 1 AS primary_step,
    secondary_close / LAG(secondary_close) OVER by_key - 1 AS secondary_step,
    LAG(agrees) OVER by_key AS agreed_before
  FROM pairs
  WINDOW by_key AS (PARTITION BY ticker, bar_interval, secondary ORDER BY ts)
), judged AS (
  SELECT
    *,
    CASE
      WHEN primary_close IS NULL THEN @reconcile_reason(missing_primary)
      WHEN secondary_close IS NULL THEN @reconcile_reason(missing_secondary)
      WHEN agrees THEN @reconcile_reason(agree)
      WHEN @unit_ratio(ratio) THEN @reconcile_reason(unit_ratio)
      WHEN @split_ratio(ratio) THEN @reconcile_reason(split_ratio)
      WHEN price_diff_bps > price_tolerance AND agreed_before THEN @reconcile_reason(outlier)
      WHEN price_diff_bps > price_tolerance THEN @reconcile_reason(price_mismatch)
      ELSE @reconcile_reason(volume_mismatch)
    END AS reason
  FROM stepped
)
SELECT
  ticker, -- Ticker symbol
  bar_interval AS interval, -- 1d or 1m
  session_date, -- Session (exchange-zone date)
  ts, -- The bar's timestamp (UTC)
  primary_source, -- The primary provider (intervals in config.yaml)
  secondary, -- The secondary provider compared with it
  agrees, -- Both bars within the tolerances
  reason, -- agree, missing_primary, missing_secondary, unit_ratio, split_ratio, outlier, price_mismatch or volume_mismatch
  CASE
    WHEN reason = @reconcile_reason(outlier) AND ABS(primary_step) > ABS(secondary_step) THEN 'primary'
    WHEN reason = @reconcile_reason(outlier) THEN 'secondary'
  END AS outlier_side, -- For an outlier: the side whose close jumped alone
  ratio, -- Secondary close / primary close, as traded
  price_diff_bps, -- Largest difference of open, high, low or close, in basis points of the primary's
  volume_diff_pct, -- Volume difference, in % of the larger volume
  primary_close, -- The primary's close, as traded
  secondary_close, -- The secondary's close, as traded
  primary_volume, -- The primary's volume, as traded
  secondary_volume, -- The secondary's volume, as traded
  primary_load_id, -- Landing of the primary's bar
  secondary_load_id -- Landing of the secondary's bar
FROM judged
WHERE session_date BETWEEN @start_ds AND @end_ds
ORDER BY session_date, ticker, ts;

@postgres_indexes(session_date)
