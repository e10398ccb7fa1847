-- Round trips: entered and left at an open (exit_date null: still open, marked at the close).
select * from trades
