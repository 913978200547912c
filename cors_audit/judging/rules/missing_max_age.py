"""``missing-max-age``: the successful preflight has no Access-Control-Max-Age, so browsers cache
it for 5 seconds only (BROWSER-MODEL.md §3.5, §6.2 C15). Judged on the first successful
preflight, or latent (one severity lower) on the first trusted preflight that would succeed once
its Access-Control-Allow-Origin were fixed (``preflights.cached_preflight``).
"""

from __future__ import annotations

from cors_audit.browser import ACMA, header_get
from cors_audit.core.models import Finding, Severity
from cors_audit.judging.rules.base import RuleSpec, Setting, demo_lab
from cors_audit.judging.rules.context import Evidence, make_finding
from cors_audit.judging.rules.preflights import as_latent, cached_preflight


def check(evidence: Evidence) -> list[Finding]:
    """A finding when the judged preflight sends no Max-Age."""
    found = cached_preflight(evidence)
    if found is None:
        return []
    (shown, judged), latent = found
    assert judged.response is not None
    if header_get(judged.response.headers, ACMA) is not None:
        return []  # max-age-out-of-range judges the value
    finding = make_finding(
        evidence,
        RULE,
        Severity.LOW,
        "The successful preflight has no Access-Control-Max-Age, so browsers cache it "
        "for only 5 seconds and preflight again on almost every request.",
        [shown],
        origin_template="",
    )
    return [as_latent(finding) if latent else finding]


RULE = RuleSpec(
    id="missing-max-age",
    title="Successful preflight without Access-Control-Max-Age",
    family="caching",
    severity="low (info when latent)",
    default=Severity.LOW,
    cwe="CWE-1050",
    why="Browsers then cache the preflight for only 5 seconds, adding a round trip to "
    "nearly every non-simple request.",
    fix="Send `Access-Control-Max-Age: 600` (or what the policy asks) on successful "
    "preflights; Chromium caps it at 7200 s, Firefox at 86400 s, Safari at 600 s.",
    check=check,
    claim=None,  # a cache lifetime: no single fetch shows it
    focus=(Setting.MAX_AGE,),
    # Without a policy the GET is not preflighted and the site's own origin is refused: no
    # successful preflight whose Max-Age matters.
    demo=demo_lab("/no-max-age", without_policy=()),
)
