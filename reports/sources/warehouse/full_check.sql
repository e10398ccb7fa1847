-- Every check of the newest `marketflow check` (the full set, whatever the last run did).
select run_id, checked_at, name, dataset, severity, status, value, threshold, detail
from ops.check_results
where run_id = (
    select run_id from ops.runs where command = 'check' order by started_at desc limit 1
)
