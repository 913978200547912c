"""Scoring formula and the fail-on gate."""

from __future__ import annotations

import pytest
from support.report_fixtures import finding

from cors_audit.core.models import Finding, Severity
from cors_audit.judging.scoring import gate_fails, grade_for, overall_score, target_score


def _f(rule: str, severity: Severity) -> Finding:
    return finding(rule, severity, "https://api.example.com/a", "GET", None, "detail", ())


@pytest.mark.parametrize(
    ("severities", "score"),
    [
        pytest.param([], 100, id="clean"),
        pytest.param([Severity.INFO], 100, id="info-free"),
        pytest.param([Severity.LOW], 95, id="low"),
        pytest.param([Severity.MEDIUM, Severity.LOW], 80, id="medium-low"),
        pytest.param([Severity.HIGH], 65, id="high"),
        pytest.param([Severity.CRITICAL, Severity.CRITICAL], 0, id="floor"),
    ],
)
def test_target_score(severities: list[Severity], score: int) -> None:
    rules = ["reflected-origin", "null-origin", "special-chars"][: len(severities)]
    assert target_score([_f(r, s) for r, s in zip(rules, severities, strict=True)]) == score


def test_a_rule_counts_once_per_target_at_its_worst() -> None:
    findings = [
        _f("trusted-origin-denied", Severity.MEDIUM),
        _f("trusted-origin-denied", Severity.LOW),
    ]
    assert target_score(findings) == 85


@pytest.mark.parametrize(
    ("score", "grade"),
    [(100, "A"), (90, "A"), (89, "B"), (80, "B"), (70, "C"), (60, "D"), (59, "F"), (0, "F")],
)
def test_grades(score: int, grade: str) -> None:
    assert grade_for(score) == grade


def test_overall_is_capped_by_worst_severity() -> None:
    assert overall_score([100, 100, 90], []) == 97
    assert overall_score([100, 100, 40], [_f("reflected-origin", Severity.CRITICAL)]) == 40
    assert overall_score([100, 65], [_f("special-chars", Severity.HIGH)]) == 65
    assert overall_score([], []) == 100


@pytest.mark.parametrize(
    ("fail_on", "fails"),
    [(Severity.CRITICAL, False), (Severity.HIGH, True), (Severity.LOW, True), (None, False)],
)
def test_gate(fail_on: Severity | None, fails: bool) -> None:
    assert gate_fails([_f("special-chars", Severity.HIGH)], fail_on) is fails
