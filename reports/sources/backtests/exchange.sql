-- The exchange of config.yaml: its calendar and time zone (the intraday page's clock).
select calendar, timezone from exchange
