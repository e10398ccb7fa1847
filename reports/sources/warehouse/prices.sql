-- Adjusted daily candles (silver.bars_daily) with their indicators (gold.daily_features).
select
    f.ticker,
    f.session_date,
    b.adj_open as open,
    b.adj_high as high,
    b.adj_low as low,
    f.adj_close as close,
    b.volume,
    f.return_1d,
    f.cumulative_return,
    f.sma_20,
    f.sma_50,
    f.sma_200,
    f.rsi_14,
    f.macd,
    f.macd_signal,
    f.macd_hist,
    f.bb_upper,
    f.bb_middle,
    f.bb_lower
from gold.daily_features as f
join silver.bars_daily as b
    on b.ticker = f.ticker and b.session_date = f.session_date
