MODEL (
  name silver.adjustment_factors,
  kind FULL,
  cron '@daily',
  grain (ticker, valid_from),
  description 'Cumulative adjustment multipliers per ticker as ranges of sessions: for a bar in [valid_from, valid_to), cum_multiplier is the product of the multipliers of every action with ex-date <= the session, and price / cum_multiplier is the continuous (forward-adjusted) price, which no later action changes. A split multiplies earlier prices by 1/ratio; a dividend D by 1 - D/close(previous session) (prev_close) or close(ex)/(close(ex) + D) (ex_close), per adjustment.dividend_method. Sessions before the first action have no row (multiplier 1).',
  audits (
    unique_combination_of_columns(columns := (ticker, valid_from)),
    not_null(columns := (ticker, valid_from, valid_to, multiplier, cum_multiplier)),
    accepted_range(column := cum_multiplier, min_v := 0, inclusive := false)
  )
);

WITH calendar AS (
  SELECT session_date, LAG(session_date) OVER (ORDER BY session_date) AS previous_session
  FROM silver.sessions
), actions AS (
  SELECT a.ticker, a.ex_date, a.action, a.value, c.previous_session
  FROM silver.corporate_actions AS a
  LEFT JOIN calendar AS c
    ON c.session_date = a.ex_date
), closes AS (
  -- The close of the session before the ex-date and of the ex-date itself: equi-joins on
  -- (ticker, session_date), which PostgreSQL serves from an index; when that bar is missing,
  -- the nearest one (a lookup only for those actions).
  SELECT
    a.*,
    COALESCE(
      prev_bar.close,
      (
        SELECT b.close FROM silver.bars_daily_clean AS b
        WHERE b.ticker = a.ticker AND b.session_date < a.ex_date
        ORDER BY b.session_date DESC LIMIT 1
      )
    ) AS prev_close,
    COALESCE(
      ex_bar.close,
      (
        SELECT b.close FROM silver.bars_daily_clean AS b
        WHERE b.ticker = a.ticker AND b.session_date >= a.ex_date
        ORDER BY b.session_date LIMIT 1
      )
    ) AS ex_close
  FROM actions AS a
  LEFT JOIN silver.bars_daily_clean AS prev_bar
    ON prev_bar.ticker = a.ticker AND prev_bar.session_date = a.previous_session
  LEFT JOIN silver.bars_daily_clean AS ex_bar
    ON ex_bar.ticker = a.ticker AND ex_bar.session_date = a.ex_date
), per_date AS (
  -- A split and a dividend on the same day combine; a dividend before the ticker's first bar
  -- moves no bar relative to another, so it counts as 1.
  SELECT
    ticker,
    ex_date,
    EXP(SUM(LN(COALESCE(
      CASE
        WHEN action = 'split' THEN 1.0 / value
        ELSE @dividend_multiplier(value, prev_close, ex_close)
      END,
      1.0
    )))) AS multiplier
  FROM closes
  GROUP BY ticker, ex_date
)
SELECT
  ticker, -- Ticker symbol
  ex_date AS valid_from, -- First session the multiplier applies to (the ex-date)
  LEAD(ex_date, 1, DATE '9999-12-31') OVER (PARTITION BY ticker ORDER BY ex_date) AS valid_to, -- First session it no longer applies to
  multiplier, -- What the actions of this ex-date multiply earlier prices by
  EXP(SUM(LN(multiplier)) OVER (PARTITION BY ticker ORDER BY ex_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS cum_multiplier -- Product of the multipliers of every action up to valid_from
FROM per_date
