"""``private-network-allowed``: the private-network preflight of an untrusted origin is granted
(BROWSER-MODEL.md §5, §6.2 C20). Whether it is granted is the browser model's verdict
(``private_network_check``). Without credentials it raises ``reflected-origin`` to high
(``rules/__init__.py``).
"""

from __future__ import annotations

from cors_audit.browser import private_network_check
from cors_audit.core.models import Exchange, Finding, OriginClass, ProbeKind, Severity
from cors_audit.judging.rules.base import Claim, RuleSpec, Setting, demo_lab
from cors_audit.judging.rules.context import Evidence, make_finding


def _granted(exchange: Exchange) -> bool:
    assert exchange.response is not None
    assert exchange.probe.origin is not None
    origin = exchange.probe.origin.value
    return private_network_check(origin, "omit", exchange.response.headers).allowed


def check(evidence: Evidence) -> list[Finding]:
    """Private-network preflights of untrusted origins that the reply grants."""
    proof = [
        e
        for e in evidence.answered(ProbeKind.PRIVATE_NETWORK)
        if e.probe.origin is not None
        and e.probe.origin.cls is not OriginClass.TRUSTED
        and _granted(e)
    ]
    if not proof:
        return []
    origin = proof[0].probe.origin.value if proof[0].probe.origin else "an untrusted origin"
    return [
        make_finding(
            evidence,
            RULE,
            Severity.HIGH,
            f"The private-network preflight from {origin} is answered with "
            "`Access-Control-Allow-Private-Network: true`. Chromium 104-141 only warned about "
            "such requests; Chromium 142+ asks the user for local-network permission instead.",
            proof,
        )
    ]


RULE = RuleSpec(
    id="private-network-allowed",
    title="Private-network access granted to an untrusted origin",
    family="network",
    severity="high",
    default=Severity.HIGH,
    cwe="CWE-942",
    why="`Access-Control-Allow-Private-Network: true` for any origin invites public sites "
    "into an internal service (Chromium 104-141 did not enforce it; 142+ asks the user).",
    fix="Grant private-network access only to trusted origins, and only where needed.",
    check=check,
    claim=Claim.READ,
    focus=(Setting.PRIVATE_NETWORK,),
    demo=demo_lab("/pna"),
)
