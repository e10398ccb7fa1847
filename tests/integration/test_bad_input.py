"""Bad input gets a clear error and loses nothing: malformed drop files are refused by name and
column, the good ones load (bad configuration and flags: tests/unit/test_bad_configuration.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipelines.ingest import demo_data as demo
from tests.conftest import AS_OF, make_project


def test_malformed_drop_files_are_rejected_and_nothing_from_them_loads(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    staged = demo.stage(project.drop)
    bars = demo.bundled_bars()
    extra = bars[bars["Date"] >= "2013-01-01"].copy()
    extra["Date"] = extra["Date"].str.replace("2013-", "2014-", regex=False)  # unseen dates
    extra.drop(columns=["Close"]).to_csv(project.drop / "1d" / "no-close.csv", index=False)
    texty = extra.copy()
    texty["High"] = texty["High"].astype(object)
    texty.iloc[3, texty.columns.get_loc("High")] = "12.5O"
    texty.to_csv(project.drop / "1d" / "text-high.csv", index=False)

    result = project.cli("run", "--as-of", AS_OF, check=False)

    assert result.returncode == 1, result.stderr
    assert "1d/no-close.csv, column 'Close': required column missing" in result.stderr
    assert "1d/text-high.csv, column 'High': row 4: '12.5O' is not a number" in result.stderr
    # The good file flowed all the way; nothing of the bad ones reached raw or bronze.
    assert project.scalar("SELECT COUNT(*) FROM bronze.bars") == staged["bars"]
    assert project.scalar("SELECT MAX(session_date) FROM gold.daily_features").year == 2013
    manifests = list((project.raw / "_manifests").glob("*.json"))
    assert len(manifests) == 1
    assert (
        "no-close" not in manifests[0].read_text() and "text-high" not in manifests[0].read_text()
    )

    # Fixed, the file loads on the next run: nothing was lost.
    texty.iloc[3, texty.columns.get_loc("High")] = extra.iloc[3]["High"]
    texty.to_csv(project.drop / "1d" / "text-high.csv", index=False)
    (project.drop / "1d" / "no-close.csv").unlink()
    fixed = project.cli("run", "--as-of", AS_OF, check=False)
    assert project.scalar("SELECT COUNT(*) FROM bronze.bars") == staged["bars"] + len(extra)
    # 2013's dates relabelled 2014 fall on other weekdays and leave March-December 2013
    # empty: the run's checks say so (exit 3) rather than pass it silently.
    assert fixed.returncode == 3, fixed.stdout + fixed.stderr
    for named in ("no bars off the calendar", "no missing daily sessions"):
        assert named in fixed.stdout


def test_a_first_run_with_nothing_landed_says_so(tmp_path: Path) -> None:
    """An empty drop folder on a new warehouse: not SQLMesh's "Plan application failed" on a
    missing table, but what is missing and why; once a file is dropped, the run goes through."""
    project = make_project(tmp_path)
    result = project.cli("run", "--as-of", AS_OF, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert "do not exist yet: no landing has brought any" in message, message
    assert "bronze.bars" in message and "bronze.corporate_actions" in message, message
    assert "Plan application failed" not in result.stdout + result.stderr
    # The universe was written first; FB is META in the index data, so nothing is known of it.
    said = " ".join(result.stdout.split())
    assert "universe: bronze.tickers updated from config.yaml (5 tickers)" in said
    assert "no name or sector known (pytickersymbols) for FB" in said
    demo.stage(project.drop, tickers=["IBM"], start=None, end=date(2000, 3, 31))
    project.cli("run", "--as-of", AS_OF)
    assert project.scalar("SELECT COUNT(*) FROM gold.daily_features") > 0
