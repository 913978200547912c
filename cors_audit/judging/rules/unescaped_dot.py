"""``unescaped-dot``: a regex with an unescaped dot accepts look-alike domains (BROWSER-MODEL.md
§6.2 C08).

An origin-class rule: the shared check of ``origin.py`` judges the look-alike probe origins for it.
"""

from __future__ import annotations

from cors_audit.core.models import OriginClass, Severity
from cors_audit.judging.rules.base import Claim, OriginCheck, RuleSpec, demo_lab
from cors_audit.judging.rules.origin import ALLOWLIST

RULE = RuleSpec(
    id="unescaped-dot",
    title="A regex with an unescaped dot accepts look-alike domains",
    family="origin",
    severity="critical with credentials, else medium",
    default=Severity.CRITICAL,
    cwe="CWE-185",
    why="In a regular expression `.` matches any character, so `app.example.com` also "
    "matches `appxexample.com`, a domain anyone can register.",
    fix="Escape dots (`app\\.example\\.com`), anchor the pattern (`^https://…$`), or better, "
    "use an exact allowlist.",
    check=OriginCheck(OriginClass.UNESCAPED_DOT, Severity.CRITICAL, Severity.MEDIUM),
    claim=Claim.READ,
    focus=ALLOWLIST,
    demo=demo_lab("/suffix", "/regex-dot"),
)
