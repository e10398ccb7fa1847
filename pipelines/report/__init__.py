"""The report site: the Evidence project in reports/ built from the warehouse (site.py), with
its two sources (sources.py)."""
