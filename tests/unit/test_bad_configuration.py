"""Bad configuration exits 2 naming the key; bad flags exit 2 naming the flag; an unreadable
timestamp names its row and column. In process, through the real command line (Typer's runner)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from pipelines.cli.main import app
from pipelines.config import load_project
from pipelines.ingest import demo_data as demo
from pipelines.ingest.sources.files import (
    DropFile,
    DropFileError,
    file_format,
    fingerprint,
    read_bars_file,
)
from tests.conftest import REPO, make_project


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def cli(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args))
    return Result(result.exit_code, result.stdout, result.stderr)


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
            lambda c: c.update(adjustmnet={"dividend_method": "ex_close"}),
            "variables.adjustmnet: unknown key",  # a typo must not load the defaults silently
        ),
        (
            lambda c: c["marketflow"]["api"].update(snapshot_dir="data"),
            "variables.marketflow.api.snapshot_dir:",  # would delete data/raw, data/drop, ...
        ),
        (
            lambda c: c["marketflow"]["report"].update(build_dir=""),
            "variables.marketflow.report.build_dir:",  # the project folder itself
        ),
        (
            lambda c: c["marketflow"]["report"].update(build_dir="reports"),
            "overlaps the Evidence project",
        ),
        (
            lambda c: c["marketflow"]["api"].update(snapshot_dir="data/raw/api"),
            "overlaps storage.raw_url",
        ),
        (
            lambda c: c["marketflow"].update(
                api={"snapshot_dir": "out/site/api"}, report={"build_dir": "out/site"}
            ),
            "lies inside report.build_dir",
        ),
        (
            lambda c: c["marketflow"]["providers"]["files"]["columns"].pop("close") and None,
            None,  # a missing mapping falls back to the column named "close": valid
        ),
    ],
)
def test_bad_config_exits_2_naming_the_key(tmp_path: Path, edit, message: str | None) -> None:
    config = _config_with(tmp_path, edit)
    result = cli("--config", str(config), "calendar")
    if message is None:
        assert result.returncode != 2, result.stderr
        return
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--interval", "5m"], "--interval: '5m' is not 1d or 1m"),
        (
            ["run", "--tickers", "AAPL,TSLA"],
            "--tickers: not in the universe of config.yaml: TSLA "
            "(it holds AAPL, FB, GOOG, IBM, MSFT)",
        ),
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
    result = cli("--config", str(project.config), *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in " ".join(result.stderr.split())
    # A mistyped flag is not a run: no ops.runs row, nothing written at all.
    assert not project.warehouse.exists() and not project.raw.exists()


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    result = cli("--config", str(tmp_path / "nope.yaml"), "check")
    assert result.returncode == 2
    assert "nope.yaml: config file not found" in result.stderr


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("Jan 3rd", "row 2: 'Jan 3rd' is not a timestamp"),
        (None, "row 2: empty timestamp"),  # an empty cell: refused by name, not a crash later
    ],
)
def test_unparseable_timestamp_names_row_and_column(tmp_path: Path, when, message) -> None:
    project = make_project(tmp_path)
    path = tmp_path / "bad-ts.csv"
    pd.DataFrame(
        {
            "Ticker": ["AAPL", "AAPL"],
            "Date": ["2013-01-02", when],
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
            file_format(provider),
            "1d",
            "America/New_York",
            "files",
        )
    assert str(error.value) == f"bad-ts.csv, column 'Date': {message}"


def test_every_configuration_error_comes_before_the_first_write(tmp_path: Path) -> None:
    """A typo in checks.severity (known only once the contracts are read) exits 2 before a
    file is landed or the warehouse created."""
    project = make_project(tmp_path, {"checks": {"severity": {"no such check": "warn"}}})
    demo.stage(project.drop, tickers=["IBM"], end=date(2000, 3, 31))
    result = cli("--config", str(project.config), "run", "--as-of", "2026-11-20")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "checks.severity: no contract in checks/ defines 'no such check'" in result.stderr
    assert not project.raw.exists()
    # Only the run log's row of the failure is there: no bronze, no silver, no SQLMesh state.
    schemas = set(project.query("SELECT DISTINCT schema_name FROM duckdb_tables()")["schema_name"])
    assert schemas == {"ops"}


def test_a_yaml_error_names_the_file_and_line(tmp_path: Path) -> None:
    """config.yaml and a contract under checks/: the file, the line and column, the problem."""
    project = make_project(tmp_path)
    lines = project.config.read_text().splitlines()
    lines[9] += " : [unclosed"  # line 10
    project.config.write_text("\n".join(lines) + "\n")
    result = cli("--config", str(project.config), "calendar")
    assert result.returncode == 2
    assert f"{project.config}, line 10, column " in result.stderr, result.stderr
    assert "<unicode string>" not in result.stderr

    project = make_project(tmp_path / "contracts")
    (project.root / "checks").unlink()
    shutil.copytree(REPO / "checks", project.root / "checks")
    broken = project.root / "checks" / "gold" / "broken.yml"
    broken.write_text("dataset: x\nchecks:\n  - row_count: {threshold: [1, 2}\n")
    result = cli("--config", str(project.config), "run", "--as-of", "2026-11-20")
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{broken}, line 3, column " in " ".join(result.stderr.split()), result.stderr
