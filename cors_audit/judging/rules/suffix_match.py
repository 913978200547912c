"""``suffix-match``: origins that merely end with the trusted domain get in (BROWSER-MODEL.md
§6.2 C07).

An origin-class rule: the shared check of ``origin.py`` judges the suffix probe origins for it.
"""

from __future__ import annotations

from cors_audit.core.models import OriginClass, Severity
from cors_audit.judging.rules.base import Claim, OriginCheck, RuleSpec, demo_lab
from cors_audit.judging.rules.origin import ALLOWLIST, EXACT_ALLOWLIST_FIX

RULE = RuleSpec(
    id="suffix-match",
    title="Origins that merely end with the trusted domain are allowed",
    family="origin",
    severity="critical with credentials, else medium",
    default=Severity.CRITICAL,
    cwe="CWE-942",
    why="An attacker registers a domain such as `attackerexample.com`, which passes an "
    "endswith()/unanchored regex check.",
    fix=EXACT_ALLOWLIST_FIX + " When matching subdomains, require a leading dot (`.example.com`).",
    check=OriginCheck(OriginClass.SUFFIX, Severity.CRITICAL, Severity.MEDIUM),
    claim=Claim.READ,
    focus=ALLOWLIST,
    demo=demo_lab("/suffix"),
)
