"""Rules: turn a target's exchanges into findings, asking the browser model for every verdict.

``evaluate`` is the only entry point the scan uses. Each rule is one unit in its own module
(``base.RuleSpec``: catalogue text, check, browser claim, remediation focus, demo expectation);
``registry.RULES`` lists them in catalogue order. The origin-class rules share the check of
``origin.py``; ``context.py`` is what every check sees of a target (`Evidence`) and how a finding
is made; ``preflights.py`` is which preflights the preflight rules judge (latent ones included);
``exploit.py`` is the cookie and HSTS context; ``reference.py`` writes README "Rule reference".
Rules never send requests and never match header strings where a browser verdict is what
matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from cors_audit.browser import Mode
from cors_audit.core.models import EffectivePolicy, Exchange, Finding, Severity, Target
from cors_audit.judging.rules import exploit, origin, private_network_allowed, reflected_origin
from cors_audit.judging.rules.base import Claim, Rule, RuleSpec, Setting
from cors_audit.judging.rules.context import Evidence
from cors_audit.judging.rules.registry import (
    CHECKS,
    ORDER,
    ORIGIN_CLASSES,
    RULES,
    RULES_BY_ID,
    get_rule,
    rules_claiming,
)

__all__ = [
    "RULES",
    "RULES_BY_ID",
    "Claim",
    "Rule",
    "RuleSpec",
    "Setting",
    "evaluate",
    "get_rule",
    "inconsistency_note",
    "judge",
    "rules_claiming",
]


def evaluate(
    target: Target,
    policy: EffectivePolicy,
    exchanges: Sequence[Exchange],
    *,
    mode: Mode = "chromium",
    credentials_given: bool = False,
    evidence: Evidence | None = None,
) -> tuple[Finding, ...]:
    """Every finding for one target, worst first, in catalogue order within a severity.
    ``evidence``: the target's `Evidence` already made from the same arguments (`judge`), with
    the verdicts worked out so far."""
    if evidence is None:
        evidence = _evidence(target, policy, exchanges, mode, credentials_given)
    return _findings(evidence)


def judge(
    target: Target,
    policy: EffectivePolicy,
    exchanges: Sequence[Exchange],
    *,
    mode: Mode = "chromium",
    credentials_given: bool = False,
) -> tuple[tuple[Finding, ...], str | None]:
    """`evaluate` and `inconsistency_note` at once (what the scan asks of every target): one
    `Evidence`, so each browser verdict on a reply is worked out once for both."""
    evidence = _evidence(target, policy, exchanges, mode, credentials_given)
    note = _inconsistency_note(evidence)
    findings = evaluate(
        target,
        policy,
        exchanges,
        mode=mode,
        credentials_given=credentials_given,
        evidence=evidence,
    )
    return findings, note


def _evidence(
    target: Target,
    policy: EffectivePolicy,
    exchanges: Sequence[Exchange],
    mode: Mode,
    credentials_given: bool,
) -> Evidence:
    https = target.url.startswith("https://")
    return Evidence(
        target,
        policy,
        tuple(exchanges),
        mode,
        credentials_given,
        exploit.context_of(exchanges, https=https),
    )


def _findings(evidence: Evidence) -> tuple[Finding, ...]:
    findings = origin.check(evidence, ORIGIN_CLASSES)
    for check in CHECKS:
        findings += check(evidence)
    findings = _private_network_raises(findings)
    findings.sort(key=lambda f: (-f.severity.rank, ORDER[f.rule], f.origin or ""))
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
    return _inconsistency_note(Evidence(target, policy, tuple(exchanges), mode))


def _inconsistency_note(evidence: Evidence) -> str | None:
    found = origin.inconsistent_replies(evidence, ORIGIN_CLASSES)
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
    too (its severity in README "Rule reference")."""
    if not any(f.rule == private_network_allowed.RULE.id for f in findings):
        return findings
    return [
        replace(f, severity=Severity.HIGH)
        if f.rule == reflected_origin.RULE.id and f.severity is Severity.MEDIUM
        else f
        for f in findings
    ]
