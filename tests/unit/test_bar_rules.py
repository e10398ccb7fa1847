"""The bar rules and quarantine reasons have one home (pipelines/analytics/bar_rules.py): the SQL
it writes refuses exactly the hand-checked bad bars, every reason is counted by one fault check,
and the models, the audit and the contracts use it rather than copies of it."""

from __future__ import annotations

import math
import re

import duckdb
import pytest
import sqlglot
import yaml

from pipelines.analytics import bar_rules
from pipelines.config import load_project
from pipelines.quality.contract_variables import variables
from pipelines.quality.contracts import contracts
from pipelines.run.options import run_moment
from tests.conftest import REPO, make_project

NAN = math.nan
INF = math.inf
# (open, high, low, close, volume) -> the reason, checked by hand against the rule's wording.
BARS = [
    ((10, 11, 9, 10.5, 100), None),
    ((10, 10, 10, 10, 0), None),  # a flat bar with no volume is a bar
    ((None, 11, 9, 10, 100), "missing price"),
    ((10, NAN, 9, 10, 100), "missing price"),  # NaN is missing, not a number
    ((10, 11, 9, None, 100), "missing price"),
    ((10, INF, 9, INF, 100), "non-finite price"),  # inf passes every comparison but LN
    ((10, 11, -INF, 10, 100), "non-finite price"),
    ((10, 11, 9, 10, INF), "negative or missing volume"),
    ((0, 11, 9, 10, 100), "non-positive price"),
    ((10, 11, -1, 10, 100), "non-positive price"),
    ((10, 9, 11, 10, 100), "high below low"),
    ((12, 11, 9, 10, 100), "open outside low-high"),
    ((8, 11, 9, 10, 100), "open outside low-high"),
    ((10, 11, 9, 11.5, 100), "close outside low-high"),
    ((10, 11, 9, 10, -1), "negative or missing volume"),
    ((10, 11, 9, 10, None), "negative or missing volume"),
    ((10, 11, 9, 10, NAN), "negative or missing volume"),
    ((0, 9, 11, 12, -5), "non-positive price"),  # the first rule broken names the bar
]


def test_the_price_rules_name_each_bad_bar() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE b (open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE)"
    )
    con.executemany("INSERT INTO b VALUES (?, ?, ?, ?, ?)", [bar for bar, _ in BARS])
    rule = bar_rules.price_problem_sql("open", "high", "low", "close", "volume")
    got = [r[0] for r in con.execute(f"SELECT {rule} FROM b").fetchall()]
    assert got == [reason for _, reason in BARS]


def test_the_rules_transpile_for_postgresql() -> None:
    rule = bar_rules.price_problem_sql("open", "high", "low", "close", "volume")
    text = sqlglot.transpile(rule, read="duckdb", write="postgres")[0]
    assert "DOUBLE PRECISION" in text and "'NaN'" in text


def test_every_reason_is_counted_by_exactly_one_fault() -> None:
    con = duckdb.connect()
    texts = [r.text + (" 1 of 2" if r.key in bar_rules.NUMBERED else "") for r in bar_rules.REASONS]
    con.execute("CREATE TABLE q (reason TEXT)")
    con.executemany("INSERT INTO q VALUES (?)", [[t] for t in texts])
    counted = {}
    for fault in bar_rules.FAULTS:
        for (reason,) in con.execute(
            f"SELECT reason FROM q WHERE {bar_rules.fault_condition(fault)}"
        ).fetchall():
            counted.setdefault(reason, []).append(fault)
    assert {t: len(f) for t, f in counted.items()} == dict.fromkeys(texts, 1)
    assert counted["conflicting duplicate 1 of 2"] == ["duplicates"]


def test_a_new_reason_is_counted_by_its_fault(monkeypatch) -> None:
    extra = bar_rules.Reason("stale_quote", "stale quote", "prices")
    monkeypatch.setattr(bar_rules, "REASONS", (*bar_rules.REASONS, extra))
    assert "'stale quote'" in bar_rules.fault_condition("prices")
    with pytest.raises(ValueError, match="no fault"):
        bar_rules.fault_condition("weather")


def test_models_take_reasons_and_rules_from_the_one_list() -> None:
    texts = {r.text for r in bar_rules.REASONS} | {r[1] for r in bar_rules.ACTION_REASONS}
    keys = {r.key for r in bar_rules.REASONS} | {r[0] for r in bar_rules.ACTION_REASONS}
    for path in sorted((REPO / "models").rglob("*.sql")):
        sql = path.read_text()
        literals = set(re.findall(r"'([^']*)'", sql))
        copied = sorted(t for t in texts if any(lit.strip() == t for lit in literals))
        assert not copied, f"{path.name} spells reasons {copied}: use @quarantine_reason"
        for key in re.findall(r"@quarantine_reason\((\w+)\)", sql):
            assert key in keys, f"{path.name}: no quarantine reason {key!r}"
        assert "<= 0 OR" not in sql, f"{path.name} writes a price rule: use @price_problem"
    audit = (REPO / "audits" / "ohlc_sane.sql").read_text()
    assert "@price_problem(open, high, low, close, volume) IS NOT NULL" in audit


def test_contracts_read_the_rules_from_variables(tmp_path) -> None:
    project = load_project(make_project(tmp_path).config)
    values = variables(project, run_moment(project, "2026-11-20"))
    used = set()
    for contract in contracts(project):
        text = contract.path.read_text()
        assert "low <= 0" not in text and "'not a session'" not in text, contract.path.name
        for name in re.findall(r"\$\{var\.([A-Z_]+)\}", text):
            assert name in values, f"{contract.path.name}: ${{var.{name}}} gets no value"
            assert name in (yaml.safe_load(text).get("variables") or {}), contract.path.name
            used.add(name)
    assert {"PRICE_PROBLEM", "PRICES_REASONS", "CALENDAR_REASONS", "DUPLICATES_REASONS"} <= used
    assert values["PRICES_REASONS"] == bar_rules.fault_condition("prices")
