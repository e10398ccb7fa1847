-- Every check of the newest run that ran checks (ops.check_results).
select run_id, checked_at, name, dataset, severity, status, value, threshold, detail
from ops.check_results
where run_id = (select run_id from ops.check_results order by checked_at desc limit 1)
