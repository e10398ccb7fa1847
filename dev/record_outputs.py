"""Record what the demo produces, to prove a refactor changed nothing (or only what it meant to).

    python dev/record_outputs.py record OUT [--backends duckdb,postgres]
    python dev/record_outputs.py compare BEFORE AFTER

`record` runs `marketflow demo` in a throwaway project per backend (the repository's models,
checks and config.yaml, as the tests build one), then keeps: every silver and gold table and
view (Parquet), `check --json`, the demo's summary line, and the answer of every API route for
the demo's tickers (through `marketflow serve`, over HTTP). It only uses the outside of the
product (the CLI, the API, the warehouse's tables), so the same script records before and after
a change of the Python code.

`compare` reports, per table and per answer, every cell that differs. What is different on
every run by nature is left out: load ids, fetch and update times, run ids, timings, and
/health's checked_at.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # dev.services when run as a script

from dev import services  # noqa: E402
from dev.compare_outputs import ROUNDING, VOLATILE_COLUMNS, compare_backend  # noqa: E402

PROJECT_FILES = ("models", "macros", "audits", "checks", "external_models.yaml", ".dlt")
AS_OF = "2026-11-20"
TICKERS = ("AAPL", "FB", "GOOG", "IBM", "MSFT")
BIN = Path(sys.executable).parent


def marketflow(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "marketflow"), "--config", str(project / "config.yaml"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "1000", **env},
        cwd=project,
        timeout=1800,
    )


def make_project(root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    for name in PROJECT_FILES:
        (root / name).symlink_to(REPO / name)
    return root


def services_env() -> dict[str, str]:
    """PostgreSQL and SeaweedFS up, and a fresh database pair: the environment to use them."""
    env = services.up(log=lambda _: None, write_env=False)
    return env | services.project_databases("rec")[1]


def query(backend: str, project: Path, env: dict[str, str], sql: str) -> pd.DataFrame:
    if backend == "postgres":
        import psycopg

        with psycopg.connect(services.owner_dsn(env), options="-c TimeZone=UTC") as conn:
            cursor = conn.execute(sql)
            return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])
    import duckdb

    with duckdb.connect(str(project / "data" / "warehouse.duckdb"), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.sql(sql).df()


def tables(backend: str, project: Path, env: dict[str, str]) -> list[str]:
    if backend == "postgres":
        sql = (
            "SELECT table_schema || '.' || table_name AS name FROM information_schema.tables "
            "WHERE table_schema IN ('silver', 'gold') ORDER BY 1"
        )
    else:
        sql = (
            "SELECT schema_name || '.' || table_name AS name FROM duckdb_tables() "
            "WHERE schema_name IN ('silver', 'gold') UNION "
            "SELECT schema_name || '.' || view_name FROM duckdb_views() "
            "WHERE schema_name IN ('silver', 'gold') ORDER BY 1"
        )
    return list(query(backend, project, env, sql)["name"])


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """One spelling per value whatever the engine: text for dates and times (UTC), float64
    for numbers, sorted rows."""
    out = pd.DataFrame(index=frame.index)
    for column in sorted(frame.columns):
        if column in VOLATILE_COLUMNS:
            continue
        values = frame[column]
        sample = values.dropna().iloc[0] if values.notna().any() else None
        if pd.api.types.is_datetime64_any_dtype(values):
            zoned = getattr(values.dtype, "tz", None) is not None
            as_ts = pd.to_datetime(values, utc=zoned)
            out[column] = as_ts.map(lambda v: None if pd.isna(v) else v.isoformat())
        elif hasattr(sample, "isoformat"):  # date or datetime objects (9999-12-31 included)
            out[column] = values.map(_iso)
        elif pd.api.types.is_bool_dtype(values) or isinstance(sample, bool):
            out[column] = values.map(lambda v: None if v is None else bool(v))
        elif pd.api.types.is_numeric_dtype(values) or isinstance(sample, int | float):
            out[column] = pd.to_numeric(values).astype("float64")
        else:
            out[column] = values.astype(object).where(values.notna(), None)
    keys = list(out.columns)
    return out.sort_values(keys, na_position="last").reset_index(drop=True) if keys else out


def _iso(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if getattr(value, "tzinfo", None) is not None:
        value = value.astimezone(UTC)
    return value.isoformat()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def routes() -> list[str]:
    paths = [
        "/health",
        "/v1/tickers",
        "/v1/prices/latest",
        "/v1/prices/latest?tickers=ibm,AAPL",
        "/v1/signals?limit=10000",
        "/v1/signals?since=2010-01-01&tickers=AAPL,MSFT",
        # Errors: the parameter named, the status.
        "/v1/bars/ZZZZ",
        "/v1/bars/AAPL?start=2005-13-01",
        "/v1/bars/AAPL?start=2006-01-01&end=2005-01-01",
        "/v1/bars/AAPL?limit=0",
        "/v1/bars/AAPL?cursor=nonsense",
        "/v1/features/AAPL?fields=nope",
        "/v1/signals?since=yesterday",
        "/v1/backtests/AAPL?fast=60&slow=50",
        "/v1/prices/latest?tickers=AAPL,ZZZZ",
        "/nonexistent",
    ]
    for ticker in TICKERS:
        paths += [
            f"/v1/bars/{ticker}?limit=1000",
            f"/v1/bars/{ticker}?limit=10000&adjusted=true",
            f"/v1/bars/{ticker}?interval=1m&start=2012-11-21&end=2012-11-26&limit=500",
            f"/v1/bars/{ticker}?interval=1m&start=2012-12-24&adjusted=true&limit=10000",
            f"/v1/features/{ticker}?limit=10000",
            f"/v1/features/{ticker}?fields=adj_close,rsi_14,vwap,vwap_source&start=2012-11-01",
            f"/v1/backtests/{ticker}",
            f"/v1/backtests/{ticker}?strategy=momentum&lookback=20&long_short=true",
        ]
    return paths


def fetch_all(base: str, path: str) -> dict[str, Any]:
    """The route's answer; a paginated one followed to its last page."""
    pages = []
    cursor = None
    while True:
        url = base + path + (("&" if "?" in path else "?") + f"cursor={cursor}" if cursor else "")
        try:
            with urllib.request.urlopen(url, timeout=120) as response:
                status, body = response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            status, body = exc.code, json.loads(exc.read() or b"null")
        pages.append({"status": status, "body": body})
        paging = body.get("paging") if isinstance(body, dict) else None
        cursor = (paging or {}).get("next_cursor")
        if not cursor or "cursor=" in path:
            return {"path": path, "pages": pages}


def record_api(project: Path, env: dict[str, str], out: Path) -> None:
    port = free_port()
    command = [str(BIN / "marketflow"), "--config", str(project / "config.yaml"), "serve"]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env={**os.environ, **env},
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/v1/tickers", timeout=30) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"marketflow serve did not start: {server.stderr.read()}")
            time.sleep(0.5)
        answers = [fetch_all(base, path) for path in routes()]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    (out / "api.json").write_text(json.dumps(answers, indent=1, sort_keys=True))


def record(out: Path, backend: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"record-{backend}-"))
    project = make_project(scratch / "project")
    env = {"MARKETFLOW_GATEWAY": "local", "MARKETFLOW_RAW_URL": "data/raw"}
    if backend == "postgres":
        env = services_env()
    started = time.perf_counter()
    demo = marketflow(project, env, "demo", "--as-of", AS_OF)
    print(f"  {backend}: demo exited {demo.returncode} in {time.perf_counter() - started:.0f} s")
    (out / "demo.stdout").write_text(demo.stdout)
    (out / "demo.stderr").write_text(demo.stderr)
    summary = next((ln for ln in demo.stdout.splitlines() if ln.startswith("Summary")), "")
    check = marketflow(project, env, "check", "--json", "--as-of", AS_OF)
    (out / "check.json").write_text(check.stdout)
    (out / "meta.json").write_text(
        json.dumps(
            {
                "demo_exit": demo.returncode,
                "check_exit": check.returncode,
                "summary": summary,
                "tables": tables(backend, project, env),
            },
            indent=1,
        )
    )
    folder = out / "tables"
    folder.mkdir(exist_ok=True)
    for name in tables(backend, project, env):
        plain(query(backend, project, env, f"SELECT * FROM {name}")).to_pickle(
            folder / f"{name}.pkl"
        )
    record_api(project, env, out)
    shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("out", type=Path)
    rec.add_argument("--backends", default="duckdb,postgres")
    cmp_ = sub.add_parser("compare")
    cmp_.add_argument("before", type=Path)
    cmp_.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "record":
        for backend in args.backends.split(","):
            record(args.out / backend, backend)
        return 0
    status = 0
    for folder in sorted(p for p in args.before.iterdir() if p.is_dir()):
        problems, rounding = compare_backend(folder, args.after / folder.name)
        print(f"{folder.name}: {'identical' if not problems else f'{len(problems)} differences'}")
        for line in problems[:200]:
            print(f"  {line}")
        if rounding:
            print(f"  last-bit rounding (within {ROUNDING:g} relative): {'; '.join(rounding)}")
        status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
