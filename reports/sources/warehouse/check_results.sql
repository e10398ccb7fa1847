-- Every check of the newest pipeline run that ran checks (run, backfill, demo: ops.check_results);
-- a run with nothing new checks less than a full `marketflow check` (full_check.sql).
select run_id, checked_at, name, dataset, severity, status, value, threshold, detail
from ops.check_results
where run_id = (
    select c.run_id
    from ops.check_results as c
    join ops.runs as r on r.run_id = c.run_id
    where r.command <> 'check'
    order by c.checked_at desc
    limit 1
)
