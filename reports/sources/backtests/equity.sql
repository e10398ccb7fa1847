-- Daily position, equity and buy-and-hold of every backtest.
select ticker, strategy, session_date, adj_open, adj_close, signal, position, equity, buy_and_hold
from equity
