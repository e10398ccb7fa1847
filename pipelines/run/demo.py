"""`marketflow demo`: stage the bundled dataset into the drop folder the config names, then
run everything over it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipelines.config import ConfigError, Project
from pipelines.ingest import demo_data
from pipelines.ingest.providers import settings_of, uses_drop_files
from pipelines.run.options import RunOptions, session_day


@dataclass
class Staged:
    options: RunOptions
    messages: list[str]


def stage(project: Project, moment: datetime) -> Staged:
    """Stage the daily bars (and, with a files provider for 1m, the SYNTHETIC minutes); the
    options of the run that follows. ConfigError when no drop folder serves daily bars."""
    name = project.settings.intervals.get("1d")
    if name is None or not uses_drop_files(project, name):
        raise ConfigError(
            "intervals.1d: the demo needs a files provider for daily bars (as in the shipped "
            "config.yaml)"
        )
    drop = project.path(settings_of(project, name).drop_folder)
    staged = demo_data.stage(drop)
    messages = [
        f"Staged the bundled dataset (bokeh_sampledata, Quandl WIKI, public domain) into "
        f"{drop}: {staged['bars']:,} daily bars of {staged['tickers']} tickers and "
        f"{staged['corporate_actions']} corporate actions derived from Adj Close."
    ]
    intervals = ["1d"]
    minute_provider = project.settings.intervals.get("1m")
    if minute_provider is not None and uses_drop_files(project, minute_provider):
        folder = project.path(settings_of(project, minute_provider).drop_folder)
        minutes = demo_data.stage_minutes(folder)
        first, last = demo_data.MINUTE_SESSIONS
        messages.append(
            f"Staged {minutes:,} SYNTHETIC 1-minute bars ({first} to {last}, derived from the "
            "real daily bars; no package ships real ones)."
        )
        intervals.append("1m")
    options = RunOptions(
        intervals=intervals, as_of=session_day(project, moment), now=moment, full_checks=True
    )
    return Staged(options, messages)
