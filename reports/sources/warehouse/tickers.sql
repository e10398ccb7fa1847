-- The universe with its sector tags (silver.tickers).
select ticker, name, sector, industry, indices, first_session, last_session
from silver.tickers
