"""Tickers listed only in config.yaml get the name, sector and industry the index data knows of
them (pytickersymbols, offline), as index members do; an unknown one is said to be unknown."""

from __future__ import annotations

from pytickersymbols import PyTickerSymbols

from pipelines.ingest.bronze.universe import universe_digest, universe_table


def test_listed_tickers_get_what_the_index_data_knows() -> None:
    rows = universe_table(["AAPL", "IBM", "ZZZZ"], []).to_pandas().set_index("ticker")
    catalog = PyTickerSymbols()
    for ticker in ("AAPL", "IBM"):
        assert rows.loc[ticker, "name"] == catalog.get_stock_by_yahoo_symbol(ticker)["name"]
        assert rows.loc[ticker, "sector"] == "Information Technology"  # tagged "Technology"
        assert rows.loc[ticker, "industry"]
        assert rows.loc[ticker, "indices"] is None and rows.loc[ticker, "listed_in_config"]
    assert rows.loc["ZZZZ", ["name", "sector", "industry"]].isna().all()


def test_the_universe_is_recognised_by_what_makes_it() -> None:
    assert universe_digest(["AAPL"], []) == universe_digest(["AAPL"], [])
    assert universe_digest(["AAPL"], []) != universe_digest(["AAPL", "IBM"], [])
    assert universe_digest(["AAPL"], []) != universe_digest(["AAPL"], ["DOW JONES"])
