MODEL (
  name silver.bars_1m,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column session_date
  ),
  cron '@daily',
  grain (ticker, ts),
  tags (published, may_be_empty),
  description 'Good 1-minute bars of the regular session, as traded (latest landing wins in bronze).',
  audits (
    unique_combination_of_columns(columns := (ticker, ts)),
    not_null(columns := (ticker, ts, session_date, open, high, low, close, volume)),
    ohlc_sane,
    accepted_range(column := volume, min_v := 0)
  )
);

SELECT
  ticker, -- Ticker symbol
  ts, -- Start of the minute (UTC)
  session_date, -- Session (exchange-zone date)
  open, -- Open, as traded
  high, -- High, as traded
  low, -- Low, as traded
  close, -- Close, as traded
  volume, -- Shares traded
  source, -- Provider
  load_id -- Raw landing the bar came from
FROM silver.bars_1m_checked
WHERE reject_reason IS NULL
  AND session_date BETWEEN @start_ds AND @end_ds
ORDER BY session_date, ticker, ts;

@postgres_indexes(session_date)
