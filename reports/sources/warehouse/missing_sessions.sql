-- Exchange sessions a ticker has no good bar for (silver.missing_sessions).
select ticker, interval, session_date, detected_on
from silver.missing_sessions
