MODEL (
  name silver.adjustment_events,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column ex_date
  ),
  cron '@daily',
  grain (ticker, ex_date),
  description 'What the corporate actions of each ex-date (as repaired: silver.repairs) multiply earlier prices by: a split 1/ratio; a dividend D 1 - D/close(previous session) (prev_close) or close(ex)/(close(ex) + D) (ex_close), per adjustment.dividend_method. Incremental by ex-date: an interval reads only the bars within a quarter of its actions.',
  audits (
    unique_combination_of_columns(columns := (ticker, ex_date)),
    not_null(columns := (ticker, ex_date, multiplier)),
    accepted_range(column := multiplier, min_v := 0, inclusive := false)
  )
);

WITH calendar AS (
  SELECT session_date, LAG(session_date) OVER (ORDER BY session_date) AS previous_session
  FROM silver.sessions
), repaired_actions AS (
  -- The interval's actions as repaired (silver.repairs, where a provider's repair is on): a
  -- split the prices show no step of is ignored, a split the prices show is inferred.
  SELECT a.ticker, a.ex_date, a.action, a.value
  FROM silver.corporate_actions AS a
  LEFT JOIN silver.repairs AS r
    ON r.ticker = a.ticker AND r.session_date = a.ex_date AND a.action = 'split'
    AND r.repair = @repair_kind(split_without_step)
  WHERE a.ex_date BETWEEN @start_ds AND @end_ds
    AND r.ticker IS NULL
  UNION ALL
  SELECT ticker, session_date AS ex_date, 'split' AS action, factor AS value
  FROM silver.repairs
  WHERE repair = @repair_kind(missed_split)
    AND session_date BETWEEN @start_ds AND @end_ds
), actions AS (
  SELECT a.ticker, a.ex_date, a.action, a.value, c.previous_session, u.ticker IS NULL AS outside
  FROM repaired_actions AS a
  LEFT JOIN calendar AS c
    ON c.session_date = a.ex_date
  LEFT JOIN bronze.tickers AS u
    ON u.ticker = a.ticker
), nearby_bars AS (
  -- The bars an action of this interval can need: a quarter either side.
  SELECT ticker, session_date, close
  FROM silver.bars_daily_clean
  WHERE session_date BETWEEN CAST(@start_ds AS DATE) - INTERVAL '92' DAY
    AND CAST(@end_ds AS DATE) + INTERVAL '92' DAY
), exact AS (
  -- The close of the session before the ex-date and of the ex-date itself: equi-joins on
  -- (ticker, session_date), which PostgreSQL serves from an index.
  SELECT a.*, prev_bar.close AS prev_close, ex_bar.close AS ex_close
  FROM actions AS a
  LEFT JOIN nearby_bars AS prev_bar
    ON prev_bar.ticker = a.ticker AND prev_bar.session_date = a.previous_session
  LEFT JOIN nearby_bars AS ex_bar
    ON ex_bar.ticker = a.ticker AND ex_bar.session_date = a.ex_date
), nearest AS (
  -- Only for the rare action whose bar is missing: the nearest bar within a quarter.
  SELECT
    e.ticker,
    e.ex_date,
    MAX(CASE WHEN b.session_date < e.ex_date THEN b.session_date END) AS prev_date,
    MIN(CASE WHEN b.session_date >= e.ex_date THEN b.session_date END) AS ex_bar_date
  FROM exact AS e
  JOIN nearby_bars AS b
    ON b.ticker = e.ticker
    AND b.session_date BETWEEN CAST(e.ex_date AS DATE) - INTERVAL '92' DAY AND CAST(e.ex_date AS DATE) + INTERVAL '92' DAY
  WHERE e.prev_close IS NULL OR e.ex_close IS NULL
  GROUP BY e.ticker, e.ex_date
), closes AS (
  SELECT
    e.ticker,
    e.ex_date,
    e.action,
    e.value,
    e.outside,
    COALESCE(e.prev_close, p.close) AS prev_close,
    COALESCE(e.ex_close, x.close) AS ex_close
  FROM exact AS e
  LEFT JOIN nearest AS n
    ON n.ticker = e.ticker AND n.ex_date = e.ex_date
  LEFT JOIN nearby_bars AS p
    ON p.ticker = n.ticker AND p.session_date = n.prev_date
  LEFT JOIN nearby_bars AS x
    ON x.ticker = n.ticker AND x.session_date = n.ex_bar_date
), multipliers AS (
  SELECT
    ticker,
    ex_date,
    action,
    CASE
      WHEN action = 'split' THEN 1.0 / value
      ELSE @dividend_multiplier(value, prev_close, ex_close)
    END AS m,
    -- A ticker outside the universe with no bar within a quarter: nothing to adjust, and most
    -- likely a typo for one of the universe's (which then misses the action).
    outside AND prev_close IS NULL AND ex_close IS NULL AS unknown
  FROM closes
), per_date AS (
  -- A split and a dividend on the same day combine; a dividend before the ticker's first bar
  -- moves no bar relative to another, so it counts as 1. An impossible action (a dividend at or
  -- above the previous close, a split ratio <= 0) would multiply prices by <= 0: it counts as 1
  -- too, and says why, rather than failing the whole transform on LN of a negative; so does an
  -- action of an unknown ticker.
  SELECT
    ticker,
    ex_date,
    EXP(SUM(LN(CASE WHEN m > 0 AND NOT unknown THEN m ELSE 1.0 END))) AS multiplier,
    EXP(SUM(LN(CASE WHEN m > 0 AND NOT unknown AND action = 'split' THEN m ELSE 1.0 END))) AS split_multiplier,
    MAX(
      CASE
        WHEN unknown THEN @quarantine_reason(unknown_ticker)
        WHEN m <= 0 AND action = 'split' THEN @quarantine_reason(non_positive_split)
        WHEN m <= 0 THEN @quarantine_reason(dividend_above_close)
      END
    ) AS rejected
  FROM multipliers
  GROUP BY ticker, ex_date
)
SELECT
  ticker, -- Ticker symbol
  ex_date, -- Ex-date of the actions
  multiplier, -- What the actions of this ex-date multiply every earlier price by
  split_multiplier, -- The splits' part of it: what earlier volumes are divided by (dividends move no volume)
  rejected -- Why an action of this date adjusts nothing (NULL when every one is applied)
FROM per_date
ORDER BY ex_date, ticker
