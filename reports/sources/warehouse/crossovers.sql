-- Golden and death crosses of the configured SMA pairs (gold.ma_crossovers).
select ticker, session_date, signal, fast, slow, fast_window, slow_window
from gold.ma_crossovers
