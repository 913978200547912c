"""``sensitive-exposed-headers``: Access-Control-Expose-Headers makes credential or token headers
readable by the allowed origins' scripts (BROWSER-MODEL.md §4, §6.2 C19). Which names script can
read is the browser model's call (``exposed_header_names``); which are sensitive is this rule's.
"""

from __future__ import annotations

from typing import Final

from cors_audit.browser import (
    ACEH,
    Credentials,
    HeaderList,
    Remembered,
    exposed_header_names,
    extract_header_list_values,
)
from cors_audit.core.models import Exchange, Finding, ProbeKind, Severity
from cors_audit.judging.rules.base import Claim, RuleSpec, Setting, demo_lab
from cors_audit.judging.rules.context import Evidence, first, make_finding

# Response headers that carry credentials or tokens (BROWSER-MODEL.md §6.2 C19).
_SENSITIVE_EXACT: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "www-authenticate",
        "cookie",
        "x-api-key",
        "x-amz-security-token",
    }
)
_SENSITIVE_PARTS: Final = (
    "token",
    "secret",
    "session",
    "api-key",
    "apikey",
    "password",
    "csrf",
    "xsrf",
)


def _is_sensitive(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SENSITIVE_EXACT or any(part in lowered for part in _SENSITIVE_PARTS)


def _readable_if_sent(name: str, headers: HeaderList, mode: Credentials) -> bool:
    """Script could read header ``name`` of this reply if the server sent it (some names, such
    as Set-Cookie, never are, whatever Expose-Headers says)."""
    return name.lower() in exposed_header_names(((name, ""), *headers), mode)


def _sensitive_names(headers: HeaderList, mode: Credentials, intended: frozenset[str]) -> list[str]:
    """The sensitive header names, outside ``intended``, that script on an origin let in with
    ``mode`` could read on this reply (named in Expose-Headers, or present under its ``*``)."""
    readable = exposed_header_names(headers, mode)
    values = extract_header_list_values(headers, ACEH)
    items = values if isinstance(values, list) else []
    sensitive = [
        n
        for n in items
        if n != "*"
        and _is_sensitive(n)
        and n.lower() not in intended
        and _readable_if_sent(n, headers, mode)
    ]
    if "*" in items and mode == "omit":
        sensitive += [
            name
            for name, _ in headers
            if _is_sensitive(name) and name.lower() in readable and name.lower() not in intended
        ]
    return sensitive


SENSITIVE_MEMO: Final = 1024
"""Most (reply headers, mode, intended names) `sensitive_names` keeps: equal replies repeat
across the targets of one server, so a few hundred cover a scan; the bound keeps it small."""


def sensitive_names(headers: HeaderList, mode: Credentials, intended: frozenset[str]) -> list[str]:
    """`_sensitive_names`, remembered for a header tuple: every readable reply of every target
    asks it, and equal replies repeat across the targets of one server. A fresh list each time
    (callers own it)."""
    return list(_remembered_sensitive.ask(headers, mode, intended))


def _sensitive_tuple(
    headers: HeaderList, mode: Credentials, intended: frozenset[str]
) -> tuple[str, ...]:
    return tuple(_sensitive_names(headers, mode, intended))


_remembered_sensitive = Remembered(_sensitive_tuple, SENSITIVE_MEMO)


def check(evidence: Evidence) -> list[Finding]:
    """Sensitive names exposed to the origins a browser lets read the reply."""
    intended = frozenset(h.lower() for h in evidence.policy.expose_headers or ())
    names: dict[str, None] = {}
    proof: list[Exchange] = []
    for exchange in evidence.answered(ProbeKind.ACTUAL):
        if exchange.probe.origin is None or exchange.response is None:
            continue
        if not evidence.browser_sends(exchange):
            continue
        access = evidence.access(exchange)
        if not access.any:
            continue
        mode: Credentials = "include" if access.include.allowed else "omit"
        sensitive = sensitive_names(exchange.response.headers, mode, intended)
        if sensitive:
            names.update(dict.fromkeys(sensitive))
            proof.append(exchange)
    if not names:
        return []
    return [
        make_finding(
            evidence,
            RULE,
            Severity.LOW,
            "Access-Control-Expose-Headers makes these credential/token headers readable by "
            f"the allowed origins' scripts: {', '.join(names)}.",
            first(proof),
            origin_template="",
        )
    ]


RULE = RuleSpec(
    id="sensitive-exposed-headers",
    title="Credential or token headers are exposed to scripts",
    family="exposure",
    severity="low",
    default=Severity.LOW,
    cwe="CWE-200",
    why="Access-Control-Expose-Headers makes these response headers readable by the allowed "
    "origins' scripts.",
    fix="Expose only headers the client needs; never Authorization, tokens or session ids.",
    check=check,
    claim=Claim.EXPOSED,
    focus=(Setting.EXPOSE,),
    demo=demo_lab("/expose-token"),
)
