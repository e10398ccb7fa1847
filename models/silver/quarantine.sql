MODEL (
  name silver.quarantine,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column bar_date
  ),
  cron '@daily',
  grain (ticker, interval, ts, reason),
  tags (published, may_be_empty),
  description 'Every bar silver refused, with its values, the reason and the landing it came from: impossible prices, a day that is not a session, a minute outside the session, a second bar for one session, or conflicting duplicates (a landing that carried one key twice with different values). Good bars of the same ticker still flow.',
  audits (
    not_null(columns := (ticker, interval, ts, reason))
  )
);

SELECT
  ticker, -- Ticker symbol
  '1d' AS interval, -- Bar interval
  ts, -- Bar timestamp (UTC)
  session_date AS bar_date, -- Date of the bar in the exchange's zone
  reject_reason AS reason, -- Why it was refused
  open, -- Rejected open (as traded)
  high, -- Rejected high
  low, -- Rejected low
  close, -- Rejected close
  volume, -- Rejected volume
  source, -- Provider
  load_id -- Raw landing it came from
FROM silver.bars_daily_checked
WHERE reject_reason IS NOT NULL
  AND session_date BETWEEN @start_ds AND @end_ds
UNION ALL
SELECT
  ticker,
  '1m' AS interval,
  ts,
  session_date AS bar_date,
  reject_reason AS reason,
  open,
  high,
  low,
  close,
  volume,
  source,
  load_id
FROM silver.bars_1m_checked
WHERE reject_reason IS NOT NULL
  AND session_date BETWEEN @start_ds AND @end_ds
UNION ALL
-- A key one landing carried with different values: every version, numbered by its values (the
-- same on every engine; each engine spells a double as text its own way, so the hash that told
-- the versions apart does not order them), as the provider sent it (none reached bronze.bars).
SELECT
  ticker,
  interval,
  ts,
  @session_date(ts) AS bar_date,
  @quarantine_reason(conflicting_duplicate) || ' ' || CAST(ROW_NUMBER() OVER (PARTITION BY ticker, interval, ts, load_id ORDER BY close NULLS LAST, open NULLS LAST, high NULLS LAST, low NULLS LAST, volume NULLS LAST, source, value_hash) AS VARCHAR) || ' of ' || CAST(COUNT(*) OVER (PARTITION BY ticker, interval, ts, load_id) AS VARCHAR) AS reason,
  open,
  high,
  low,
  close,
  volume,
  source,
  load_id
FROM bronze.bar_conflicts
WHERE @session_date(ts) BETWEEN @start_ds AND @end_ds
-- Inserted in date order: DuckDB's zone maps then prune date-range reads of long histories.
ORDER BY bar_date, ticker, ts
