"""Bad input gets a clear error and loses nothing; bad configuration exits 2 naming the key."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipelines import demo
from tests.conftest import AS_OF, make_project, run_cli


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


def _config_with(tmp_path: Path, edit) -> Path:
    project = make_project(tmp_path)
    config = yaml.safe_load(project.config.read_text())
    edit(config["variables"])
    project.config.write_text(
        yaml.safe_dump(config, sort_keys=False, default_style='"', width=1 << 20)
    )
    return project.config


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: c["marketflow"]["universe"].update(tikers=["AAPL"]),
            "variables.marketflow.universe.tikers: unknown key",
        ),
        (
            lambda c: c["marketflow"]["universe"].update(tickers="AAPL"),
            "variables.marketflow.universe.tickers: Input should be a valid list",
        ),
        (
            lambda c: c["adjustment"].update(dividend_method="yahoo"),
            "variables.adjustment.dividend_method",
        ),
        (
            lambda c: c.update(crossovers={"fast": 200, "slow": 50}),
            "variables.crossovers: fast (200) must be shorter than slow (50)",
        ),
        (
            lambda c: c["marketflow"]["intervals"].update({"1d": "iex"}),
            "intervals.1d: provider 'iex' is not defined under providers",
        ),
        (
            lambda c: c["exchange"].update(calendar="NOPE"),
            "variables.exchange.calendar: unknown exchange calendar 'NOPE'",
        ),
        (
            lambda c: c["marketflow"].update(exchange={"calendar": "XNYS"}),
            "variables.marketflow.exchange: belongs directly under variables",
        ),
        (
            lambda c: c["marketflow"]["providers"]["files"]["columns"].pop("close") and None,
            None,  # a missing mapping falls back to the column named "close": valid
        ),
    ],
)
def test_bad_config_exits_2_naming_the_key(tmp_path: Path, edit, message: str | None) -> None:
    config = _config_with(tmp_path, edit)
    result = run_cli("--config", str(config), "check", check=False)
    if message is None:
        assert result.returncode != 2, result.stderr
        return
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--interval", "5m"], "--interval: '5m' is not 1d or 1m"),
        (["run", "--tickers", "AAPL,TSLA"], "--tickers: not in the universe of config.yaml: TSLA"),
        (["run", "--provider", "nope"], "--provider: 'nope' is not defined under providers"),
        (["run", "--gateway", "nope"], "--gateway: 'nope' is not a gateway"),
        (["backfill", "--start", "2005-13-01", "--end", "2005-12-31"], "--start: '2005-13-01'"),
        (["check", "--as-of", "yesterday"], "--as-of: 'yesterday' is not an ISO date"),
    ],
)
def test_bad_arguments_exit_2_naming_the_flag(
    tmp_path: Path, args: list[str], message: str
) -> None:
    project = make_project(tmp_path)
    result = project.cli(*args, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    result = run_cli("--config", str(tmp_path / "nope.yaml"), "check", check=False)
    assert result.returncode == 2
    assert "nope.yaml: config file not found" in result.stderr


def test_unparseable_timestamp_names_row_and_column(tmp_path: Path) -> None:
    from pipelines.config import load_project
    from pipelines.sources.files import DropFile, DropFileError, fingerprint, read_bars_file

    project = make_project(tmp_path)
    path = tmp_path / "bad-ts.csv"
    pd.DataFrame(
        {
            "Ticker": ["AAPL", "AAPL"],
            "Date": ["2013-01-02", "Jan 3rd"],
            "Open": [1.0, 1.0],
            "High": [1.0, 1.0],
            "Low": [1.0, 1.0],
            "Close": [1.0, 1.0],
            "Volume": [1, 1],
            "Adj Close": [1.0, 1.0],
        }
    ).to_csv(path, index=False)
    provider = load_project(project.config).settings.providers["files"]
    with pytest.raises(DropFileError) as error:
        read_bars_file(
            DropFile(path, "bad-ts.csv", fingerprint(path)),
            provider,
            "1d",
            "America/New_York",
            "files",
        )
    assert str(error.value) == "bad-ts.csv, column 'Date': row 2: 'Jan 3rd' is not a timestamp"
