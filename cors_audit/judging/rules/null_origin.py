"""``null-origin``: the ``null`` origin is trusted (BROWSER-MODEL.md §6.2 C05).

An origin-class rule: the shared check of ``origin.py`` judges the ``null`` probe origin for it.
"""

from __future__ import annotations

from cors_audit.core.models import OriginClass, Severity
from cors_audit.judging.rules.base import Claim, OriginCheck, RuleSpec, demo_lab
from cors_audit.judging.rules.origin import ALLOWLIST

RULE = RuleSpec(
    id="null-origin",
    title="The `null` origin is trusted",
    family="origin",
    severity="critical with credentials, else medium",
    default=Severity.CRITICAL,
    cwe="CWE-942",
    why="Any page can send `Origin: null` from a sandboxed iframe or a data: URL, so "
    "trusting `null` is equivalent to trusting every origin.",
    fix="Remove `null` from the allowlist; never answer `Access-Control-Allow-Origin: null`.",
    check=OriginCheck(OriginClass.NULL, Severity.CRITICAL, Severity.MEDIUM),
    claim=Claim.READ,
    focus=ALLOWLIST,
    demo=demo_lab("/null", "/static-null"),
)
