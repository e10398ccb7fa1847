-- Quarantined bars counted by reason, ticker and interval (silver.quarantine).
select reason, ticker, interval, count(*) as bars, min(bar_date) as first_date, max(bar_date) as last_date
from silver.quarantine
group by reason, ticker, interval
