MODEL (
  name silver.repairs,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column detected_on
  ),
  cron '@daily',
  grain (ticker, session_date, rule),
  tags (published, may_be_empty, daily),
  description 'The fixes applied to the price anomalies (silver.price_anomalies) of the providers whose repair is on (config.yaml''s `repair.<provider>: true`; off by default): an inferred split where the prices stepped like one with no split action (silver.adjustment_events applies it), a split action ignored where the prices show no step of its ratio, a unit error''s sessions scaled back (silver.bars_daily_continuous applies it, prices only). Each with the rule and its evidence; the original values stay in bronze''s history and in silver.bars_daily_clean, and every repair is reported by checks/silver/repairs.yml. Found on the session that completed the evidence (detected_on), as the anomaly was.',
  audits (
    unique_combination_of_columns(columns := (ticker, session_date, rule)),
    not_null(columns := (ticker, session_date, rule, repair, factor, detected_on))
  )
);

SELECT
  a.ticker, -- Ticker symbol
  a.session_date, -- The session repaired (an inferred or ignored split: its ex-date)
  a.rule, -- The anomaly's rule (silver.price_anomalies)
  CASE a.rule
    WHEN @anomaly_rule(missed_split) THEN @repair_kind(missed_split)
    WHEN @anomaly_rule(split_without_step) THEN @repair_kind(split_without_step)
    WHEN @anomaly_rule(unit_error) THEN @repair_kind(unit_error)
  END AS repair, -- 'inferred split', 'split ignored' or 'unit rescale'
  a.expected_step AS factor, -- The split's ratio (new shares per old), or what the session's prices are multiplied by (a unit rescale: 0.01 or 100)
  b.source, -- The provider of the bar
  a.detected_on, -- The session whose bar completed the evidence
  a.step, -- Evidence: previous close / close, as traded
  a.previous_session, -- Evidence: the session before the step
  a.previous_close, -- Evidence: its close, as traded
  a.close -- Evidence: this session's close as the provider sent it
FROM silver.price_anomalies AS a
JOIN silver.bars_daily_clean AS b
  ON b.ticker = a.ticker AND b.session_date = a.session_date
WHERE a.detected_on BETWEEN @start_ds AND @end_ds
  AND a.rule IN (@anomaly_rule(missed_split), @anomaly_rule(split_without_step), @anomaly_rule(unit_error))
  AND @repair_on(b.source)
ORDER BY a.detected_on, a.ticker, a.session_date
