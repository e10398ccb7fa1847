MODEL (
  name silver.bar_revisions,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column session_date
  ),
  cron '@daily',
  grain (ticker, interval, ts, load_id),
  tags (published, may_be_empty),
  description 'Every bar a later landing restated with other values: the version it replaced and the new one, the two landings and when each was landed, and the relative change. A landing that sends a bar again unchanged is no revision. Values as landed (price_basis says how); bronze.bar_versions holds every version.',
  audits (
    unique_combination_of_columns(columns := (ticker, interval, ts, load_id)),
    not_null(columns := (ticker, interval, ts, session_date, load_id, previous_load_id))
  )
);

WITH versions AS (
  -- Every version of the bars of the interval: all the versions of a bar share its ts.
  SELECT
    v.ticker,
    v.interval,
    v.ts,
    @session_date(v.ts) AS session_date,
    v.open,
    v.high,
    v.low,
    v.close,
    v.volume,
    v.price_basis,
    v.load_id,
    l.landed_at
  FROM bronze.bar_versions AS v
  JOIN bronze.raw_loads AS l
    ON l.load_id = v.load_id
  WHERE v.ts >= CAST(@start_ds AS TIMESTAMPTZ) - INTERVAL '1' DAY
    AND v.ts < CAST(@end_ds AS TIMESTAMPTZ) + INTERVAL '2' DAY
), paired AS (
  SELECT
    v.*,
    LAG(v.open) OVER landings AS previous_open,
    LAG(v.high) OVER landings AS previous_high,
    LAG(v.low) OVER landings AS previous_low,
    LAG(v.close) OVER landings AS previous_close,
    LAG(v.volume) OVER landings AS previous_volume,
    LAG(v.price_basis) OVER landings AS previous_price_basis,
    LAG(v.load_id) OVER landings AS previous_load_id,
    LAG(v.landed_at) OVER landings AS previous_landed_at
  FROM versions AS v
  WINDOW landings AS (PARTITION BY v.ticker, v.interval, v.ts ORDER BY v.load_id)
)
SELECT
  ticker, -- Ticker as the provider sent it
  interval, -- 1d or 1m
  ts, -- Bar timestamp (UTC) as the provider keyed it
  session_date, -- Session (exchange-zone date)
  previous_open, -- Open before the revision, as landed
  previous_high, -- High before the revision, as landed
  previous_low, -- Low before the revision, as landed
  previous_close, -- Close before the revision, as landed
  previous_volume, -- Volume before the revision, as landed
  open, -- Open after the revision, as landed
  high, -- High after the revision, as landed
  low, -- Low after the revision, as landed
  close, -- Close after the revision, as landed
  volume, -- Volume after the revision, as landed
  previous_price_basis, -- Price basis of the replaced version
  price_basis, -- Price basis of the new version
  close / NULLIF(previous_close, 0) - 1 AS close_change, -- Relative change of the close (NULL when either is missing or the old one 0)
  GREATEST(
    ABS(open / NULLIF(previous_open, 0) - 1),
    ABS(high / NULLIF(previous_high, 0) - 1),
    ABS(low / NULLIF(previous_low, 0) - 1),
    ABS(close / NULLIF(previous_close, 0) - 1)
  ) AS price_change, -- Largest relative change of open, high, low and close
  volume / NULLIF(previous_volume, 0) - 1 AS volume_change, -- Relative change of the volume
  previous_load_id, -- The landing of the replaced version
  previous_landed_at, -- When that landing was committed (UTC)
  load_id, -- The landing that restated the bar
  landed_at -- When it was committed (UTC): from then on the warehouse held the new values
FROM paired
WHERE previous_load_id IS NOT NULL
  AND session_date BETWEEN @start_ds AND @end_ds
ORDER BY session_date, ticker
