"""``wildcard-origin``: ``Access-Control-Allow-Origin: *`` on an endpoint the policy does not call
public (BROWSER-MODEL.md §6.2 C01): every page reads it without credentials.
"""

from __future__ import annotations

from cors_audit.browser import AllowOriginShape, remembered_allow_origin_shape
from cors_audit.core.models import Finding, OriginClass, ProbeKind, Severity
from cors_audit.judging.rules.base import Claim, RuleSpec, demo_lab
from cors_audit.judging.rules.context import Evidence, first, make_finding
from cors_audit.judging.rules.origin import ALLOWLIST


def check(evidence: Evidence) -> list[Finding]:
    """A `*` that Chromium lets every page read, on a non-public endpoint."""
    open_to_all = [
        e
        for e in evidence.with_origin(OriginClass.ARBITRARY, ProbeKind.ACTUAL, ProbeKind.PREFLIGHT)
        if e.response is not None
        and remembered_allow_origin_shape(e.response.headers) is AllowOriginShape.WILDCARD
        and evidence.access(e).omit.allowed
    ]
    if not open_to_all or evidence.policy.public:
        return []
    severity = Severity.MEDIUM
    detail = (
        "Access-Control-Allow-Origin is `*`: Chromium lets every web page read this "
        "response without cookies."
    )
    if evidence.policy.policy_free:
        severity = Severity.LOW
        detail += (
            " No policy says whether this endpoint is public; if it is, declare it "
            "with `public = true` (an [[override]] for its URL)."
        )
    return [make_finding(evidence, RULE, severity, detail, first(open_to_all))]


RULE = RuleSpec(
    id="wildcard-origin",
    title="`Access-Control-Allow-Origin: *` on a non-public endpoint",
    family="wildcard",
    severity="medium",
    default=Severity.MEDIUM,
    cwe="CWE-942",
    why="Every web page can read this endpoint without credentials; that exposes data "
    "protected only by network position (VPN, intranet, IP allowlist).",
    fix="Answer with an exact allowed origin instead of `*`, or mark the endpoint "
    "`public = true` in the policy if anyone may read it.",
    check=check,
    claim=Claim.READ,
    focus=ALLOWLIST,
    # Without a policy nothing says the public catalogue is public.
    demo=demo_lab(
        "/anon/wildcard",
        "/wildcard-credentials",
        without_policy=("/public/catalog", "/anon/wildcard", "/wildcard-credentials"),
    ),
)
