"""``origin-beyond-policy``: a first-party origin found by discovery gets in although the policy
does not list it (README "Origin discovery").

An origin-class rule: the shared check of ``origin.py`` judges the first-party candidates for it.
Without a policy such an origin is the server's allowlist, not a finding, hence nothing on the
demo lab then.
"""

from __future__ import annotations

from cors_audit.core.models import OriginClass, Severity
from cors_audit.judging.rules.base import Claim, OriginCheck, RuleSpec, demo_lab
from cors_audit.judging.rules.origin import ALLOWLIST

RULE = RuleSpec(
    id="origin-beyond-policy",
    title="An origin the policy does not list is allowed",
    family="origin",
    severity="medium with credentials, else low",
    default=Severity.MEDIUM,
    cwe="CWE-942",
    why="Discovery found the server letting in a first-party origin (such as the apex, "
    "www., admin. or staging.) that the policy does not trust; a page there — an older "
    "app, a staging site, one XSS away — reads this endpoint, with cookies when credentials "
    "are allowed.",
    fix="Remove the origin from the server's allowlist, or add it to the policy's "
    "`trusted_origins` if it is intended.",
    check=OriginCheck(OriginClass.FIRST_PARTY, Severity.MEDIUM, Severity.LOW),
    claim=Claim.READ,
    focus=ALLOWLIST,
    demo=demo_lab("/regex-start", "/regex-end", "/suffix", "/subdomains", without_policy=()),
)
