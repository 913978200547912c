"""``methods-beyond-policy``: the preflight grants methods the policy does not list
(BROWSER-MODEL.md §6.2 C16), latent (one severity lower) when only an Access-Control-Allow-Origin
fix would let them apply (``preflights.py``).
"""

from __future__ import annotations

from typing import Final

from cors_audit.browser import ACAM, is_cors_safelisted_method, normalize_method
from cors_audit.core.models import Finding, Severity
from cors_audit.judging.rules.base import Claim, RuleSpec, Setting, demo_lab
from cors_audit.judging.rules.context import Evidence, make_finding
from cors_audit.judging.rules.preflights import as_latent, beyond_scope, scope_preflights

_OPTIONS_NOTE: Final = (
    "any page can already make the browser send an OPTIONS request (every preflight is one), "
    "so allowing it grants little"
)


def _unmatchable_method(method: str) -> bool:
    """A case variant (not the exact form) of one of the six methods fetch() upper-cases, such
    as ``get`` or ``Delete``. Fetch "normalize a method" turns ``fetch(u, {method: 'delete'})``
    into ``DELETE`` and Access-Control-Allow-Methods is compared byte for byte, so no browser
    request ever matches such an item (``patch`` is not normalized and does match)."""
    return normalize_method(method) != method


def _harmless_method(method: str) -> bool:
    return is_cors_safelisted_method(method) or _unmatchable_method(method)


def check(evidence: Evidence) -> list[Finding]:
    """The methods the trusted preflights grant beyond the policy's (``*`` included)."""
    policy = evidence.policy
    if policy.allowed_methods is None or "*" in policy.allowed_methods:
        return []
    preflights, latent = scope_preflights(evidence)
    extra, proof = beyond_scope(
        evidence,
        preflights,
        ACAM,
        set(policy.allowed_methods),
        lambda m: m,  # methods compare byte for byte (Fetch "CORS-preflight fetch" step 7)
        _harmless_method,
        "methods",
    )
    if not extra:
        return []
    named = [m for m in extra if m != "OPTIONS"]
    star = " (`*` allows any)" if "*" in extra else ""
    if named:
        severity = Severity.MEDIUM
        detail = f"The preflight allows methods outside the policy: {', '.join(named)}{star}."
        if "OPTIONS" in extra:
            detail += f" It lists OPTIONS too (info only: {_OPTIONS_NOTE})."
    else:
        severity = Severity.INFO
        detail = f"The preflight allows OPTIONS, which the policy does not list; {_OPTIONS_NOTE}."
    finding = make_finding(evidence, RULE, severity, detail, proof, origin_template="")
    return [as_latent(finding) if latent else finding]


RULE = RuleSpec(
    id="methods-beyond-policy",
    title="Preflight allows methods the policy does not",
    family="preflight",
    severity="medium (info when OPTIONS is the only extra method; one level lower when latent)",
    default=Severity.MEDIUM,
    cwe="CWE-942",
    why="Allowing extra (often state-changing) methods widens what other origins can send.",
    fix="List only the policy's methods in Access-Control-Allow-Methods; never reflect "
    "Access-Control-Request-Method or answer `*`.",
    reference="Methods no browser request can match are not listed: fetch() upper-cases "
    "`delete`, `get`, `head`, `options`, `post` and `put` (in any case), and Allow-Methods is "
    "compared byte for byte, so `get` or `Delete` there grants nothing; `patch` is not "
    "normalized and does count. An extra `OPTIONS` alone is info (every preflight is already an "
    "OPTIONS request any page can trigger); next to other methods it is left out of the medium "
    "finding's list and mentioned in its detail. Latent (one level lower) when only an "
    "Access-Control-Allow-Origin fix stands in the way.",
    check=check,
    claim=Claim.SENT,
    focus=(Setting.METHODS,),
    demo=demo_lab("/methods-broad", without_policy=()),
)
