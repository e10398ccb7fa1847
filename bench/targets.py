"""The pipeline benchmark's tables: every step as measured, then each target of issue 18 with
the figure that decides it. Every ratio comes from the same bench run (one results file per
backend)."""

from __future__ import annotations

from collections.abc import Callable

from bench.measure import Measure

Results = dict[str, Measure]
# (what, backend or "*", target, figure, unit, limit): met when the figure is <= limit. A figure
# whose step was not run raises KeyError ("not measured").
TARGETS: list[tuple[str, str, str, Callable[[Results], float], str, float]] = [
    ("backfill / hand-written DuckDB + TA-Lib reference", "duckdb", "≤ 2×",
     lambda r: r["backfill"].seconds / r["reference"].seconds, "×", 2.0),
    ("backfill / bare COPY of the same bars", "postgres", "≤ 5×",
     lambda r: r["backfill"].seconds / r["floor"].seconds, "×", 5.0),
    ("incremental +1 session × tickers, s", "duckdb", "≤ 5 s",
     lambda r: r["incremental"].seconds, "s", 5.0),
    ("incremental +1 session × tickers, s", "postgres", "≤ 8 s",
     lambda r: r["incremental"].seconds, "s", 8.0),
    ("incremental after / before growth", "*", "≤ 1.1×",
     lambda r: r["incremental after growth"].seconds / r["incremental"].seconds, "×", 1.1),
    ("one-ticker backfill in the universe / in a 1-ticker universe", "*", "≤ 1.5×",
     lambda r: r["one-ticker backfill"].seconds
     / r["one-ticker backfill, 1-ticker universe"].seconds, "×", 1.5),
    ("1-minute incremental +1 session × tickers, s", "duckdb", "≤ 10 s",
     lambda r: r["1m incremental (+1 session)"].seconds, "s", 10.0),
    ("incremental: wall outside the stages (start-up, plan, summary), s", "*", "≤ 1.5 s",
     lambda r: r["incremental"].outside_stages, "s", 1.5),
    ("peak RSS of the backfill, MB", "*", "≤ 1,000 MB",
     lambda r: r["backfill"].peak_mb, "MB", 1000),
]  # fmt: skip
FORMATS = {"×": "{:.2f}×", "s": "{:.1f}", "MB": "{:,.0f}"}


def render(rows: list[tuple[str, Results]], bars: int, growth: int) -> str:
    lines = [
        f"SYNTHETIC data: {bars:,} daily bars; growth {growth}x; "
        "`python bench/pipeline_bench.py` (`make bench`), 2 cores.",
        "",
        "| backend | step | wall s | peak RSS MB | outside stages s | stages |",
        "|---|---|---:|---:|---:|---|",
    ]
    for backend, results in rows:
        for step, m in results.items():
            rss = f"{m.peak_mb:,.0f}" if m.peak_mb else "-"
            outside = f"{m.outside_stages:.1f}" if m.stages else ""
            stages = ", ".join(f"{k} {v:.1f}s" for k, v in m.stages.items())
            lines.append(f"| {backend} | {step} | {m.seconds:.1f} | {rss} | {outside} | {stages} |")
    lines += ["", "| target | backend | measured | target | met |", "|---|---|---:|---:|---|"]
    for what, only, target, figure, unit, limit in TARGETS:
        for backend, results in rows:
            if only not in ("*", backend):
                continue
            try:
                value = figure(results)
            except KeyError:
                lines.append(f"| {what} | {backend} | not measured | {target} | |")
                continue
            met = "yes" if value <= limit else "**no**"
            shown = FORMATS[unit].format(value)
            lines.append(f"| {what} | {backend} | {shown} | {target} | {met} |")
    return "\n".join(lines) + "\n"
