"""``headers-beyond-policy``: the preflight grants request headers the policy does not list
(BROWSER-MODEL.md §6.2 C16), latent (one severity lower) when only an Access-Control-Allow-Origin
fix would let them apply (``preflights.py``).
"""

from __future__ import annotations

from typing import Final

from cors_audit.browser import ACAH
from cors_audit.core.models import Finding, Severity
from cors_audit.judging.rules.base import Claim, RuleSpec, Setting, demo_lab
from cors_audit.judging.rules.context import Evidence, make_finding
from cors_audit.judging.rules.preflights import as_latent, beyond_scope, scope_preflights

# Request headers a browser may send without a preflight anyway (BROWSER-MODEL.md §3.1), whatever
# their value: listing them in Allow-Headers widens nothing.
_SAFELISTED_REQUEST_HEADERS: Final = frozenset(
    {"accept", "accept-language", "content-language", "range"}
)


def check(evidence: Evidence) -> list[Finding]:
    """The request headers the trusted preflights grant beyond the policy's (``*`` included)."""
    policy = evidence.policy
    if policy.allowed_headers is None or "*" in policy.allowed_headers:
        return []
    preflights, latent = scope_preflights(evidence)
    extra, proof = beyond_scope(
        evidence,
        preflights,
        ACAH,
        {h.lower() for h in policy.allowed_headers},
        str.lower,  # header names compare case-insensitively
        lambda h: h.lower() in _SAFELISTED_REQUEST_HEADERS,
        "request headers",
    )
    if not extra:
        return []
    finding = make_finding(
        evidence,
        RULE,
        Severity.LOW,
        f"The preflight allows request headers outside the policy: {', '.join(extra)}"
        + (" (`*` allows any)" if "*" in extra else "")
        + ".",
        proof,
        origin_template="",
    )
    return [as_latent(finding) if latent else finding]


RULE = RuleSpec(
    id="headers-beyond-policy",
    title="Preflight allows request headers the policy does not",
    family="preflight",
    severity="low (info when latent)",
    default=Severity.LOW,
    cwe="CWE-942",
    why="Reflected or `*` Allow-Headers let other origins send any header, defeating "
    "header-based CSRF defences.",
    fix="List only the policy's headers in Access-Control-Allow-Headers; never reflect "
    "Access-Control-Request-Headers or answer `*`.",
    reference="Latent (info) when only an Access-Control-Allow-Origin fix stands in the way.",
    check=check,
    claim=Claim.SENT,
    focus=(Setting.HEADERS,),
    demo=demo_lab("/headers-reflect", without_policy=()),
)
