"""``credentials-with-wildcard``: ``*`` together with ``Access-Control-Allow-Credentials: true``
(BROWSER-MODEL.md §6.2 C02): Chromium refuses every credentialed read of it.

Only replies to requests a browser sends count: a cross-origin fetch always carries ``Origin``.
What a server answers without one (sanic-ext sends ``*`` with credentials then) is context,
never a finding.
"""

from __future__ import annotations

from cors_audit.browser import AllowOriginShape, is_credentials_true
from cors_audit.core.models import Finding, Severity
from cors_audit.judging.rules.base import Claim, RuleSpec, Setting, demo_lab
from cors_audit.judging.rules.context import Evidence, first, make_finding


def check(evidence: Evidence) -> list[Finding]:
    """Replies a browser sees that combine `*` with credentials."""
    with_creds = [
        e
        for e in evidence.with_shape(AllowOriginShape.WILDCARD)
        if e.response is not None
        and e.probe.origin is not None
        and is_credentials_true(e.response.headers)
        and evidence.browser_sends(e)
    ]
    if not with_creds:
        return []
    return [
        make_finding(
            evidence,
            RULE,
            Severity.LOW,
            "The response combines `Access-Control-Allow-Origin: *` with "
            "`Access-Control-Allow-Credentials: true`; Chromium refuses every credentialed "
            "read of it (WildcardOriginNotAllowed).",
            first(with_creds),
            origin_template="",
            cors_error="WildcardOriginNotAllowed",
        )
    ]


RULE = RuleSpec(
    id="credentials-with-wildcard",
    title="`*` combined with `Access-Control-Allow-Credentials: true`",
    family="wildcard",
    severity="low",
    default=Severity.LOW,
    cwe="CWE-942",
    why="Browsers refuse credentialed reads of `*` responses, so the configuration is broken "
    "for credentialed clients; the usual 'fix' — reflecting any origin — is critical.",
    fix="Echo an allowlisted origin (with `Vary: Origin`) when credentials are needed, or "
    "drop `Access-Control-Allow-Credentials` for a public endpoint.",
    reference="Judged only on replies to requests that carry `Origin`: sanic-ext, for one, "
    "answers `*` with credentials only when no `Origin` comes, which no browser request hits.",
    check=check,
    claim=Claim.DENIED,
    focus=(Setting.ORIGINS, Setting.CREDENTIALS, Setting.VARY),
    demo=demo_lab("/wildcard-credentials"),
)
