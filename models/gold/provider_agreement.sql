MODEL (
  name gold.provider_agreement,
  kind VIEW,
  grain (interval, primary_source, secondary),
  tags (published, may_be_empty),
  description 'How often each pair of providers agrees (silver.reconciliation), per interval: the agreement rate /health and the report''s data-quality page show, with the count of each disagreement. Over every bar compared.'
);

SELECT
  interval, -- 1d or 1m
  primary_source, -- The primary provider
  secondary, -- The secondary provider
  CAST(COUNT(*) AS BIGINT) AS compared, -- Bars compared
  CAST(SUM(CASE WHEN agrees THEN 1 ELSE 0 END) AS BIGINT) AS agreed, -- Bars that agree
  CAST(SUM(CASE WHEN agrees THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS agreement_rate, -- agreed / compared
  CAST(SUM(CASE WHEN reason IN (@reconcile_reason(missing_primary), @reconcile_reason(missing_secondary)) THEN 1 ELSE 0 END) AS BIGINT) AS missing, -- Bars missing at one side
  CAST(SUM(CASE WHEN reason IN (@reconcile_reason(unit_ratio), @reconcile_reason(split_ratio)) THEN 1 ELSE 0 END) AS BIGINT) AS ratio_apart, -- Closes a unit or a split ratio apart
  CAST(SUM(CASE WHEN reason IN (@reconcile_reason(outlier), @reconcile_reason(price_mismatch), @reconcile_reason(volume_mismatch)) THEN 1 ELSE 0 END) AS BIGINT) AS differing, -- Outliers and price or volume differences
  MIN(session_date) AS first_session, -- First session compared
  MAX(session_date) AS last_session -- Latest session compared
FROM silver.reconciliation
GROUP BY interval, primary_source, secondary
