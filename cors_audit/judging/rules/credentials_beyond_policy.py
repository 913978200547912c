"""``credentials-beyond-policy``: credentialed reads pass (BROWSER-MODEL.md §2.2) although the
policy says ``allow_credentials = false``.
"""

from __future__ import annotations

from cors_audit.core.models import Finding, ProbeKind, Severity
from cors_audit.judging.rules.base import Claim, RuleSpec, Setting, demo_lab
from cors_audit.judging.rules.context import Evidence, first, make_finding


def check(evidence: Evidence) -> list[Finding]:
    """Replies a browser sees that a page reads with the user's cookies."""
    if evidence.policy.allow_credentials is not False:
        return []
    proof = [
        e
        for e in evidence.answered(ProbeKind.ACTUAL, ProbeKind.PREFLIGHT)
        if e.probe.origin is not None
        and evidence.browser_sends(e)
        and evidence.access(e).include.allowed
    ]
    if not proof:
        return []
    return [
        make_finding(
            evidence,
            RULE,
            Severity.MEDIUM,
            f"{proof[0].probe.origin.value if proof[0].probe.origin else 'An origin'} can read "
            "responses with the user's cookies (`Access-Control-Allow-Credentials: true`), but "
            "the policy says `allow_credentials = false`.",
            first(proof),
            origin_template="",
            credentialed=True,
        )
    ]


RULE = RuleSpec(
    id="credentials-beyond-policy",
    title="Credentials allowed while the policy says no",
    family="preflight",
    severity="medium",
    default=Severity.MEDIUM,
    cwe="CWE-942",
    why="`Access-Control-Allow-Credentials: true` lets allowed origins read responses made "
    "with the user's cookies, which the policy did not intend.",
    fix="Drop `Access-Control-Allow-Credentials`, or set `allow_credentials = true` in the "
    "policy if it is intended.",
    check=check,
    claim=Claim.READ,
    focus=(Setting.CREDENTIALS,),
    demo=demo_lab("/anon/credentials", without_policy=()),
)
