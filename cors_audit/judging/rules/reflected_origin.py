"""``reflected-origin``: any origin can read responses, because the server echoes an arbitrary
attacker origin (BROWSER-MODEL.md §6.2 C03, C04).

An origin-class rule: the shared check of ``origin.py`` judges the arbitrary probe origins for it.
The narrower origin-class rules fold into it (``origin.fold``), and without credentials it is
raised to high when ``private-network-allowed`` holds too (``rules/__init__.py``).
"""

from __future__ import annotations

from cors_audit.core.models import OriginClass, Severity
from cors_audit.judging.rules.base import Claim, OriginCheck, RuleSpec, demo_lab
from cors_audit.judging.rules.origin import ALLOWLIST, EXACT_ALLOWLIST_FIX

RULE = RuleSpec(
    id="reflected-origin",
    title="Any origin can read responses",
    family="origin",
    severity="critical with credentials, else medium (high if private-network access is "
    "also granted)",
    default=Severity.CRITICAL,
    cwe="CWE-942",
    why="The server echoes an arbitrary attacker origin into Access-Control-Allow-Origin, so "
    "any web page a victim visits can read this endpoint's responses — with the victim's "
    "cookies when Access-Control-Allow-Credentials is true.",
    fix=EXACT_ALLOWLIST_FIX,
    check=OriginCheck(OriginClass.ARBITRARY, Severity.CRITICAL, Severity.MEDIUM),
    claim=Claim.READ,
    focus=ALLOWLIST,
    demo=demo_lab("/reflect-credentials", "/anon/reflect-no-vary", "/empty-origin", "/pna"),
)
