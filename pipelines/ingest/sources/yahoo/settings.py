"""What Yahoo's service allows, which shapes the requests."""

PRICE_BASIS = "split_adjusted"
INTRADAY_WINDOW_DAYS = 7  # Yahoo answers at most 7 days of 1-minute bars per request
INTRADAY_HISTORY_DAYS = 30  # and keeps them for 30 days
