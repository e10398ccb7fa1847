-- The run log (ops.runs): the newest 100 runs. Status and codes only: the public site never
-- carries a run's arguments or error text (hosts, buckets, paths).
select run_id, command, started_at, ended_at, status, exit_code
from ops.runs
order by started_at desc
limit 100
