-- The 1-minute bars behind gold.intraday_sessions (silver.bars_1m).
select ticker, ts, session_date, open, high, low, close, volume
from silver.bars_1m
