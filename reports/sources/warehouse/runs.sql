-- The run log (ops.runs): the newest 100 runs.
select run_id, command, arguments, started_at, ended_at, status, exit_code, failed_tickers, error
from ops.runs
order by started_at desc
limit 100
