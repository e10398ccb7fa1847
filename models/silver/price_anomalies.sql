MODEL (
  name silver.price_anomalies,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column detected_on
  ),
  cron '@daily',
  grain (ticker, session_date, rule),
  tags (published, may_be_empty, daily),
  description 'Steps in the as-traded daily closes that the corporate actions do not explain, with the evidence: a step like a split ratio with no split action, a split action whose ex-date shows no step of its ratio, and a step of 100x that steps back within a few sessions (a unit error: every session of it); a close a split or unit ratio off its own day''s range (adjusted on its own: silver refused that bar). A flag, not a removal: the bars stay in silver. Found by the bar that completes the evidence (detected_on), which keeps the model incremental. Ratios and tolerances: pipelines/analytics/price_anomalies.py.',
  audits (
    unique_combination_of_columns(columns := (ticker, session_date, rule)),
    not_null(columns := (ticker, session_date, rule, detected_on, step))
  )
);

WITH bars AS (
  -- The interval's bars and the month before it: a unit error's first session, and the bar
  -- before each step.
  SELECT ticker, session_date, session_index, close
  FROM silver.bars_daily_clean
  WHERE session_date BETWEEN CAST(@start_ds AS DATE) - INTERVAL '31' DAY AND @end_ds
), steps AS (
  SELECT
    ticker,
    session_date,
    session_index,
    close,
    LAG(session_date) OVER by_session AS previous_session,
    LAG(close) OVER by_session AS previous_close
  FROM bars
  WINDOW by_session AS (PARTITION BY ticker ORDER BY session_date)
), splits AS (
  SELECT ticker, ex_date, value
  FROM silver.corporate_actions
  WHERE action = 'split'
    AND ex_date BETWEEN CAST(@start_ds AS DATE) - INTERVAL '31' DAY AND @end_ds
), split_steps AS (
  -- Each step with the split between its two sessions, if any: what both split rules judge.
  SELECT
    s.*,
    s.previous_close / s.close AS step,
    @split_ratio_near(s.previous_close / s.close) AS looks_like,
    p.value AS split_ratio,
    p.ex_date AS split_ex_date
  FROM steps AS s
  LEFT JOIN splits AS p
    ON p.ticker = s.ticker AND p.ex_date > s.previous_session AND p.ex_date <= s.session_date
  WHERE s.previous_close > 0 AND s.close > 0
), split_rules AS (
  -- No split, a step like one; or a split on this session, its step far from the ratio.
  SELECT
    ticker,
    session_date,
    CASE WHEN split_ratio IS NULL THEN @anomaly_rule(missed_split) ELSE @anomaly_rule(split_without_step) END AS rule,
    session_date AS detected_on,
    step,
    COALESCE(split_ratio, looks_like) AS expected_step,
    previous_session,
    previous_close,
    close
  FROM split_steps
  WHERE (split_ratio IS NULL AND looks_like IS NOT NULL)
    OR (split_ex_date = session_date AND ABS(step / split_ratio - 1) > @anomaly_setting(step_tolerance))
), unit_entries AS (
  -- A step of 100x (up or down) and the first session within a few that steps back by it.
  SELECT
    e.ticker,
    e.session_index AS first_index,
    e.previous_session,
    e.previous_close,
    e.close / e.previous_close AS ratio,
    @unit_step(e.close / e.previous_close) AS expected_ratio,
    MIN(x.session_index) AS back_index
  FROM steps AS e
  JOIN steps AS x
    ON x.ticker = e.ticker
    AND x.session_index > e.session_index
    AND x.session_index <= e.session_index + @anomaly_setting(unit_revert_sessions)
  WHERE e.previous_close > 0
    AND e.close > 0
    AND x.close > 0
    AND @unit_step(e.close / e.previous_close) IS NOT NULL
    AND ABS(x.close / x.previous_close * (e.close / e.previous_close) - 1) <= @anomaly_setting(unit_tolerance)
  GROUP BY e.ticker, e.session_index, e.previous_session, e.previous_close, e.close
), unit_error AS (
  SELECT
    u.ticker,
    b.session_date,
    @anomaly_rule(unit_error) AS rule,
    back.session_date AS detected_on,
    u.previous_close / b.close AS step,
    1.0 / u.expected_ratio AS expected_step,
    u.previous_session,
    u.previous_close,
    b.close
  FROM unit_entries AS u
  JOIN steps AS b
    ON b.ticker = u.ticker AND b.session_index >= u.first_index AND b.session_index < u.back_index
  JOIN steps AS back
    ON back.ticker = u.ticker AND back.session_index = u.back_index
), range_rule AS (
  -- A close outside its own day's range by a split or unit ratio (of the range's middle):
  -- the close adjusted, the high and low not. Silver refused the bar; this says what it is.
  SELECT
    ticker,
    session_date,
    @anomaly_rule(close_outside_range) AS rule,
    session_date AS detected_on,
    close / ((high + low) / 2) AS step,
    COALESCE(
      @unit_step(close / ((high + low) / 2)),
      @split_ratio_near(close / ((high + low) / 2))
    ) AS expected_step,
    CAST(NULL AS DATE) AS previous_session,
    CAST(NULL AS DOUBLE) AS previous_close,
    close
  FROM silver.bars_daily_checked
  WHERE session_date BETWEEN @start_ds AND @end_ds
    AND reject_reason = @quarantine_reason(close_outside_range)
    AND high > 0
    AND low > 0
), found AS (
  SELECT * FROM split_rules
  UNION ALL
  SELECT * FROM unit_error
  UNION ALL
  SELECT * FROM range_rule
  WHERE expected_step IS NOT NULL
)
SELECT
  ticker, -- Ticker symbol
  session_date, -- The session that looks wrong (exchange-zone date)
  rule, -- What it looks like (pipelines/analytics/price_anomalies.py)
  detected_on, -- The session whose bar completed the evidence
  step, -- Previous close / close, as traded: about 2 for a 2:1 split (a close off its range: close / the range's middle)
  expected_step, -- The step the rule expected: the split ratio, or 1 / the unit error's 100
  previous_session, -- The session before the step (for a unit error: before it began; none for a close off its range)
  previous_close, -- Close of that session, as traded
  close -- Close of this session, as traded
FROM found
WHERE detected_on BETWEEN @start_ds AND @end_ds
ORDER BY detected_on, ticker, session_date
