"""Restatement history: every version of a bar stays in the warehouse with its landing, each
revision is in silver.bar_revisions with the values it replaced, the history rebuilt from the
raw store alone is the same, and the API answers as of a moment what the warehouse then held.
Real bundled bars through the files provider; the expected values come from the vendor's CSV
(pandas) and from the API's own answers at that moment, not from the warehouse's history."""

from __future__ import annotations

import io
from datetime import date

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipelines import client
from pipelines.ingest import demo_data as demo
from pipelines.ingest.bronze.schemas import BRONZE_BARS_SCHEMA
from tests.conftest import AS_OF, BACKENDS
from tests.integration.conftest import client_for

# bronze's own columns (dlt adds its load's ids, which a rebuild changes)
VERSIONS = (
    f"SELECT {', '.join(BRONZE_BARS_SCHEMA.names)} FROM bronze.bar_versions "
    "ORDER BY ticker, interval, ts, load_id"
)
REVISIONS = "SELECT * FROM silver.bar_revisions ORDER BY ticker, ts, load_id"


READS = {  # what the API is asked before and after the restatement (Parquet answers)
    "adjusted": "/v1/bars?tickers=AAPL,IBM&adjusted=true",
    "as_traded": "/v1/bars?tickers=AAPL,IBM",
    "features": "/v1/features?tickers=AAPL,IBM",
}


def restated_history(project, before=None) -> tuple[pd.DataFrame, pd.Series]:
    """IBM's and AAPL's first quarter of 2005 without AAPL's 2005-02-28 2:1 split; then a
    later landing that restates IBM's 2005-03-01 (its close set to its low, still within the
    day's range), sends 2005-03-02 again unchanged and brings the split. `before(project)` runs
    between the two."""
    demo.stage(project.drop, tickers=["IBM", "AAPL"], start=date(2005, 1, 3), end=date(2005, 3, 31))
    actions = pd.read_csv(project.drop / demo.ACTIONS_FILE)
    split = (actions["ticker"] == "AAPL") & (actions["ex_date"] == "2005-02-28")
    assert actions.loc[split, "action"].tolist() == ["split"]
    actions[~split].to_csv(project.drop / demo.ACTIONS_FILE, index=False)
    project.cli("run", "--as-of", AS_OF)
    if before is not None:
        before(project)
    bars = pd.read_csv(project.drop / demo.BAR_FILE)
    bars = bars[bars["Ticker"] == "IBM"]
    original = bars[bars["Date"] == "2005-03-01"].iloc[0]
    later = bars[bars["Date"].isin(["2005-03-01", "2005-03-02"])].copy()
    later.loc[later["Date"] == "2005-03-01", "Close"] = original["Low"]
    later.to_csv(project.drop / "1d" / "restated.csv", index=False)
    actions.to_csv(project.drop / demo.ACTIONS_FILE, index=False)
    project.cli("run", "--as-of", AS_OF)
    return bars, original


def answers(project, monkeypatch, as_of: str | None = None) -> dict[str, pd.DataFrame]:
    """The API's answers to READS (as of a moment when given), as frames."""
    suffix = f"&format=parquet{f'&as_of={as_of}' if as_of else ''}"
    with client_for(project, monkeypatch) as api:
        found = {}
        for name, path in READS.items():
            response = api.get(path + suffix.replace("+", "%2B"))
            assert response.status_code == 200, response.text
            found[name] = pq.read_table(io.BytesIO(response.content)).to_pandas(
                date_as_object=False
            )
        return found


def assert_same_answers(found: dict, expected: dict) -> None:
    for name in READS:
        pd.testing.assert_frame_equal(found[name], expected[name], check_exact=False, rtol=1e-12)


def close_of(frame: pd.DataFrame, ticker: str, session: str) -> float:
    row = frame[(frame["ticker"] == ticker) & (frame["session_date"] == pd.Timestamp(session))]
    return float(row["close"].iloc[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_restated_bar_keeps_its_old_version_and_reads_as_of_a_moment_answer_what_was_held(
    new_project, backend, monkeypatch
) -> None:
    project = new_project(backend)
    held: dict = {}

    def remember(project) -> None:  # the API's answers, and when, before the restatement
        held["at"] = project.scalar("SELECT MAX(landed_at) FROM bronze.raw_loads").isoformat()
        held["answers"] = answers(project, monkeypatch)

    bars, original = restated_history(project, remember)
    csv = pd.read_csv(project.drop / demo.BAR_FILE).set_index(["Ticker", "Date"])["Close"]

    # Now: the split adjusts AAPL's earlier prices, IBM's close is the restated one; as of the
    # moment before the restatement, neither reaches back: the answers are those given then.
    now, then = answers(project, monkeypatch), answers(project, monkeypatch, held["at"])
    aapl = csv["AAPL", "2005-02-25"]
    assert close_of(held["answers"]["adjusted"], "AAPL", "2005-02-25") == aapl
    assert close_of(now["adjusted"], "AAPL", "2005-02-25") == pytest.approx(aapl / 2, rel=1e-12)
    assert close_of(now["as_traded"], "IBM", "2005-03-01") == original["Low"]
    assert close_of(then["as_traded"], "IBM", "2005-03-01") == original["Close"]
    assert_same_answers(then, held["answers"])
    # The client reads the same, locally (its own reader of the warehouse).
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    with client.connect(project.config) as local:
        frame = local.bars(["AAPL", "IBM"], adjusted=True, as_of=held["at"])
    pd.testing.assert_frame_equal(frame, held["answers"]["adjusted"])
    # As of any later moment, the models evaluated on the versions equal the warehouse built
    # run by run.
    assert_same_answers(answers(project, monkeypatch, "2100-01-01"), now)

    versions = project.query(VERSIONS)
    versions = versions[versions["ticker"] == "IBM"]
    versions["session"] = versions["ts"].dt.tz_convert("America/New_York").dt.date
    per_bar = versions.groupby("session").size()
    assert len(per_bar) == len(bars)  # every bar has a version
    assert per_bar[date(2005, 3, 1)] == 2 and per_bar.drop(date(2005, 3, 1)).eq(1).all()
    old, new = versions[versions["session"] == date(2005, 3, 1)].sort_values("load_id").itertuples()
    assert (old.close, new.close) == (original["Close"], original["Low"])
    current = f"SELECT close FROM bronze.bars WHERE ticker = 'IBM' AND ts = '{new.ts.isoformat()}'"
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

    # A warehouse built from the raw store alone holds the same history, and answers the same
    # as of the moment before the restatement.
    rebuilt = new_project(backend)
    raw_url = str(project.raw) if backend == "duckdb" else project.env["MARKETFLOW_RAW_URL"]
    rebuilt.env = rebuilt.env | {"MARKETFLOW_RAW_URL": raw_url}
    rebuilt.cli("run", "--as-of", AS_OF)
    pd.testing.assert_frame_equal(rebuilt.query(VERSIONS), project.query(VERSIONS))
    pd.testing.assert_frame_equal(rebuilt.query(REVISIONS), revisions)
    assert_same_answers(answers(rebuilt, monkeypatch, held["at"]), held["answers"])


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
