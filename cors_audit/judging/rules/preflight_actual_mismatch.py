"""``preflight-actual-mismatch``: for a trusted origin, the preflight passes the CORS check and
the actual reply does not, or the other way round (BROWSER-MODEL.md §6.2 C18).
"""

from __future__ import annotations

from cors_audit.core.models import Exchange, Finding, OriginClass, ProbeKind, Severity
from cors_audit.judging.rules.base import RuleSpec, Setting, demo_lab
from cors_audit.judging.rules.context import Evidence, make_finding
from cors_audit.probing.planner import POLICY


def check(evidence: Evidence) -> list[Finding]:
    """One finding per trusted origin whose two replies disagree."""
    if not evidence.request.needs_preflight:
        return []  # browsers never preflight this request, so the preflight reply is moot
    mode = evidence.policy_credentials
    findings: list[Finding] = []
    groups: dict[str, dict[ProbeKind, Exchange]] = {}
    for exchange in evidence.with_origin(
        OriginClass.TRUSTED, ProbeKind.ACTUAL, ProbeKind.PREFLIGHT
    ):
        if exchange.probe.purpose == POLICY and exchange.probe.origin is not None:
            groups.setdefault(exchange.probe.origin.value, {})[exchange.probe.kind] = exchange
    for origin, pair in groups.items():
        if len(pair) != 2:
            continue
        actual, preflight = pair[ProbeKind.ACTUAL], pair[ProbeKind.PREFLIGHT]
        a = getattr(evidence.access(actual), mode).allowed
        p = getattr(evidence.access(preflight), mode).allowed
        if a == p:
            continue
        passes, fails = ("preflight", "actual response") if p else ("actual response", "preflight")
        findings.append(
            make_finding(
                evidence,
                RULE,
                Severity.LOW,
                f"For {origin} the {passes} passes the CORS check but the {fails} does not, so "
                "the same client gets contradictory answers.",
                [preflight, actual],
            )
        )
    return findings


RULE = RuleSpec(
    id="preflight-actual-mismatch",
    title="Preflight and actual response disagree",
    family="validity",
    severity="low",
    default=Severity.LOW,
    cwe="CWE-436",
    why="The preflight and the actual reply give the same origin different answers, so "
    "clients break unpredictably or a 'protection' relies on a preflight attackers skip.",
    fix="Produce CORS headers in one place for both OPTIONS and the actual method.",
    check=check,
    claim=None,  # two replies disagreeing: no single fetch shows it
    focus=(Setting.ORIGINS, Setting.METHODS, Setting.HEADERS),
    # Without a policy the only trusted origin, the site's own, is refused by both replies.
    demo=demo_lab("/preflight-only", without_policy=()),
)
