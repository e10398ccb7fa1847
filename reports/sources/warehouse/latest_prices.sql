-- Each ticker's latest daily bar (gold.latest_prices).
select ticker, session_date, close, adj_close, return_1d, volume
from gold.latest_prices
