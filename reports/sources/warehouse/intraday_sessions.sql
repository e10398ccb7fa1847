-- One row per ticker and session with 1-minute data: OHLC, volume, VWAP (gold.intraday_sessions).
select ticker, session_date, open, high, low, close, volume, vwap, bar_count, first_ts, last_ts
from gold.intraday_sessions
