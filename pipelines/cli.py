"""`marketflow`: the command line (Typer + Rich).

Exit codes (SPEC.md): 0 success, 1 runtime failure, 2 invalid configuration or arguments (the
message names the key or flag), 3 data-quality failure.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pipelines.settings import (
    DEFAULT_CONFIG,
    EXIT_CONFIG,
    EXIT_DATA_QUALITY,
    EXIT_RUNTIME,
    TELEMETRY_OFF,
)

for _key, _value in TELEMETRY_OFF.items():
    os.environ.setdefault(_key, _value)

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from pipelines.config import ConfigError, Project, load_project  # noqa: E402

app = typer.Typer(
    name="marketflow",
    help="MarketFlow: market data from providers to a checked warehouse, an API and reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=False, highlight=False)
errors = Console(stderr=True, highlight=False)


class State:
    config: Path = Path(DEFAULT_CONFIG)


@app.callback()
def _global(
    config: Annotated[
        Path, typer.Option("--config", help="config.yaml to use", show_default=True)
    ] = Path(DEFAULT_CONFIG),
) -> None:
    State.config = config


# ---------------------------------------------------------------- option types and parsing

GatewayOpt = Annotated[
    str | None, typer.Option("--gateway", help="SQLMesh gateway (default: config's default)")
]
IntervalOpt = Annotated[
    str | None, typer.Option("--interval", help="1d or 1m (default: every configured interval)")
]
TickersOpt = Annotated[
    str | None, typer.Option("--tickers", help="comma-separated subset of the universe")
]
ProviderOpt = Annotated[
    str | None, typer.Option("--provider", help="provider name from config.yaml providers")
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="process and check as of this date or timestamp (default: now)"),
]


def _parse_interval(value: str | None) -> list[str] | None:
    if value is None:
        return None
    if value not in ("1d", "1m"):
        raise ConfigError(f"--interval: {value!r} is not 1d or 1m")
    return [value]


def _parse_tickers(value: str | None) -> list[str] | None:
    if value is None:
        return None
    tickers = [t.strip().upper() for t in value.split(",") if t.strip()]
    if not tickers:
        raise ConfigError("--tickers: give at least one ticker, e.g. --tickers AAPL,MSFT")
    return tickers


def _parse_date(flag: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{flag}: {value!r} is not a date (YYYY-MM-DD)") from None


def _parse_as_of(value: str | None, project: Project) -> datetime:
    """--as-of as an aware timestamp; a bare date means the end of that day at the exchange."""
    zone = ZoneInfo(project.settings.exchange.timezone)
    if value is None:
        return datetime.now(UTC)
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.max.time(), zone)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--as-of: {value!r} is not an ISO date or timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _session_day(moment: datetime, project: Project) -> date:
    return moment.astimezone(ZoneInfo(project.settings.exchange.timezone)).date()


# ---------------------------------------------------------------- error handling


def _fail(code: int, message: str) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}", soft_wrap=True)
    return typer.Exit(code)


def _guarded(action: Any) -> Any:
    """Run a command body, mapping known failures to SPEC's exit codes and messages."""
    from pipelines.preflight import WarehouseUnavailable
    from pipelines.raw_store import RawStoreError
    from pipelines.transform import TransformError

    try:
        return action()
    except ConfigError as exc:
        raise _fail(EXIT_CONFIG, str(exc)) from None
    except (RawStoreError, TransformError, WarehouseUnavailable) as exc:
        raise _fail(EXIT_RUNTIME, str(exc)) from None
    except typer.Exit:
        raise
    except Exception as exc:
        if os.environ.get("MARKETFLOW_DEBUG"):
            raise
        raise _fail(EXIT_RUNTIME, _describe_exception(exc)) from None


def _describe_exception(exc: BaseException) -> str:
    """The innermost meaningful message of a chain (dlt wraps errors several times)."""
    messages = []
    while exc is not None:
        messages.append(f"{type(exc).__name__}: {exc}".strip())
        exc = exc.__cause__ or exc.__context__
    return (
        messages[-1]
        if len(messages) == 1
        else f"{messages[0].splitlines()[0]}\n  cause: {messages[-1]}"
    )


# ---------------------------------------------------------------- commands


@app.command()
def demo(gateway: GatewayOpt = None, as_of: AsOfOpt = None) -> None:
    """Offline: stage the bundled real dataset into the drop folder and run the whole pipeline."""
    from pipelines import demo as demo_data
    from pipelines.providers import uses_drop_files
    from pipelines.runner import RunOptions

    def body() -> int:
        project = load_project(State.config, gateway)
        name = project.settings.intervals.get("1d")
        if name is None or not uses_drop_files(project, name):
            raise ConfigError(
                "intervals.1d: the demo needs a files provider for daily bars (as in the "
                "shipped config.yaml)"
            )
        drop = project.path(project.settings.providers[name].drop_folder)
        staged = demo_data.stage(drop)
        console.print(
            f"Staged the bundled dataset (bokeh_sampledata, Quandl WIKI, public domain) into "
            f"{drop}: {staged['bars']:,} daily bars of {staged['tickers']} tickers and "
            f"{staged['corporate_actions']} corporate actions derived from Adj Close."
        )
        intervals = ["1d"]
        minute_provider = project.settings.intervals.get("1m")
        if minute_provider is not None and uses_drop_files(project, minute_provider):
            minute_drop = project.path(project.settings.providers[minute_provider].drop_folder)
            minutes = demo_data.stage_minutes(minute_drop)
            first, last = demo_data.MINUTE_SESSIONS
            console.print(
                f"Staged {minutes:,} SYNTHETIC 1-minute bars ({first} to {last}, derived from "
                "the real daily bars; no package ships real ones)."
            )
            intervals.append("1m")
        moment = _parse_as_of(as_of, project)
        options = RunOptions(
            intervals=intervals,
            as_of=_session_day(moment, project),
            now=moment,
            full_checks=True,
        )
        code = _execute_run(project, options, title="demo")
        console.print(
            "\n[bold]Next[/bold]\n"
            "  marketflow check                      the data-quality table\n"
            "  marketflow run                        incremental refresh (new drop files)\n"
            "  marketflow backfill --start 2005-01-01 --end 2005-12-31 --tickers AAPL\n"
            "  sqlmesh plan dev                      change a model in a virtual environment\n"
            '  sqlmesh fetchdf "SELECT * FROM gold.latest_prices"   query the local warehouse'
        )
        return code

    raise typer.Exit(_guarded(body))


@app.command()
def run(
    interval: IntervalOpt = None,
    tickers: TickersOpt = None,
    provider: ProviderOpt = None,
    gateway: GatewayOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Incremental refresh: ingest -> raw -> bronze -> silver/gold -> checks."""
    from pipelines.runner import RunOptions

    def body() -> int:
        project = load_project(State.config, gateway)
        options = RunOptions(
            intervals=_parse_interval(interval),
            tickers=_parse_tickers(tickers),
            provider=provider,
            as_of=_session_day(moment := _parse_as_of(as_of, project), project),
            now=moment,
        )
        return _execute_run(project, options, title="run")

    raise typer.Exit(_guarded(body))


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--start", help="first session, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="last session, YYYY-MM-DD")],
    interval: IntervalOpt = None,
    tickers: TickersOpt = None,
    provider: ProviderOpt = None,
    gateway: GatewayOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """The same as run over an explicit historical window; silver and gold are restated."""
    from pipelines.runner import RunOptions

    def body() -> int:
        project = load_project(State.config, gateway)
        options = RunOptions(
            intervals=_parse_interval(interval),
            tickers=_parse_tickers(tickers),
            provider=provider,
            start=_parse_date("--start", start),
            end=_parse_date("--end", end),
            as_of=_session_day(moment := _parse_as_of(as_of, project), project),
            now=moment,
        )
        return _execute_run(project, options, title="backfill")

    raise typer.Exit(_guarded(body))


@app.command()
def check(
    as_of: AsOfOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    gateway: GatewayOpt = None,
) -> None:
    """Data-quality checks, as a table or JSON; exit 3 when a fail-level check fails."""
    from pipelines.checks import failed, run_checks

    def body() -> int:
        from pipelines import ops

        project = load_project(State.config, gateway)
        moment = _parse_as_of(as_of, project)
        record = ops.RunRecord(command="check", arguments=sys.argv[1:])
        try:
            results = run_checks(project, moment)
        except BaseException as exc:
            record.finish(EXIT_RUNTIME, error=_describe_exception(exc))
            _log_run(project, record)
            raise
        record.add_checks(results)
        record.finish(EXIT_DATA_QUALITY if failed(results) else 0)
        if as_json:
            payload = {
                "run_id": record.run_id,
                "as_of": moment.isoformat(),
                "checks": [r.as_dict() for r in results],
                "failed": len(failed(results)),
            }
            sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
        else:
            _print_checks(results)
        _log_run(project, record)
        return record.exit_code

    raise typer.Exit(_guarded(body))


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="uvicorn worker processes")] = 1,
    gateway: GatewayOpt = None,
) -> None:
    """The read-only API (OpenAPI docs at /docs)."""

    def body() -> int:
        import uvicorn

        project = load_project(State.config, gateway)
        if not 1 <= port <= 65535:
            raise ConfigError(f"--port: {port} is not a TCP port")
        if workers < 1:
            raise ConfigError(f"--workers: {workers} must be at least 1")
        # The workers build the app from these (uvicorn imports api.main:create_app).
        os.environ["MARKETFLOW_CONFIG"] = str(project.config_path)
        if gateway:
            os.environ["MARKETFLOW_GATEWAY"] = gateway
        console.print(
            f"[bold]marketflow serve[/bold]: {project.warehouse.display} read-only on "
            f"http://{host}:{port} (docs at /docs)"
        )
        uvicorn.run(
            "api.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
        )
        return 0

    raise typer.Exit(_guarded(body))


@app.command()
def calendar(
    at: Annotated[
        str | None, typer.Option("--at", help="the moment to ask about (default: now)")
    ] = None,
    session_open: Annotated[
        bool,
        typer.Option(
            "--session-open", help="exit 0 if a session is open (or closed within --grace)"
        ),
    ] = False,
    closed_within: Annotated[
        str | None,
        typer.Option(
            "--closed-within", help="exit 0 if a session closed within this long, e.g. 6h, 90m"
        ),
    ] = None,
    grace: Annotated[str, typer.Option("--grace", help="with --session-open")] = "0m",
) -> None:
    """The exchange calendar for schedulers: is there a session for this slot? Exit 0 yes,
    4 no (a weekend, a holiday, outside hours), so a scheduled job can skip cleanly."""
    from pipelines import calendar as exchange_calendar
    from pipelines.settings import EXIT_NO_SESSION

    def body() -> int:
        project = load_project(State.config)
        name = project.settings.exchange.calendar
        zone = ZoneInfo(project.settings.exchange.timezone)
        now = _parse_as_of(at, project) if at else datetime.now(UTC)
        if session_open and closed_within:
            raise ConfigError("--session-open and --closed-within: choose one")
        for flag, value in (("--grace", grace), ("--closed-within", closed_within)):
            if value is not None:
                _duration(flag, value)  # a bad duration exits 2 before anything is printed
        local = now.astimezone(zone)
        current = exchange_calendar.session_around(name, now)
        last_close = exchange_calendar.latest_close(name, now)
        if current is not None:
            opened = current["market_open"].tz_convert(zone)
            closes = current["market_close"].tz_convert(zone)
            console.print(
                f"{local:%Y-%m-%d %H:%M %Z}: {name} session open ({opened:%H:%M}-{closes:%H:%M})"
            )
        else:
            last = last_close.tz_convert(zone) if last_close is not None else None
            console.print(
                f"{local:%Y-%m-%d %H:%M %Z}: {name} closed"
                + (f"; last close {last:%Y-%m-%d %H:%M %Z}" if last is not None else "")
            )
        if session_open:
            slot = exchange_calendar.has_session_slot(name, now, _duration("--grace", grace))
            return 0 if slot else EXIT_NO_SESSION
        if closed_within:
            window = _duration("--closed-within", closed_within)
            return 0 if exchange_calendar.closed_within(name, now, window) else EXIT_NO_SESSION
        return 0

    raise typer.Exit(_guarded(body))


def _duration(flag: str, value: str) -> timedelta:
    units = {"m": "minutes", "h": "hours", "d": "days"}
    number, unit = value[:-1], value[-1:]
    if unit not in units or not number.isdigit():
        raise ConfigError(f"{flag}: {value!r} is not a duration like 90m, 6h or 1d")
    return timedelta(**{units[unit]: int(number)})


@app.command()
def backtest(
    ticker: Annotated[str, typer.Option("--ticker", help="a ticker of the universe")],
    strategy: Annotated[
        str, typer.Option("--strategy", help="sma_cross or momentum")
    ] = "sma_cross",
    fast: Annotated[int, typer.Option("--fast", help="sma_cross: fast SMA, sessions")] = 50,
    slow: Annotated[int, typer.Option("--slow", help="sma_cross: slow SMA, sessions")] = 200,
    lookback: Annotated[int, typer.Option("--lookback", help="momentum: sessions")] = 20,
    long_short: Annotated[
        bool | None, typer.Option("--long-short/--long-only", help="default from config.yaml")
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="first session")] = None,
    end: Annotated[str | None, typer.Option("--end", help="last session")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    gateway: GatewayOpt = None,
) -> None:
    """Backtest a strategy on one ticker's adjusted daily prices; print its metrics."""
    from pipelines import backtest as bt

    def body() -> int:
        project = load_project(State.config, gateway)
        name = ticker.strip().upper()
        if name not in project.settings.universe.members:
            raise ConfigError(f"--ticker: {name!r} is not in the universe of config.yaml")
        try:
            params = bt.Params.from_settings(
                project.settings.backtest,
                long_short,
                strategy=strategy,
                fast=fast,
                slow=slow,
                lookback=lookback,
            )
        except ValueError as exc:
            raise ConfigError(f"--{str(exc).split(':')[0].split(' ')[0]}: {exc}") from None
        first = _parse_date("--start", start) if start else None
        last = _parse_date("--end", end) if end else None
        bars = bt.load_bars(project, name, first, last)
        if len(bars) < 2:
            raise ConfigError(f"--ticker: {name} has fewer than two sessions in the window")
        result = bt.run(bars, params)
        if as_json:
            sys.stdout.write(json.dumps(result.as_dict(), default=str) + "\n")
            return 0
        table = Table(title=f"Backtest {name}: {params.describe()}", title_justify="left")
        table.add_column("metric")
        table.add_column("value", justify="right")
        for key, value in result.metrics.items():
            table.add_row(key, _format_metric(key, value))
        console.print(table)
        return 0

    raise typer.Exit(_guarded(body))


@app.command()
def report(gateway: GatewayOpt = None) -> None:
    """Build the Evidence report site into report.build_dir (npm ci the first time; offline)."""
    from pipelines import report as site

    def body() -> int:
        project = load_project(State.config, gateway)
        console.print(
            f"[bold]marketflow report[/bold]: {project.warehouse.display} -> "
            f"{project.settings.report.build_dir}"
        )
        try:
            summary = site.build(project, log=console.print)
        except site.ReportError as exc:
            raise _fail(EXIT_RUNTIME, str(exc)) from None
        took = sum(summary.steps.values())
        console.print(
            f"report: {summary.pages} pages, {summary.backtests} backtests, "
            f"{summary.megabytes:,.1f} MB in {summary.build} ({took:.1f} s)\n"
            f"view it: python -m http.server 8080 --bind 127.0.0.1 --directory {summary.build}"
        )
        return 0

    raise typer.Exit(_guarded(body))


def _format_metric(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in ("total_return", "cagr", "max_drawdown", "exposure", "win_rate") or key.endswith(
        "_return"
    ):
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


# ---------------------------------------------------------------- run + summary


def _execute_run(project: Project, options: Any, title: str) -> int:
    """The run, logged to ops.runs and alerted on whatever its outcome."""
    from pipelines import ops

    record = ops.RunRecord(command=title, arguments=sys.argv[1:])
    try:
        code = _run_and_report(project, options, title, record)
    except BaseException as exc:
        code = EXIT_CONFIG if isinstance(exc, ConfigError) else EXIT_RUNTIME
        if isinstance(exc, typer.Exit | KeyboardInterrupt | SystemExit):
            code = getattr(exc, "exit_code", None) or getattr(exc, "code", None) or EXIT_RUNTIME
        record.finish(code, error=_describe_exception(exc))
        _log_run(project, record)
        raise
    record.finish(code)
    _log_run(project, record)
    return code


def _log_run(project: Project, record: Any) -> None:
    from pipelines import ops

    try:
        ops.write_run(project, record)
    except Exception as exc:  # the run's own outcome stands
        errors.print(f"[yellow]run log not written[/yellow]: {_describe_exception(exc)}")
    outcome = ops.send_alert(project, record)
    if outcome:  # on stderr: `check --json` keeps stdout for the JSON
        errors.print(f"  {outcome}")


def _run_and_report(project: Project, options: Any, title: str, record: Any) -> int:
    from pipelines.checks import failed
    from pipelines.runner import run_pipeline

    started = time.perf_counter()
    console.print(
        f"[bold]marketflow {title}[/bold]: warehouse {project.warehouse.display}, "
        f"raw store {project.raw_url}  (run {record.run_id})"
    )
    report = run_pipeline(project, options, console)
    record.rows = {
        "landed_bars": report.landed_rows("bars"),
        "landed_corporate_actions": report.landed_rows("corporate_actions"),
        "bronze_bars": report.bronze.bars if report.bronze else 0,
        "bronze_corporate_actions": report.bronze.corporate_actions if report.bronze else 0,
    }
    record.failed_tickers = [str(r) for r in report.rejections if r.kind == "ticker"]
    record.add_checks(report.checks)
    _print_summary(project, report, time.perf_counter() - started, whole=options.full_checks)
    if report.checks:
        _print_checks(report.checks, only_problems=True)
    files = [r for r in report.rejections if r.kind == "file"]
    tickers = [r for r in report.rejections if r.kind == "ticker"]
    if files:
        errors.print(
            f"[red]{len(files)} input file(s) rejected[/red]; nothing from them was "
            "loaded. Fix them and run again:"
        )
        for rejection in files:
            errors.print(f"  {rejection}")
    if tickers:
        tolerated = len(tickers) <= report.tolerated_failures
        colour = "yellow" if tolerated else "red"
        errors.print(
            f"[{colour}]{len(tickers)} ticker(s) failed[/{colour}] after the retries; every "
            "other ticker was loaded"
            + (" (within providers.<name>.max_failed_tickers)" if tolerated else "")
            + ":"
        )
        for rejection in tickers:
            errors.print(f"  {rejection}")
    if files or len(tickers) > report.tolerated_failures:
        return EXIT_RUNTIME
    if failed(report.checks):
        errors.print(f"[red]{len(failed(report.checks))} data-quality check(s) failed[/red]")
        return EXIT_DATA_QUALITY
    return 0


def _print_summary(project: Project, report: Any, seconds: float, whole: bool) -> None:
    """Per ticker: bars and sessions covered. `whole` describes the warehouse (the demo);
    otherwise only what this run restated, so a run costs the same on any history."""
    from pipelines.checks import row_counts
    from pipelines.transform import sqlmesh_context

    since = None if whole else (report.transform.restated_from if report.transform else None)
    context = sqlmesh_context(project)
    try:
        per_ticker = []
        if whole or since is not None:
            where = f"WHERE session_date >= '{since}'" if since else ""
            per_ticker = context.engine_adapter.fetchall(
                "SELECT ticker, COUNT(*), MIN(session_date), MAX(session_date) "
                f"FROM silver.bars_daily_continuous {where} GROUP BY ticker ORDER BY ticker"
            )
        counts = row_counts(context) if whole else {}
    finally:
        context.close()

    if per_ticker and len(per_ticker) <= 50:
        title = "Daily bars in silver" if whole else f"Daily bars restated since {since}"
        table = Table(title=title, title_justify="left")
        for column in ("ticker", "bars", "first session", "last session"):
            table.add_column(column, justify="right" if column == "bars" else "left")
        for ticker, n, first, last in per_ticker:
            table.add_row(ticker, f"{n:,}", str(first), str(last))
        console.print(table)
    if counts:
        sizes = Table(title="Warehouse", title_justify="left")
        sizes.add_column("table")
        sizes.add_column("rows", justify="right")
        for name, n in counts.items():
            sizes.add_row(name, "-" if n is None else f"{n:,}")
        console.print(sizes)

    scope = "" if whole else " restated"
    bars = sum(r[1] for r in per_ticker)
    span = (
        f" from {min(r[2] for r in per_ticker)} to {max(r[3] for r in per_ticker)}"
        if per_ticker
        else ""
    )
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items())
    statuses = [r.status for r in report.checks]
    words = {"pass": "passed", "warn": "warned", "fail": "failed", "skip": "skipped"}
    tally = ", ".join(
        f"{statuses.count(status)} {word}"
        for status, word in words.items()
        if statuses.count(status) or status == "pass"
    )
    console.print(
        f"[bold]Summary[/bold]: {len(per_ticker)} tickers, {bars:,}{scope} daily bars{span}; "
        f"landed {report.landed_rows('bars'):,} bars this run"
        + (f"; checks: {tally}" if report.checks else "")
        + f"; {seconds:.1f}s ({stages})"
    )


def _print_checks(results: list[Any], only_problems: bool = False) -> None:
    shown = [r for r in results if r.status in ("warn", "fail")] if only_problems else results
    if only_problems and not shown:
        skipped = sum(r.status == "skip" for r in results)
        console.print(
            f"[green]All {len(results) - skipped} checks passed[/green]"
            + (f" ({skipped} skipped)." if skipped else ".")
        )
        return
    table = Table(title="Data-quality checks", title_justify="left")
    for column in ("check", "table", "severity", "status", "value", "threshold", "detail"):
        table.add_column(column)
    colours = {"pass": "green", "warn": "yellow", "fail": "red", "skip": "dim"}
    for r in shown:
        table.add_row(
            r.name,
            r.table,
            r.severity,
            f"[{colours[r.status]}]{r.status}[/]",
            "-" if r.value is None else str(r.value),
            r.threshold,
            r.detail,
        )
    # Piped output gets room for the check names and details (rich would assume 80 columns).
    out = console if console.is_terminal else Console(highlight=False, width=170)
    out.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
