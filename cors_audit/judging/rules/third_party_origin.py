"""``third-party-origin``: shared-hosting platforms or localhost are trusted (BROWSER-MODEL.md
§6.2 C12).

An origin-class rule: the shared check of ``origin.py`` judges the third-party probe origins for
it (a local development origin one level lower).
"""

from __future__ import annotations

from cors_audit.core.models import OriginClass, Severity
from cors_audit.judging.rules.base import Claim, OriginCheck, RuleSpec, demo_lab
from cors_audit.judging.rules.origin import ALLOWLIST

RULE = RuleSpec(
    id="third-party-origin",
    title="Shared hosting or localhost origins are trusted",
    family="origin",
    severity="high with credentials, else medium",
    default=Severity.HIGH,
    cwe="CWE-942",
    why="Anyone can get a subdomain on platforms such as github.io, herokuapp.com or "
    "vercel.app, and any local program can serve localhost; trusting them trusts strangers.",
    fix="Trust only the exact origins you operate; list a partner's exact origin in the "
    "policy if it is intended.",
    check=OriginCheck(OriginClass.THIRD_PARTY, Severity.HIGH, Severity.MEDIUM),
    claim=Claim.READ,
    focus=ALLOWLIST,
    demo=demo_lab("/third-party"),
)
