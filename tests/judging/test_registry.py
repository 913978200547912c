"""The rule registry (``cors_audit/judging/rules/registry.py``): every rule is one unit in its own
module, listed once, and every table other stages read is derived from it."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

from cors_audit.core.models import OriginClass
from cors_audit.judging.rules import RULES, RULES_BY_ID, Claim, RuleSpec, rules_claiming
from cors_audit.judging.rules.base import OriginCheck, Setting
from cors_audit.judging.rules.registry import (
    CHECKS,
    ORDER,
    ORIGIN_CLASSES,
    ORIGIN_RULES,
    RULE_MODULES,
)

RULES_DIR = Path(__file__).resolve().parents[2] / "cors_audit" / "judging" / "rules"


def _rule_modules() -> list[str]:
    """The modules of judging/rules that define a rule (a top-level ``RULE = RuleSpec(...)``)."""
    return [
        path.stem
        for path in sorted(RULES_DIR.glob("*.py"))
        if any(_defines_rule(node) for node in ast.parse(path.read_text(encoding="utf-8")).body)
    ]


def _defines_rule(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "RULE" for t in node.targets)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "RuleSpec"
    )


def test_every_rule_module_is_registered_once_and_nothing_else_is() -> None:
    # A rule module that is missing from the registry would never run.
    modules = _rule_modules()
    assert sorted(RULE_MODULES) == modules
    registered = [
        importlib.import_module(f"cors_audit.judging.rules.{name}").RULE for name in modules
    ]
    assert sorted(rule.id for rule in registered) == sorted(rule.id for rule in RULES)
    assert all(rule in RULES for rule in registered)
    assert len(RULES_BY_ID) == len(RULES) == len(modules)


def test_a_rule_module_is_named_after_its_rule() -> None:
    for name in _rule_modules():
        rule = importlib.import_module(f"cors_audit.judging.rules.{name}").RULE
        assert rule.id == name.replace("_", "-"), name


def test_every_rule_is_a_complete_unit() -> None:
    for rule in RULES:
        assert isinstance(rule, RuleSpec)
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.id), rule.id
        assert all((rule.title, rule.why, rule.fix, rule.severity)), rule.id
        assert re.fullmatch(r"CWE-[0-9]+", rule.cwe), rule.id
        assert rule.focus, rule.id
        assert len(set(rule.focus)) == len(rule.focus), rule.id
        assert all(isinstance(setting, Setting) for setting in rule.focus), rule.id
        assert rule.claim is None or isinstance(rule.claim, Claim), rule.id
        assert rule.demo.with_policy, f"{rule.id} names no demo-lab endpoint"
        assert all(path.startswith("/") for path in rule.demo.with_policy), rule.id
        assert "\n" not in rule.reference, rule.id


def test_every_untrusted_origin_class_has_exactly_one_rule() -> None:
    # A new probe class (core/models.py OriginClass) needs its rule module with an OriginCheck.
    assert set(ORIGIN_CLASSES) == set(OriginClass) - {OriginClass.TRUSTED}
    for cls, rule in ORIGIN_CLASSES.items():
        assert isinstance(rule.check, OriginCheck)
        assert rule.origin_class is cls
        assert rule.check.with_credentials.at_least(rule.check.without_credentials), rule.id
        assert rule.family == "origin"


def test_origin_rules_fold_into_the_arbitrary_origin_rule() -> None:
    arbitrary = ORIGIN_CLASSES[OriginClass.ARBITRARY]
    assert arbitrary.id == "reflected-origin"
    assert set(ORIGIN_RULES) == {r.id for r in ORIGIN_CLASSES.values()} - {arbitrary.id}
    # In catalogue order, like every derived list.
    assert list(ORIGIN_RULES) == sorted(ORIGIN_RULES, key=ORDER.__getitem__)


def test_every_other_rule_has_its_own_check() -> None:
    own = [rule for rule in RULES if not isinstance(rule.check, OriginCheck)]
    assert [rule.check for rule in own] == list(CHECKS)
    assert len(set(CHECKS)) == len(CHECKS)


def test_each_claim_names_the_rules_that_make_it() -> None:
    # verify/ reads these sets (scan --verify-browser), so a rule's claim is stated only in it.
    for claim in Claim:
        assert rules_claiming(claim) == {r.id for r in RULES if r.claim is claim}
    claimed = set().union(*(rules_claiming(claim) for claim in Claim))
    assert claimed | {r.id for r in RULES if r.claim is None} == set(RULES_BY_ID)


def test_catalogue_order_is_the_registry_order() -> None:
    assert [rule.id for rule in RULES] == sorted(ORDER, key=ORDER.__getitem__)
    assert RULES[0].id == "reflected-origin"
