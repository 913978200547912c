"""``invalid-allow-origin``: Access-Control-Allow-Origin is a list, a repeated header or a malformed
value (BROWSER-MODEL.md §2.3, §6.2 C13), which every browser rejects.

As for ``credentials-with-wildcard``, the reply without ``Origin`` is context only (@koa/cors and
Caddy send an empty Access-Control-Allow-Origin then, and a valid one to every real origin).
"""

from __future__ import annotations

from cors_audit.browser import (
    ACAO,
    AllowOriginShape,
    cors_check,
    header_get,
)
from cors_audit.core.models import Finding, Severity
from cors_audit.judging.rules.base import Claim, RuleSpec, Setting, demo_lab
from cors_audit.judging.rules.context import Evidence, first, make_finding


def check(evidence: Evidence) -> list[Finding]:
    """Replies a browser sees whose Access-Control-Allow-Origin no browser accepts."""
    bad = [
        e
        for e in evidence.with_shape(AllowOriginShape.MULTIPLE, AllowOriginShape.INVALID)
        if e.response is not None and e.probe.origin is not None and evidence.browser_sends(e)
    ]
    if not bad:
        return []
    proof = bad[0]
    assert proof.response is not None
    assert proof.probe.origin is not None
    value = header_get(proof.response.headers, ACAO)
    error = cors_check(proof.probe.origin.value, "omit", proof.response.headers).error
    lines = sum(1 for name, _ in proof.response.headers if name.lower() == ACAO.lower())
    shape = f"is sent on {lines} header lines" if lines > 1 else f"is {value!r}"
    return [
        make_finding(
            evidence,
            RULE,
            Severity.MEDIUM,
            f"Access-Control-Allow-Origin {shape}; every browser rejects it "
            f"({error.value if error else 'blocked'}), so no origin can read this response.",
            first(bad),
            origin_template="",
            cors_error=error.value if error else None,
        )
    ]


RULE = RuleSpec(
    id="invalid-allow-origin",
    title="Access-Control-Allow-Origin is not a single valid origin",
    family="validity",
    severity="medium",
    default=Severity.MEDIUM,
    cwe="CWE-436",
    why="A list, a repeated header or a malformed value (trailing slash, quotes, pattern) is "
    "rejected by every browser, so legitimate clients break; it often comes from a proxy "
    "and the application both adding the header.",
    fix="Send exactly one `Access-Control-Allow-Origin` with the one matching origin; make "
    "sure only one layer (proxy or application) adds CORS headers.",
    reference="Judged only on replies to requests that carry `Origin`: @koa/cors and Caddy send "
    "an empty Access-Control-Allow-Origin when no `Origin` comes and a valid one to every real "
    "origin.",
    check=check,
    claim=Claim.DENIED,
    focus=(Setting.ORIGINS,),
    demo=demo_lab("/two-origins", "/double-header"),
)
