"""Restatement history: every version of a bar stays in the warehouse with its landing, each
revision is in silver.bar_revisions with the values it replaced, and the history rebuilt from
the raw store alone is the same. Real bundled bars through the files provider; the expected
values come from the vendor's CSV (pandas), not from the warehouse."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from pipelines.ingest import demo_data as demo
from pipelines.ingest.bronze.schemas import BRONZE_BARS_SCHEMA
from tests.conftest import AS_OF, BACKENDS

# bronze's own columns (dlt adds its load's ids, which a rebuild changes)
VERSIONS = (
    f"SELECT {', '.join(BRONZE_BARS_SCHEMA.names)} FROM bronze.bar_versions "
    "ORDER BY ticker, interval, ts, load_id"
)
REVISIONS = "SELECT * FROM silver.bar_revisions ORDER BY ticker, ts, load_id"


def restated_history(project) -> tuple[pd.DataFrame, pd.Series]:
    """IBM's first quarter of 2005, then a later file that restates 2005-03-01 (its close set to
    its low, still within the day's range) and sends 2005-03-02 again unchanged."""
    demo.stage(project.drop, tickers=["IBM"], start=date(2005, 1, 3), end=date(2005, 3, 31))
    project.cli("run", "--as-of", AS_OF)
    bars = pd.read_csv(project.drop / demo.BAR_FILE)
    original = bars[bars["Date"] == "2005-03-01"].iloc[0]
    later = bars[bars["Date"].isin(["2005-03-01", "2005-03-02"])].copy()
    later.loc[later["Date"] == "2005-03-01", "Close"] = original["Low"]
    later.to_csv(project.drop / "1d" / "restated.csv", index=False)
    project.cli("run", "--as-of", AS_OF)
    return bars, original


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_restated_bar_keeps_its_old_version_and_the_raw_store_rebuilds_the_same(
    new_project, backend
) -> None:
    project = new_project(backend)
    bars, original = restated_history(project)

    versions = project.query(VERSIONS)
    versions["session"] = versions["ts"].dt.tz_convert("America/New_York").dt.date
    per_bar = versions.groupby("session").size()
    assert len(per_bar) == len(bars)  # every bar has a version
    assert per_bar[date(2005, 3, 1)] == 2 and per_bar.drop(date(2005, 3, 1)).eq(1).all()
    old, new = versions[versions["session"] == date(2005, 3, 1)].sort_values("load_id").itertuples()
    assert (old.close, new.close) == (original["Close"], original["Low"])
    current = f"SELECT close FROM bronze.bars WHERE ts = TIMESTAMPTZ '{new.ts.isoformat()}'"
    assert project.scalar(current) == original["Low"]  # bronze holds the new version

    revisions = project.query(REVISIONS)
    assert len(revisions) == 1
    revision = revisions.iloc[0]
    landings = project.query("SELECT load_id, landed_at FROM bronze.raw_loads ORDER BY load_id")
    assert revision["session_date"] == pd.Timestamp("2005-03-01")
    assert (revision["previous_close"], revision["close"]) == (original["Close"], original["Low"])
    assert revision["previous_open"] == revision["open"] == original["Open"]
    assert revision["close_change"] == pytest.approx(original["Low"] / original["Close"] - 1)
    assert revision["price_change"] == pytest.approx(abs(original["Low"] / original["Close"] - 1))
    assert revision["volume_change"] == 0
    assert revision["previous_load_id"] == landings["load_id"].iloc[0]
    assert (revision["load_id"], revision["landed_at"]) == tuple(landings.iloc[-1])

    # A warehouse built from the raw store alone holds the same history.
    rebuilt = new_project(backend)
    raw_url = str(project.raw) if backend == "duckdb" else project.env["MARKETFLOW_RAW_URL"]
    rebuilt.env = rebuilt.env | {"MARKETFLOW_RAW_URL": raw_url}
    rebuilt.cli("run", "--as-of", AS_OF)
    pd.testing.assert_frame_equal(rebuilt.query(VERSIONS), project.query(VERSIONS))
    pd.testing.assert_frame_equal(rebuilt.query(REVISIONS), revisions)


def test_a_bronze_from_before_the_history_builds_it_from_the_raw_store(new_project) -> None:
    project = new_project("duckdb")
    restated_history(project)
    versions, revisions = project.query(VERSIONS), project.query(REVISIONS)
    # The warehouse as an older MarketFlow left it: no history tables.
    con = duckdb.connect(str(project.warehouse))
    con.execute("DROP TABLE bronze.bar_versions; DROP TABLE bronze.action_versions")
    con.execute("DELETE FROM bronze._dlt_version")  # dlt then compares its schema with the tables
    con.close()
    result = project.cli("run", "--as-of", AS_OF)
    assert "building bronze's history from the raw store" in result.stdout
    pd.testing.assert_frame_equal(project.query(VERSIONS), versions)
    pd.testing.assert_frame_equal(project.query(REVISIONS), revisions)
