-- How often each pair of providers agrees (gold.provider_agreement: silver.reconciliation).
select interval, primary_source, secondary, compared, agreed, agreement_rate, missing,
    ratio_apart, differing, first_session, last_session
from gold.provider_agreement
