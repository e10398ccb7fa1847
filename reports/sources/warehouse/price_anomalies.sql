-- Steps in the as-traded closes that the corporate actions do not explain, with their evidence
-- (silver.price_anomalies), and the repair applied where the provider's repair is on
-- (silver.repairs).
select a.ticker, a.session_date, a.rule, a.step, a.expected_step, a.previous_session,
    a.detected_on, r.repair, r.factor
from silver.price_anomalies as a
left join silver.repairs as r
    on r.ticker = a.ticker and r.session_date = a.session_date and r.rule = a.rule
