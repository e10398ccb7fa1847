MODEL (
  name silver.bars_daily_clean,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column session_date
  ),
  cron '@daily',
  grain (ticker, session_date),
  description 'Good daily bars, one per ticker and session, as traded. History is kept incrementally; silver.bars_daily adds the adjustment.',
  audits (
    unique_combination_of_columns(columns := (ticker, session_date)),
    not_null(columns := (ticker, session_date, open, high, low, close, volume)),
    ohlc_sane,
    accepted_range(column := volume, min_v := 0)
  )
);

SELECT
  ticker, -- Ticker symbol
  session_date, -- Session (exchange-zone date)
  session_index, -- Position of the session in the exchange calendar
  open, -- Open, as traded
  high, -- High, as traded
  low, -- Low, as traded
  close, -- Close, as traded
  volume, -- Shares traded, as traded
  provider_adj_close, -- The provider's own adjusted close, for comparison
  source, -- Provider
  load_id -- Raw landing the bar came from
FROM silver.bars_daily_checked
WHERE reject_reason IS NULL
  AND session_date BETWEEN @start_ds AND @end_ds

-- Inserted in date order: DuckDB's zone maps then prune date-range reads of long histories.
ORDER BY session_date, ticker;

@postgres_indexes((ticker, session_date), session_date)
