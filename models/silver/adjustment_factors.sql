MODEL (
  name silver.adjustment_factors,
  kind FULL,
  cron '@daily',
  grain (ticker, valid_from),
  description 'Price-adjustment factors per ticker as ranges of sessions. For a bar on date t in [valid_from, valid_to): adj_factor is the classic backward factor (1 on the latest bar), and price / cum_multiplier is the forward-adjusted (continuous) price, which no later corporate action changes. A split multiplies earlier prices by 1/ratio; a dividend by 1 - D/close(previous session) (prev_close) or close(ex)/(close(ex) + D) (ex_close), per adjustment.dividend_method. An action counts once the ticker has a bar on or after its ex-date.',
  audits (
    unique_combination_of_columns(columns := (ticker, valid_from)),
    not_null(columns := (ticker, valid_from, valid_to, adj_factor, cum_multiplier, total_multiplier)),
    accepted_range(column := cum_multiplier, min_v := 0, inclusive := false)
  )
);

WITH effective AS (
  SELECT a.*
  FROM silver.corporate_actions AS a
  WHERE EXISTS (
    SELECT 1 FROM silver.bars_daily_clean AS b
    WHERE b.ticker = a.ticker AND b.session_date >= a.ex_date
  )
), neighbours AS (
  -- The last bar before the ex-date and the first bar on or after it.
  SELECT
    a.ticker,
    a.ex_date,
    MAX(CASE WHEN b.session_date < a.ex_date THEN b.session_date END) AS prev_date,
    MIN(CASE WHEN b.session_date >= a.ex_date THEN b.session_date END) AS ex_bar_date
  FROM effective AS a
  JOIN silver.bars_daily_clean AS b
    ON b.ticker = a.ticker
    AND b.session_date >= @warmup_start(a.ex_date)
    AND b.session_date < CAST(a.ex_date AS DATE) + INTERVAL '30' DAY
  GROUP BY a.ticker, a.ex_date
), multipliers AS (
  SELECT
    a.ticker,
    a.ex_date,
    CASE
      WHEN a.action = 'split' THEN 1.0 / a.value
      ELSE @dividend_multiplier(a.value, prev_bar.close, ex_bar.close)
    END AS multiplier
  FROM effective AS a
  LEFT JOIN neighbours AS n
    ON n.ticker = a.ticker AND n.ex_date = a.ex_date
  LEFT JOIN silver.bars_daily_clean AS prev_bar
    ON prev_bar.ticker = a.ticker AND prev_bar.session_date = n.prev_date
  LEFT JOIN silver.bars_daily_clean AS ex_bar
    ON ex_bar.ticker = a.ticker AND ex_bar.session_date = n.ex_bar_date
), per_date AS (
  -- A split and a dividend on the same day combine; a dividend with no earlier bar moves no
  -- bar relative to another, so it counts as 1.
  SELECT ticker, ex_date, EXP(SUM(LN(COALESCE(multiplier, 1.0)))) AS multiplier
  FROM multipliers
  GROUP BY ticker, ex_date
), ranges AS (
  SELECT
    ticker,
    ex_date AS valid_from,
    LEAD(ex_date, 1, DATE '9999-12-31') OVER (PARTITION BY ticker ORDER BY ex_date) AS valid_to,
    EXP(SUM(LN(multiplier)) OVER (PARTITION BY ticker ORDER BY ex_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS cum_multiplier,
    -- Product over the later actions only: exactly 1 on the latest range.
    COALESCE(EXP(SUM(LN(multiplier)) OVER (PARTITION BY ticker ORDER BY ex_date ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)), 1.0) AS adj_factor,
    EXP(SUM(LN(multiplier)) OVER (PARTITION BY ticker)) AS total_multiplier
  FROM per_date
)
SELECT
  ticker, -- Ticker symbol
  valid_from, -- First session the factors apply to
  valid_to, -- First session they no longer apply to
  adj_factor, -- Product of the multipliers of every action with ex-date > the session: as-traded price x this = adjusted price
  cum_multiplier, -- Product of the multipliers of every action with ex-date <= the session: as-traded price / this = continuous price
  total_multiplier -- Product of the multipliers of every action of the ticker: continuous price x this = adjusted price
FROM ranges
UNION ALL
SELECT
  ticker,
  DATE '1900-01-01' AS valid_from,
  MIN(valid_from) AS valid_to,
  MIN(total_multiplier) AS adj_factor,
  1.0 AS cum_multiplier,
  MIN(total_multiplier) AS total_multiplier
FROM ranges
GROUP BY ticker
