-- Each configured interval, its provider and whether its bars are SYNTHETIC (config.yaml).
select interval, provider, synthetic from intervals
