-- Per ticker, its daily returns over its whole history (gold.return_stats).
select ticker, sessions, mean_return_1d, stdev_return_1d, volatility, worst_return_1d,
    best_return_1d, last_session, cumulative_return
from gold.return_stats
