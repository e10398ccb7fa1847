"""Index constituents from pytickersymbols (package data, offline), with the sector and
industry tags that land in bronze.tickers and silver.tickers. Part of reading config.yaml: a
universe may name indices instead of (or besides) tickers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import version

from pytickersymbols import PyTickerSymbols

# The eleven GICS sectors; pytickersymbols tags a company with a mix of these and free-form
# industries, so a sector is only claimed when one of these names is among its tags.
GICS_SECTORS = (
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
)

# Other names the package uses for the same sectors (Refinitiv's economic sectors and
# free-form Wikipedia tags). An exact GICS name wins over an alias.
SECTOR_ALIASES = {
    "Technology": "Information Technology",
    "Information technology": "Information Technology",
    "Healthcare": "Health Care",
    "Health care": "Health Care",
    "Financial services": "Financials",
    "Financial Services": "Financials",
    "Consumer Cyclicals": "Consumer Discretionary",
    "Consumer Non-Cyclicals": "Consumer Staples",
    "Basic Materials": "Materials",
    "Telecommunications Services": "Communication Services",
    "Telecommunications": "Communication Services",
    "Real estate": "Real Estate",
}


@dataclass(frozen=True)
class Member:
    ticker: str
    name: str | None
    sector: str | None
    industry: str | None


@cache
def _symbols() -> PyTickerSymbols:
    return PyTickerSymbols()


@cache
def known_indices() -> tuple[str, ...]:
    return tuple(_symbols().get_all_indices())


@cache
def index_members(index: str) -> tuple[Member, ...]:
    """Constituents of an index, by their US symbol, Yahoo-style (BRK-B, not BRK.B)."""
    members = []
    for stock in _symbols().get_stocks_by_index(index):
        symbol = _us_symbol(stock)
        if symbol is None:
            continue
        tags = list(stock.get("industries") or [])
        sector = next((t for t in tags if t in GICS_SECTORS), None) or next(
            (SECTOR_ALIASES[t] for t in tags if t in SECTOR_ALIASES), None
        )
        industry = "; ".join(t for t in tags if t not in GICS_SECTORS) or None
        members.append(Member(symbol, stock.get("name"), sector, industry))
    return tuple(members)


@cache
def _companies() -> dict[str, Member]:
    """Every company the package knows (each index's constituents), by US symbol."""
    found: dict[str, Member] = {}
    for index in known_indices():
        for member in index_members(index):
            known = found.get(member.ticker)
            if known is None or (known.sector is None and member.sector is not None):
                found[member.ticker] = member
    return found


def company(ticker: str) -> Member | None:
    """Name, sector and industry of a ticker listed in no configured index, when the package
    knows it from any index (offline); None when it does not."""
    return _companies().get(ticker)


def catalog_version() -> str:
    """The package's release: its data is part of what bronze.tickers holds."""
    return version("pytickersymbols")


def _us_symbol(stock: dict) -> str | None:
    """The package's own symbol when Yahoo lists it; else a USD listing; else the symbol."""
    yahoo_symbols = {s.get("yahoo") for s in stock.get("symbols") or []}
    if stock.get("symbol") in yahoo_symbols:
        return str(stock["symbol"]).upper()
    for listing in stock.get("symbols") or []:
        if (
            listing.get("currency") == "USD"
            and listing.get("yahoo")
            and "." not in listing["yahoo"]
        ):
            return str(listing["yahoo"]).upper()
    symbol = stock.get("symbol")
    return str(symbol).upper().replace(".", "-") if symbol else None
