"""``special-chars``: parser-confusion origins with ``_`` or ``-`` get in (BROWSER-MODEL.md §6.2
C09).

An origin-class rule: the shared check of ``origin.py`` judges the special-character probe origins
for it.
"""

from __future__ import annotations

from cors_audit.core.models import OriginClass, Severity
from cors_audit.judging.rules.base import Claim, OriginCheck, RuleSpec, demo_lab
from cors_audit.judging.rules.origin import ALLOWLIST, EXACT_ALLOWLIST_FIX

RULE = RuleSpec(
    id="special-chars",
    title="Parser-confusion origins with special characters are allowed",
    family="origin",
    severity="high with credentials, else medium",
    default=Severity.HIGH,
    cwe="CWE-942",
    why="Origins such as `https://app.example.com_.attacker.net` are valid in Chromium and "
    "Firefox and slip past matchers that treat `_` or `-` as a boundary.",
    fix=EXACT_ALLOWLIST_FIX,
    check=OriginCheck(OriginClass.SPECIAL_CHARS, Severity.HIGH, Severity.MEDIUM),
    claim=Claim.READ,
    focus=ALLOWLIST,
    demo=demo_lab("/regex-start", "/special-chars"),
)
