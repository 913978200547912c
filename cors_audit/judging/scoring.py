"""Scoring: findings → a 0-100 score and an A-F grade per target and overall; the gate.

The formula (documented in README "Scoring"):

* each finding costs points by severity: critical 60, high 35, medium 15, low 5, info 0;
  a rule counts once per target (its worst finding), so one misconfiguration seen through
  many probe origins is not counted many times;
* a target's score is ``max(0, 100 - sum of costs)``;
* the overall score is the mean of the scanned targets' scores, capped at 40 when any critical
  finding exists and at 65 when any high one does (one exposed endpoint is not averaged away);
* grades: A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, F below. A target that could not be scanned has no
  grade (``-``) and is left out of the overall score.

Pure functions over findings; nothing here looks at exchanges or the network.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from cors_audit.core.models import ExitCode, Severity


class Scored(Protocol):
    """What scoring needs of a finding: a scan-time `Finding` or a report's `FindingModel`."""

    @property
    def rule(self) -> str: ...

    @property
    def severity(self) -> Severity: ...


COST: dict[Severity, int] = {
    Severity.CRITICAL: 60,
    Severity.HIGH: 35,
    Severity.MEDIUM: 15,
    Severity.LOW: 5,
    Severity.INFO: 0,
}
CAP: dict[Severity, int] = {Severity.CRITICAL: 40, Severity.HIGH: 65}
NO_GRADE = "-"


def target_score(findings: Iterable[Scored]) -> int:
    """Score of one target: 100 minus the cost of each rule's worst finding."""
    worst: dict[str, Severity] = {}
    for finding in findings:
        current = worst.get(finding.rule)
        if current is None or finding.severity.rank > current.rank:
            worst[finding.rule] = finding.severity
    return max(0, 100 - sum(COST[severity] for severity in worst.values()))


def grade_for(score: int) -> str:
    """The letter grade of a score."""
    for threshold, grade in ((90, "A"), (80, "B"), (70, "C"), (60, "D")):
        if score >= threshold:
            return grade
    return "F"


def overall_score(target_scores: Sequence[int], findings: Iterable[Scored]) -> int:
    """Mean of the scanned targets' scores, capped by the worst severity found."""
    score = round(sum(target_scores) / len(target_scores)) if target_scores else 100
    for finding in findings:
        cap = CAP.get(finding.severity)
        if cap is not None:
            score = min(score, cap)
    return score


def failing(findings: Iterable[Scored], fail_on: Severity | None) -> int:
    """How many findings are at or above ``fail_on`` (``None`` = never fail)."""
    if fail_on is None:
        return 0
    return sum(1 for finding in findings if finding.severity.at_least(fail_on))


def gate_fails(findings: Iterable[Scored], fail_on: Severity | None) -> bool:
    """True when a finding is at or above ``fail_on`` (``None`` = never fail)."""
    return failing(findings, fail_on) > 0


def exit_code(failing_findings: int, errors: int, *, allow_errors: bool) -> ExitCode:
    """The process exit code (README "Exit codes"): findings at or above the gate (1) win over
    unscannable targets (3), which count only without ``--allow-errors``."""
    if failing_findings:
        return ExitCode.FINDINGS
    if errors and not allow_errors:
        return ExitCode.SCAN_ERRORS
    return ExitCode.OK
