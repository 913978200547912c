"""``missing-vary-origin``: a reply whose Access-Control-Allow-Origin lets exactly the request's
origin in lacks ``Vary: Origin`` (BROWSER-MODEL.md §6.2 C14, vectors v01/v02).

Only replies that carry an origin-specific ACAO are judged: they are the ones a shared cache can
hand to another origin. A static ACAO sent on every reply (with or without an ``Origin``,
whatever its value) needs no ``Vary``: Fetch "CORS protocol and HTTP caches" says to always send
it and not to use ``Vary`` then (BROWSER-MODEL.md §6.2 C14).
"""

from __future__ import annotations

from cors_audit.browser import (
    ACAO,
    AllowOriginShape,
    header_get,
    is_credentials_true,
    is_no_store,
    remembered_allow_origin_shape,
    vary_names,
)
from cors_audit.core.models import Exchange, Finding, ProbeKind, Severity
from cors_audit.judging.rules.base import RuleSpec, Setting, demo_lab
from cors_audit.judging.rules.context import Evidence, first, make_finding


def _varies_on_origin(exchange: Exchange) -> bool:
    assert exchange.response is not None
    return not vary_names(exchange.response.headers).isdisjoint({"origin", "*"})


def _not_storable(exchange: Exchange) -> bool:
    assert exchange.response is not None
    return is_no_store(exchange.response.headers)


def _lets_in_only_its_origin(evidence: Evidence, exchange: Exchange) -> bool:
    """Chromium lets the probe's origin read the reply, and not because of ``*``: the
    Access-Control-Allow-Origin names that very origin (BROWSER-MODEL.md §2.1)."""
    assert exchange.response is not None
    if not evidence.access(exchange).omit.allowed:
        return False
    return remembered_allow_origin_shape(exchange.response.headers) is not AllowOriginShape.WILDCARD


def check(evidence: Evidence) -> list[Finding]:
    """Origin-specific replies a cache may store and hand to another origin."""
    replies = [e for e in evidence.answered(ProbeKind.ACTUAL) if evidence.browser_sends(e)]
    acao_values = {header_get(e.response.headers, ACAO) for e in replies if e.response is not None}
    if len(acao_values) < 2:
        return []  # the same answer for every origin (and none): no cache can mix them up
    proof = [
        exchange
        for exchange in replies
        if exchange.probe.origin is not None
        and exchange.response is not None
        and _lets_in_only_its_origin(evidence, exchange)
        and not _varies_on_origin(exchange)
        and not _not_storable(exchange)
    ]
    if not proof:
        return []
    credentialed = any(
        e.response is not None and is_credentials_true(e.response.headers) for e in proof
    )
    return [
        make_finding(
            evidence,
            RULE,
            Severity.MEDIUM if credentialed else Severity.LOW,
            "Access-Control-Allow-Origin echoes the request's origin but the response has no "
            "`Vary: Origin`, so a cache can serve the reply made for one origin to another.",
            first(proof),
            origin_template="",
            credentialed=credentialed,
        )
    ]


RULE = RuleSpec(
    id="missing-vary-origin",
    title="Origin-dependent reply without `Vary: Origin`",
    family="caching",
    severity="medium with credentials, else low",
    default=Severity.LOW,
    cwe="CWE-524",
    why="Caches (browser, CDN, proxy) may serve a reply made for one origin to another, "
    "breaking legitimate clients and enabling cache-poisoning chains.",
    fix="Add `Vary: Origin` to every response whose CORS headers depend on the request's "
    "Origin, including responses that omit them.",
    check=check,
    claim=None,  # a cache mixing replies up: no single fetch shows it
    focus=(Setting.VARY,),
    demo=demo_lab("/anon/reflect-no-vary"),
)
