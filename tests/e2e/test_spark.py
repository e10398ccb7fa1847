"""The spark gateway end to end, on a slice small enough for every CI run (`pytest -m spark`
runs it alone): the poisoned bars of tests/integration/test_poison_values.py (every kind of bad
value, conflicting copies of one bar in one landing, a bar on a Saturday) for IBM and AAPL over
a quarter, a session of SYNTHETIC minutes, then a second landing that restates two bars. Each
run is made on Spark (local mode; bronze from the raw store, the checks by Soda's Spark data
source, the serving copy published at its end) and on DuckDB, and every gold and silver table
of the serving copy must equal DuckDB's, with the same checks failing, the same run log, and
the API answering the same from the copy."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from pipelines.config import load_project
from pipelines.ingest import demo_data as demo
from tests.conftest import AS_OF, Project, make_project, make_spark_project
from tests.integration.test_poison_values import POISON, poisoned
from tests.tables import GOLD_TABLES, SILVER_TABLES, assert_same_tables, snapshot

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

TICKERS = ["IBM", "AAPL"]
START, END = date(2012, 1, 3), date(2012, 3, 30)
MINUTE_SESSION = "2012-03-01"
OVERRIDES = {"universe": {"tickers": TICKERS, "indices": []}}
# The second landing: AAPL's close of 2012-03-15 revised, and the bar IBM's first landing
# lacked (the only missing session of that day: its rows must go, on Spark a whole partition).
RESTATED = ("AAPL", "2012-03-15")
GAP = "2012-03-29"


def stage(project: Project) -> None:
    demo.stage(project.drop, tickers=TICKERS, start=START, end=END)
    bars = pd.read_csv(project.drop / demo.BAR_FILE)
    gap = (bars["Ticker"] == "IBM") & (bars["Date"] == GAP)
    poisoned(bars).drop(index=bars.index[gap]).to_csv(project.drop / demo.BAR_FILE, index=False)
    actions = pd.read_csv(project.drop / demo.ACTIONS_FILE)
    actions[actions["ex_date"] >= str(START)].to_csv(project.drop / demo.ACTIONS_FILE, index=False)
    one = bars[bars["Date"] == MINUTE_SESSION]
    target = project.drop / demo.MINUTE_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    demo.synthetic_minutes(one).to_csv(target, index=False)


def stage_restatement(project: Project) -> None:
    bars = pd.read_csv(project.drop / demo.BAR_FILE)
    revised = bars[(bars["Ticker"] == RESTATED[0]) & (bars["Date"] == RESTATED[1])]
    revised = revised.assign(Close=revised["Close"] * 1.01, High=revised["High"] * 1.01)
    missing = demo.bundled_bars()
    missing = missing[(missing["Ticker"] == "IBM") & (missing["Date"] == GAP)]
    pd.concat([revised, missing]).to_csv(project.drop / "1d" / "revised.csv", index=False)


def checks_of_last_run(project: Project) -> pd.DataFrame:
    frame = project.query(
        "SELECT name, dataset, severity, status, value FROM ops.check_results WHERE run_id = "
        "(SELECT run_id FROM ops.runs ORDER BY started_at DESC LIMIT 1)"
    )
    return frame.sort_values(["dataset", "name"]).reset_index(drop=True)


def before_restatement(project: Project) -> str:
    """The moment the first run's last landing landed (the restatement is the newest)."""
    landed = project.query("SELECT load_id, landed_at FROM bronze.raw_loads ORDER BY load_id")
    return landed["landed_at"].iloc[-2].isoformat()


def api_answers(project: Project, monkeypatch: pytest.MonkeyPatch) -> dict:
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)
    then = {"adjusted": "true", "as_of": before_restatement(project)}
    with TestClient(create_app(load_project(project.config))) as api:
        health = api.get("/health").json()
        return {
            "as_of": api.get(f"/v1/bars/{RESTATED[0]}", params=then).json()["data"],
            "bars": api.get("/v1/bars/IBM", params={"adjusted": "true"}).json()["data"],
            "minutes": api.get("/v1/bars/AAPL", params={"interval": "1m"}).json()["data"],
            "features": api.get("/v1/features/AAPL").json()["data"],
            "latest": api.get("/v1/prices/latest").json()["data"],
            "tables": {t["table"]: t["latest"] for t in health["tables"]},
            "last_run": health["last_run"]["command"],
        }


def assert_close(left: object, right: object, where: str = "answer") -> None:
    """Equal JSON, numbers within 1e-9 relative (1e-12 absolute: a zero return)."""
    if isinstance(left, dict) and isinstance(right, dict):
        assert left.keys() == right.keys(), where
        for key in left:
            assert_close(left[key], right[key], f"{where}.{key}")
    elif isinstance(left, list) and isinstance(right, list):
        assert len(left) == len(right), where
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_close(a, b, f"{where}[{i}]")
    elif isinstance(left, float) and isinstance(right, float):
        assert left == pytest.approx(right, rel=1e-9, abs=1e-12), where
    else:
        assert left == right, where


def test_spark_builds_what_duckdb_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    duck = make_project(tmp_path / "duckdb", OVERRIDES)
    spark = make_spark_project(tmp_path / "spark", OVERRIDES)
    # The first run's checks fail on both (the poisoned bars are refused, IBM misses a
    # session); the second's pass on both: the gap is filled, and a run's windowed checks see
    # the sessions it restated. (Before the partitions of a restated interval were cleared,
    # Spark kept the filled gap in silver.missing_sessions and exited 3.)
    for landing, expected in ((stage, 3), (stage_restatement, 0)):
        codes = {}
        for project in (duck, spark):
            landing(project)
            result = project.cli("run", "--as-of", AS_OF, check=False)
            codes[project.backend] = result.returncode
            assert "Traceback" not in result.stderr, result.stderr
        assert codes == {"duckdb": expected, "spark": expected}, codes

    # Doubles within 1e-9 relative; a zero return may come out as -1e-16 on one engine.
    tables = GOLD_TABLES | SILVER_TABLES
    assert_same_tables(snapshot(spark, tables), snapshot(duck, tables), atol=1e-12)
    reasons = set(spark.query("SELECT reason FROM silver.quarantine")["reason"])
    assert {reason for _, reason in POISON.values()} <= reasons
    assert "conflicting duplicate 2 of 2" in reasons
    gaps = spark.query("SELECT ticker, session_date FROM silver.missing_sessions")
    assert GAP not in {str(d.date()) for d in gaps["session_date"]}, gaps
    # The second landing's close replaced the first's (as the vendor's file says).
    vendor = pd.read_csv(spark.drop / "1d" / "revised.csv").set_index(["Ticker", "Date"])
    revised = spark.scalar(
        f"SELECT close FROM silver.bars_daily WHERE ticker = '{RESTATED[0]}' "
        f"AND session_date = DATE '{RESTATED[1]}'"
    )
    assert revised == pytest.approx(vendor.loc[RESTATED, "Close"], rel=1e-12)
    # Soda's Spark data source ran the same contracts to the same verdicts. (A run counts the
    # rows of the tables behind the published ones, which differ: bronze is views on Spark.)
    checks = {p.backend: checks_of_last_run(p) for p in (spark, duck)}
    counts = checks["spark"][checks["spark"]["name"] == "row_count"]
    assert len(counts) >= 10 and set(counts["status"]) == {"pass"}
    contracts = {k: c[c["name"] != "row_count"].reset_index(drop=True) for k, c in checks.items()}
    assert len(contracts["spark"]) >= 15
    pd.testing.assert_frame_equal(contracts["spark"], contracts["duckdb"])
    # The API reads the serving copy: the same answers, and the run that published it; as of
    # the moment before the restatement, the close the first landing sent.
    answers = api_answers(spark, monkeypatch)
    assert_close(answers, api_answers(duck, monkeypatch))
    then = next(b for b in answers["as_of"] if b["session_date"] == RESTATED[1])
    original = demo.bundled_bars().set_index(["Ticker", "Date"]).loc[RESTATED, "Close"]
    assert then["close"] == pytest.approx(original, rel=1e-12)
