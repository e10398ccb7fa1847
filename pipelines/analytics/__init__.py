"""Pure computations the layers above share: the exchange calendar, the indicators, the bar
rules and quarantine reasons, the crossover rule, the backtests. No I/O here."""
