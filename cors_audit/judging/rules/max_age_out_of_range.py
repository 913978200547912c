"""``max-age-out-of-range``: Access-Control-Max-Age outside the policy's range, not a number, or
beyond every browser's cap (BROWSER-MODEL.md §3.5, §6.2 C15). Judged on the same preflight as
``missing-max-age`` (``preflights.cached_preflight``), latent likewise.
"""

from __future__ import annotations

from cors_audit.browser import ACMA, extract_header_list_values, header_get, max_age
from cors_audit.core.models import Finding, Severity
from cors_audit.judging.rules.base import RuleSpec, Setting, demo_lab
from cors_audit.judging.rules.context import Evidence, make_finding
from cors_audit.judging.rules.preflights import as_latent, cached_preflight

_BROWSER_CAP = 86400
"""The highest cap of any browser (Firefox, BROWSER-MODEL.md §3.5): beyond it a value means
nothing anywhere."""


def check(evidence: Evidence) -> list[Finding]:
    """A finding when the judged preflight's Max-Age is out of range."""
    found = cached_preflight(evidence)
    if found is None:
        return []
    (shown, judged), latent = found
    assert judged.response is not None
    headers = judged.response.headers
    raw = header_get(headers, ACMA)
    if raw is None:
        return []  # missing-max-age's business
    effective = {engine: max_age(headers, engine) for engine in ("chromium", "firefox", "webkit")}
    times = ", ".join(
        f"{engine} {'not cached' if value is None else f'{value} s'}"
        for engine, value in effective.items()
    )
    parsed = extract_header_list_values(headers, ACMA)
    seconds = int(parsed[0]) if isinstance(parsed, list) else None
    policy = evidence.policy
    problem: str | None = None
    severity = Severity.LOW
    if seconds is None:
        problem = f"Access-Control-Max-Age {raw!r} is not a number of seconds"
        severity = Severity.INFO if policy.max_age_min is None else Severity.LOW
    elif policy.max_age_min is not None and seconds < policy.max_age_min:
        problem = (
            f"Access-Control-Max-Age {seconds} is below the policy's minimum {policy.max_age_min}"
        )
    elif policy.max_age_max is not None and seconds > policy.max_age_max:
        problem = (
            f"Access-Control-Max-Age {seconds} is above the policy's maximum {policy.max_age_max}"
        )
    elif seconds > _BROWSER_CAP:
        problem = f"Access-Control-Max-Age {seconds} exceeds every browser's cap"
        severity = Severity.INFO
    if problem is None:
        return []
    finding = make_finding(
        evidence,
        RULE,
        severity,
        f"{problem}; effective cache time: {times}.",
        [shown],
        origin_template="",
    )
    return [as_latent(finding) if latent else finding]


RULE = RuleSpec(
    id="max-age-out-of-range",
    title="Access-Control-Max-Age outside the policy's range",
    family="caching",
    severity="low (info when only browser caps apply or when latent)",
    default=Severity.LOW,
    cwe="CWE-1050",
    why="Too short costs a preflight per request; too long keeps a stale 'allow' cached "
    "after the policy is tightened (up to the browser's cap).",
    fix="Set Max-Age within the policy's `max_age` range.",
    reference="This rule and `missing-max-age` are latent (info) when the preflight would "
    "succeed but for its Access-Control-Allow-Origin.",
    check=check,
    claim=None,  # a cache lifetime: no single fetch shows it
    focus=(Setting.MAX_AGE,),
    demo=demo_lab("/short-max-age", without_policy=()),
)
