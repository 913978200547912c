"""Rules: turn a target's exchanges into findings, asking the browser model for every verdict.

``evaluate`` is the only entry point the scan uses. The catalogue (``RULES``) describes each
rule; ``origin`` and ``config`` hold the checks. Rules never send requests and never match
header strings where a browser verdict is what matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from cors_audit.browser import Mode
from cors_audit.core.models import EffectivePolicy, Exchange, Finding, Severity, Target
from cors_audit.judging.rules import config, exploit, origin
from cors_audit.judging.rules.catalogue import RULES, RULES_BY_ID, Rule, get_rule
from cors_audit.judging.rules.context import Evidence

__all__ = ["RULES", "RULES_BY_ID", "Rule", "evaluate", "get_rule", "inconsistency_note"]


def evaluate(
    target: Target,
    policy: EffectivePolicy,
    exchanges: Sequence[Exchange],
    *,
    mode: Mode = "chromium",
    credentials_given: bool = False,
) -> tuple[Finding, ...]:
    """Every finding for one target, worst first, in catalogue order within a severity."""
    https = target.url.startswith("https://")
    evidence = Evidence(
        target,
        policy,
        tuple(exchanges),
        mode,
        credentials_given,
        exploit.context_of(exchanges, https=https),
    )
    findings = origin.check(evidence)
    for check in config.CHECKS:
        findings += check(evidence)
    findings = _private_network_raises(findings)
    order = {rule.id: index for index, rule in enumerate(RULES)}
    findings.sort(key=lambda f: (-f.severity.rank, order[f.rule], f.origin or ""))
    return tuple(findings)


def inconsistency_note(
    target: Target,
    policy: EffectivePolicy,
    exchanges: Sequence[Exchange],
    *,
    mode: Mode = "chromium",
) -> str | None:
    """A target note when the server answered one untrusted origin (or the two arbitrary
    ones) differently from one reply to the next; ``None`` when every answer agreed."""
    found = origin.inconsistent_replies(Evidence(target, policy, tuple(exchanges), mode))
    if not found:
        return None
    return (
        "replies were inconsistent: "
        + "; ".join(origin.describe_inconsistency(item) for item in found)
        + ". The server (or the backends behind a load balancer or cache) does not answer the "
        "same origin the same way every time; every reply that let an untrusted origin in is "
        "reported, and a clean reply proves nothing about the next one."
    )


def _private_network_raises(findings: list[Finding]) -> list[Finding]:
    """A non-credentialed ``reflected-origin`` is high when private-network access is granted
    too (README "Rules")."""
    if not any(f.rule == "private-network-allowed" for f in findings):
        return findings
    return [
        replace(f, severity=Severity.HIGH)
        if f.rule == "reflected-origin" and f.severity is Severity.MEDIUM
        else f
        for f in findings
    ]
