-- Each bar is internally consistent: low <= open, close <= high and every price is positive.
AUDIT (
  name ohlc_sane
);
SELECT *
FROM @this_model
WHERE low > open OR low > close OR high < open OR high < close OR low <= 0
