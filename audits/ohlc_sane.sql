-- Each bar passes the price rules the quarantine applies (pipelines/analytics/bar_rules.py):
-- every price present and positive, low <= open, close <= high, volume present and >= 0.
AUDIT (
  name ohlc_sane
);
SELECT *
FROM @this_model
WHERE @price_problem(open, high, low, close, volume) IS NOT NULL
