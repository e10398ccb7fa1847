"""Macros of the bars every silver model starts from: the exchange's zone and session dates,
bronze's bars as traded (@as_traded_bars), and the primary's bars with reconciliation's policy
applied (@reconciled_bars). One file, because a macro that builds on another calls it as a
Python function: a macro named only inside generated SQL is not one SQLMesh knows the model
uses."""

from __future__ import annotations

import re

from sqlglot import exp
from sqlmesh import macro
from sqlmesh.core.macros import MacroEvaluator

from pipelines.analytics.reconciliation import agree_sql, setting


@macro()
def exchange_tz(evaluator: MacroEvaluator) -> exp.Expression:
    """The exchange's time zone: session dates are dates in this zone."""
    zone = (evaluator.var("exchange") or {}).get("timezone", "America/New_York")
    return exp.Literal.string(zone)


@macro()
def session_date(evaluator: MacroEvaluator, ts: exp.Expression) -> exp.Expression:
    """The date of a UTC timestamp in the exchange's zone."""
    local = exp.AtTimeZone(this=ts, zone=exchange_tz(evaluator))
    return exp.cast(local, exp.DataType.build("date"))


@macro()
def as_traded_bars(
    evaluator: MacroEvaluator,
    interval: exp.Expression,
    table: exp.Expression | None = None,
    lookback_days: exp.Expression | None = None,
) -> exp.Expression:
    """The bronze bars of one interval that the model's [start, end] can hold (and
    `lookback_days` more before it), as traded: Yahoo-style (split_adjusted) bars were divided
    by every split between the bar and its fetch, so those splits are multiplied back in. The
    one place every interval and provider gets this from. `table`: bronze.bars (the primary's)
    or bronze.secondary_bars (the latest version of each secondary provider's bar). A session
    date is a date in the exchange's zone; a day either side of the window covers every offset."""
    d = evaluator.dialect
    source = table.sql(dialect=d) if table is not None else "bronze.bars"
    before = 1 + (int(lookback_days.name) if lookback_days is not None else 0)

    def local_date(column: str) -> str:
        return session_date(evaluator, exp.column(column, table="b")).sql(dialect=d)

    window = (
        f"interval = {interval.sql(dialect=d)} "
        f"AND ts >= CAST(@start_ds AS TIMESTAMPTZ) - INTERVAL '{before}' DAY "
        "AND ts < CAST(@end_ds AS TIMESTAMPTZ) + INTERVAL '2' DAY"
    )
    if source == "bronze.bars":
        chosen = f"SELECT * FROM bronze.bars WHERE {window}"
    else:  # every version of a key is kept there: the latest of each provider's
        key = "ticker, interval, ts, source"
        chosen = (
            f"SELECT v.* FROM {source} AS v JOIN (SELECT {key}, MAX(load_id) AS load_id "
            f"FROM {source} WHERE {window} GROUP BY {key}) AS latest USING ({key}, load_id)"
        )
    # Names of its own for each expansion: SQLMesh lifts the CTEs of every subquery to the top,
    # where Spark refuses a name twice (a model may read both sides, and both intervals).
    tag = re.sub(r"\W+", "_", f"{source}_{interval.name}_{before}")
    bars, splits = f"interval_bars_{tag}", f"splits_after_{tag}"
    query = exp.maybe_parse(
        f"""
        WITH {bars} AS (
          {chosen}
        ), {splits} AS (
          SELECT b.ticker, b.ts, b.source, EXP(SUM(LN(s.value))) AS factor
          FROM {bars} AS b
          JOIN silver.corporate_actions AS s
            ON s.ticker = b.ticker
            AND s.action = 'split'
            AND s.ex_date > {local_date("ts")}
            AND s.ex_date <= {local_date("fetched_at")}
          WHERE b.price_basis = 'split_adjusted'
          GROUP BY b.ticker, b.ts, b.source
        )
        SELECT
          b.ticker,
          b.ts,
          {local_date("ts")} AS session_date,
          b.open * COALESCE(f.factor, 1.0) AS open,
          b.high * COALESCE(f.factor, 1.0) AS high,
          b.low * COALESCE(f.factor, 1.0) AS low,
          b.close * COALESCE(f.factor, 1.0) AS close,
          b.volume / COALESCE(f.factor, 1.0) AS volume,
          b.provider_adj_close,
          b.source,
          b.load_id
        FROM {bars} AS b
        LEFT JOIN {splits} AS f
          ON f.ticker = b.ticker AND f.ts = b.ts AND f.source = b.source
        """,
        dialect=d,
    )
    expanded = evaluator.transform(query)  # @start_ds, @end_ds
    assert isinstance(expanded, exp.Expression)
    return exp.paren(expanded, copy=False)


@macro()
def reconciled_bars(evaluator: MacroEvaluator, interval: exp.Expression) -> exp.Expression:
    """The primary's bars of one interval as traded (@as_traded_bars), with `disagreement`:
    NULL, or why the interval's reconciliation policy refuses the bar. flag (and no
    reconciliation): every bar as sent, none refused (nothing is read but bronze). refuse: a
    bar a secondary sent other values for is refused. majority: the bar most providers agree
    on, if more than half do (the primary's first), in place of the primary's; none such:
    refused."""
    d = evaluator.dialect
    name = interval.name
    variable = evaluator.var("reconciliation")
    policy = setting(variable, name, "policy") or "flag"
    quoted = f"'{name}'"
    primary = as_traded_bars(evaluator, interval).sql(dialect=d)
    if policy == "flag":
        sql = f"SELECT b.*, CAST(NULL AS TEXT) AS disagreement FROM {primary} AS b"
    elif policy == "refuse":
        sql = f"""
        SELECT b.*, r.reason AS disagreement
        FROM {primary} AS b
        LEFT JOIN (
          SELECT ticker, ts, MIN(reason) AS reason
          FROM silver.reconciliation
          WHERE interval = {quoted}
            AND NOT agrees
            AND reason <> 'missing_secondary'
            AND session_date BETWEEN @start_ds AND @end_ds
          GROUP BY ticker, ts
        ) AS r
          ON r.ticker = b.ticker AND r.ts = b.ts
        """
    else:
        secondary = as_traded_bars(evaluator, interval, exp.to_table("bronze.secondary_bars"))
        bps = float(setting(variable, name, "price_bps"))  # type: ignore[arg-type]
        pct = float(setting(variable, name, "volume_pct"))  # type: ignore[arg-type]
        agree = agree_sql("a", "o", bps, pct)
        sql = _majority(primary, secondary.sql(dialect=d), agree)
    query = evaluator.transform(exp.maybe_parse(sql, dialect=d))
    assert isinstance(query, exp.Expression)
    return exp.paren(query, copy=False)


def _majority(primary: str, secondary: str, agree: str) -> str:
    """Every provider's bar of each key (the primary ranked first), each one's support (the
    providers whose bar agrees with it, itself included), and per key the best supported: kept
    when more than half of the providers that answered support it; else the primary's bar,
    refused (a key only secondaries sent, without a majority, is dropped)."""
    return f"""
    WITH candidates AS (
      SELECT p.*, 0 AS provider_rank FROM {primary} AS p
      UNION ALL
      SELECT s.*, 1 AS provider_rank FROM {secondary} AS s
    ), support AS (
      SELECT a.ticker, a.ts, a.source, COUNT(*) AS supporters
      FROM candidates AS a
      JOIN candidates AS o
        ON o.ticker = a.ticker AND o.ts = a.ts AND {agree}
      GROUP BY a.ticker, a.ts, a.source
    ), voters AS (
      SELECT ticker, ts, COUNT(*) AS providers
      FROM candidates
      GROUP BY ticker, ts
    ), ranked AS (
      SELECT
        c.*,
        COALESCE(s.supporters, 0) * 2 > v.providers AS has_majority,
        ROW_NUMBER() OVER (
          PARTITION BY c.ticker, c.ts
          ORDER BY COALESCE(s.supporters, 0) DESC, c.provider_rank, c.source
        ) AS choice
      FROM candidates AS c
      JOIN voters AS v
        ON v.ticker = c.ticker AND v.ts = c.ts
      LEFT JOIN support AS s
        ON s.ticker = c.ticker AND s.ts = c.ts AND s.source = c.source
    ), decided AS (
      SELECT ticker, ts, MAX(CASE WHEN choice = 1 AND has_majority THEN 1 ELSE 0 END) AS decided
      FROM ranked
      GROUP BY ticker, ts
    )
    SELECT
      r.ticker, r.ts, r.session_date, r.open, r.high, r.low, r.close, r.volume,
      r.provider_adj_close, r.source, r.load_id,
      CASE WHEN d.decided = 0 THEN 'no_majority' END AS disagreement
    FROM ranked AS r
    JOIN decided AS d
      ON d.ticker = r.ticker AND d.ts = r.ts
    WHERE (d.decided = 1 AND r.choice = 1) OR (d.decided = 0 AND r.provider_rank = 0)
    """
