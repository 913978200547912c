"""``arbitrary-subdomain``: any subdomain of the site is trusted (BROWSER-MODEL.md §6.2 C10).

An origin-class rule: the shared check of ``origin.py`` judges the random-subdomain probe origins
for it.
"""

from __future__ import annotations

from cors_audit.core.models import OriginClass, Severity
from cors_audit.judging.rules.base import Claim, OriginCheck, RuleSpec, demo_lab
from cors_audit.judging.rules.origin import ALLOWLIST

RULE = RuleSpec(
    id="arbitrary-subdomain",
    title="Any subdomain is trusted",
    family="origin",
    severity="high with credentials, else low",
    default=Severity.HIGH,
    cwe="CWE-942",
    why="One XSS or subdomain takeover anywhere under the domain then reads this endpoint; "
    "subdomains are same-site, so even SameSite=Lax cookies are sent.",
    fix="Allow the exact subdomains that need access, or declare `trust_subdomains_of` in "
    "the policy if trusting every subdomain is intended.",
    check=OriginCheck(OriginClass.SUBDOMAIN, Severity.HIGH, Severity.LOW),
    claim=Claim.READ,
    focus=ALLOWLIST,
    demo=demo_lab("/suffix", "/subdomains"),
)
