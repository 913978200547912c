"""``insecure-scheme``: the ``http://`` form of a trusted origin gets in (BROWSER-MODEL.md §6.2
C11).

An origin-class rule: the shared check of ``origin.py`` judges the ``http://`` probe origins for
it, on ``https://`` targets only.
"""

from __future__ import annotations

from cors_audit.core.models import OriginClass, Severity
from cors_audit.judging.rules.base import Claim, OriginCheck, RuleSpec, demo_lab
from cors_audit.judging.rules.origin import ALLOWLIST

RULE = RuleSpec(
    id="insecure-scheme",
    title="The http:// form of a trusted origin is allowed",
    family="origin",
    severity="high with credentials, else low",
    default=Severity.HIGH,
    cwe="CWE-319",
    why="A network attacker can inject script into any plain-HTTP page of the trusted host "
    "and read this HTTPS endpoint through it.",
    fix="Allow only `https://` origins for HTTPS endpoints.",
    check=OriginCheck(OriginClass.INSECURE_SCHEME, Severity.HIGH, Severity.LOW),
    claim=Claim.READ,
    focus=ALLOWLIST,
    demo=demo_lab("/regex-end", "/insecure-scheme"),
)
