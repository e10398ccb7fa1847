"""As-of reads: silver and gold as the warehouse held them at a moment of transaction time.

Transaction time is the landing. bronze.bar_versions and bronze.action_versions keep every
version of every bar and corporate action with the landing that first carried it, and
bronze.raw_loads says when each landing landed; bronze.bars and bronze.corporate_actions hold
the latest version of each key. So what bronze held at T is, per key, the latest version landed
at or before T, and what silver and gold held is what the models make of that.

An as-of read therefore evaluates the models themselves (SQLMesh renders them: the SQL a run
executes, no rule restated here) on bronze as of T, for the tickers asked, in a scratch DuckDB
(pipelines/warehouse/scratch.py). A corporate action landed after T is not among the actions
there, so it cannot reach back into adjusted prices; a bar revised after T is read as it was;
the indicators are computed on those bars. Which models to evaluate comes from SQLMesh's graph:
everything the read's tables need, up to bronze; a model that reads no bronze table (the
exchange calendar) is read as the warehouse holds it, knowledge time changing nothing there.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlglot import exp, parse_one

from pipelines.config import ParameterError, Project
from pipelines.config.constants import (
    ACTION_KEY,
    ACTION_VERSIONS_TABLE,
    ACTIONS_TABLE,
    BAR_KEY,
    BAR_VERSIONS_TABLE,
    BARS_TABLE,
    BRONZE_DATASET,
    RAW_LOADS_TABLE,
)
from pipelines.config.params import moment as parse_moment
from pipelines.transform.replay import Source, evaluate, plan
from pipelines.warehouse import queries
from pipelines.warehouse.scratch import Scratch, quoted
from pipelines.warehouse.series import MAX_TICKERS, ArrowReader

# The bronze tables whose earlier versions are kept: (history table, key).
HISTORY = {
    f"{BRONZE_DATASET}.{BARS_TABLE}": (f"{BRONZE_DATASET}.{BAR_VERSIONS_TABLE}", BAR_KEY),
    f"{BRONZE_DATASET}.{ACTIONS_TABLE}": (f"{BRONZE_DATASET}.{ACTION_VERSIONS_TABLE}", ACTION_KEY),
}
LOADS = f"{BRONZE_DATASET}.{RAW_LOADS_TABLE}"
# The tables the as-of reads answer from: pipelines/warehouse/series.py's reads (a unit test
# holds the two together).
ANSWERED = ("silver.bars_daily", "silver.bars_1m", "gold.daily_features")


def replay_sources(project: Project, outputs: Sequence[str] = ANSWERED) -> list[str]:
    """Every table an as-of read of `outputs` reads from the warehouse."""
    found = {LOADS}
    for source in plan(project, outputs).sources:
        history = HISTORY.get(source.name)
        found.add(history[0] if history else source.name)
    return sorted(found)


@contextmanager
def reading(
    project: Project,
    db: ArrowReader,
    as_of: str | None,
    tickers: Sequence[str] | None,
    sql: str,
    minutes: tuple[datetime, datetime] | None = None,
) -> Iterator[ArrowReader]:
    """What a read (`sql`, pipelines/warehouse/series.py) answers from: the warehouse, or with
    `as_of` (an ISO timestamp, or a date: the end of that day at the exchange) a scratch
    database of what the warehouse held then, for `tickers`. The API and the client both read
    through here."""
    if as_of is None:
        yield db
        return
    moment = parse_moment(as_of, "as_of", project.settings.exchange.timezone, end=True)
    assert moment is not None
    if tickers is None:
        universe = len(queries.tickers(db))
        if universe > MAX_TICKERS:
            raise ParameterError(
                "as_of",
                f"name the tickers (at most {MAX_TICKERS}) to read as of a moment: the "
                f"universe has {universe:,}",
            )
    scratch = known_at(project, db, moment, tables_read(sql), tickers, minutes)
    try:
        yield scratch
    finally:
        scratch.close()


def tables_read(sql: str) -> list[str]:
    """The schema.table names a query reads."""
    found = {f"{t.db}.{t.name}" for t in parse_one(sql, dialect="duckdb").find_all(exp.Table)}
    return sorted(found)


def session_minutes(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    """The UTC moments of sessions `first` to `last` (exchange dates): where their 1-minute
    bars are."""
    local = ZoneInfo(zone)
    low = datetime.combine(max(first, date(1900, 1, 2)), time.min, local)
    high = datetime.combine(min(last, date(9999, 12, 30)), time.max, local)
    return low.astimezone(UTC), high.astimezone(UTC)


def known_at(
    project: Project,
    db: ArrowReader,
    moment: datetime,
    outputs: Sequence[str],
    tickers: Sequence[str] | None,
    minutes: tuple[datetime, datetime] | None = None,
) -> Scratch:
    """A scratch database holding `outputs` (and everything they are computed from) as the
    warehouse held them at `moment`, for `tickers` (None: every ticker). 1-minute bars are read
    between `minutes` only (none when None): a minute is needed only where it is answered.
    The caller closes it."""
    chosen = plan(project, outputs)
    scratch = Scratch()
    try:
        for schema in {s.name.split(".")[0] for s in (*chosen.sources, *chosen.steps)}:
            scratch.create_schema(schema)
        for source in chosen.sources:
            sql, params = _source_query(source, moment.astimezone(UTC), tickers, minutes)
            scratch.load(quoted(source.name), db.arrow(sql, params, source.schema))
        for step in chosen.steps:
            evaluate(scratch, step, chosen.start)
    except BaseException:
        scratch.close()
        raise
    return scratch


def _source_query(
    source: Source,
    moment: datetime,
    tickers: Sequence[str] | None,
    minutes: tuple[datetime, datetime] | None,
) -> tuple[str, list[Any]]:
    """The SQL (`?` parameters, on DuckDB and PostgreSQL alike) that reads a source as it was
    at `moment`: the latest version of each key landed by then, or the rows of the landings
    landed by then, or (no landings: the universe, the calendar) the table as held."""
    columns = ", ".join(source.quoted_columns)
    history = HISTORY.get(source.name)
    alias = "v." if history is not None else ""
    clauses: list[str] = []
    params: list[Any] = []
    if tickers is not None and "ticker" in source.columns:
        clauses.append(f"{alias}ticker IN ({', '.join('?' for _ in tickers)})")
        params += list(tickers)
    if "interval" in source.columns:
        if minutes is None:
            clauses.append(f"{alias}interval <> '1m'")
        else:
            clauses.append(f"({alias}interval <> '1m' OR ({alias}ts >= ? AND {alias}ts <= ?))")
            params += list(minutes)
    if history is not None:
        # Per key, the latest version landed by then (load ids sort by landing time, as in
        # pipelines/ingest/bronze/versions.py).
        versions, key = history
        keys = ", ".join(key)
        where = "".join(f" AND {c}" for c in clauses)
        sql = (
            f"SELECT {', '.join(f'v.{c}' for c in source.quoted_columns)} FROM {versions} AS v "
            f"JOIN (SELECT {', '.join(f'v.{k}' for k in key)}, MAX(v.load_id) AS load_id "
            f"FROM {versions} AS v JOIN {LOADS} AS l ON l.load_id = v.load_id "
            f"WHERE l.landed_at <= ?{where} GROUP BY {', '.join(f'v.{k}' for k in key)}) "
            f"AS known USING ({keys}, load_id)"
        )
        return sql, [moment, *params]
    if "load_id" in source.columns:
        clauses.append(f"load_id IN (SELECT load_id FROM {LOADS} WHERE landed_at <= ?)")
        params.append(moment)
    if source.name == LOADS:
        clauses.append("landed_at <= ?")
        params.append(moment)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return f"SELECT {columns} FROM {source.name}{where}", params
