"""``prefix-match``: origins that merely start with a trusted origin get in (BROWSER-MODEL.md
§6.2 C06).

An origin-class rule: the shared check of ``origin.py`` judges the prefix probe origins for it.
"""

from __future__ import annotations

from cors_audit.core.models import OriginClass, Severity
from cors_audit.judging.rules.base import Claim, OriginCheck, RuleSpec, demo_lab
from cors_audit.judging.rules.origin import ALLOWLIST, EXACT_ALLOWLIST_FIX

RULE = RuleSpec(
    id="prefix-match",
    title="Origins that merely start with a trusted origin are allowed",
    family="origin",
    severity="critical with credentials, else medium",
    default=Severity.CRITICAL,
    cwe="CWE-942",
    why="An attacker registers a domain such as `app.example.com.attacker.net`, which passes "
    "a startswith()/unanchored regex check.",
    fix=EXACT_ALLOWLIST_FIX,
    check=OriginCheck(OriginClass.PREFIX, Severity.CRITICAL, Severity.MEDIUM),
    claim=Claim.READ,
    focus=ALLOWLIST,
    demo=demo_lab("/prefix", "/regex-start"),
)
