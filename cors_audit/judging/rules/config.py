"""Configuration rules: wildcards, broken values, trusted origins that break, preflight scope,
caching, exposed headers and private-network access.

Each check reads a target's exchanges through `Evidence` and asks ``browser/model.py`` how a browser
would judge them; none matches ``Access-Control-Allow-Origin`` strings itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from cors_audit.browser import (
    AllowOriginShape,
    Credentials,
    Verdict,
    allow_origin_shape,
    cors_check,
    exposed_header_names,
    extract_header_list_values,
    header_get,
    is_cors_safelisted_method,
    is_credentials_true,
    normalize_method,
)
from cors_audit.browser import max_age as max_age_seconds
from cors_audit.core.models import Exchange, Finding, OriginClass, ProbeKind, Severity
from cors_audit.judging.rules.context import Evidence, make_finding
from cors_audit.probing.planner import BEYOND, POLICY

ACAO = "Access-Control-Allow-Origin"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACEH = "Access-Control-Expose-Headers"
ACMA = "Access-Control-Max-Age"
ACAPN = "Access-Control-Allow-Private-Network"

# Request headers a browser may send without a preflight anyway (BROWSER-MODEL.md §3.1): listing
# them in Allow-Headers widens nothing.
_SAFELISTED_REQUEST_HEADERS = frozenset({"accept", "accept-language", "content-language", "range"})

# Response headers that carry credentials or tokens (BROWSER-MODEL.md §6.2 C19).
_SENSITIVE_EXACT = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "www-authenticate",
        "cookie",
        "x-api-key",
        "x-amz-security-token",
    }
)
_SENSITIVE_PARTS = ("token", "secret", "session", "api-key", "apikey", "password", "csrf", "xsrf")


def _policy_mode(evidence: Evidence) -> Credentials:
    return "include" if evidence.policy.allow_credentials else "omit"


def _first(items: Iterable[Exchange]) -> list[Exchange]:
    return list(items)[:4]


def wildcard(evidence: Evidence) -> list[Finding]:
    """``wildcard-origin`` and ``credentials-with-wildcard`` (BROWSER-MODEL.md §6.2 C01, C02)."""
    findings: list[Finding] = []
    open_to_all = [
        e
        for e in evidence.with_origin(OriginClass.ARBITRARY, ProbeKind.ACTUAL, ProbeKind.PREFLIGHT)
        if e.response is not None
        and allow_origin_shape(e.response.headers) is AllowOriginShape.WILDCARD
        and evidence.access(e).omit.allowed
    ]
    if open_to_all and not evidence.policy.public:
        severity = Severity.MEDIUM
        detail = (
            "Access-Control-Allow-Origin is `*`: Chromium lets every web page read this "
            "response without cookies."
        )
        if evidence.policy.policy_free:
            severity = Severity.LOW
            detail += (
                " No policy says whether this endpoint is public; if it is, declare it "
                "with `public = true` (an [[override]] for its URL)."
            )
        findings.append(
            make_finding(evidence, "wildcard-origin", severity, detail, _first(open_to_all))
        )
    # Only replies to requests a browser sends count: a cross-origin fetch always carries
    # Origin. What a server answers without one (sanic-ext sends `*` with credentials then) is
    # context, never a finding.
    with_creds = [
        e
        for e in evidence.answered()
        if e.response is not None
        and e.probe.origin is not None
        and _browser_sends(evidence, e)
        and allow_origin_shape(e.response.headers) is AllowOriginShape.WILDCARD
        and is_credentials_true(e.response.headers)
    ]
    if with_creds:
        findings.append(
            make_finding(
                evidence,
                "credentials-with-wildcard",
                Severity.LOW,
                "The response combines `Access-Control-Allow-Origin: *` with "
                "`Access-Control-Allow-Credentials: true`; Chromium refuses every credentialed "
                "read of it (WildcardOriginNotAllowed).",
                _first(with_creds),
                origin_template="",
                cors_error="WildcardOriginNotAllowed",
            )
        )
    return findings


def invalid_allow_origin(evidence: Evidence) -> list[Finding]:
    """``invalid-allow-origin``: a list, repeated header or malformed value (§2.3, C13)."""
    # As in `wildcard`: the reply without Origin is context only (@koa/cors and Caddy send an
    # empty Access-Control-Allow-Origin then, and a valid one to every real origin).
    bad = [
        e
        for e in evidence.answered()
        if e.response is not None
        and e.probe.origin is not None
        and _browser_sends(evidence, e)
        and allow_origin_shape(e.response.headers)
        in (AllowOriginShape.MULTIPLE, AllowOriginShape.INVALID)
    ]
    if not bad:
        return []
    first = bad[0]
    assert first.response is not None
    value = header_get(first.response.headers, ACAO)
    assert first.probe.origin is not None
    error = cors_check(first.probe.origin.value, "omit", first.response.headers).error
    lines = sum(1 for name, _ in first.response.headers if name.lower() == ACAO.lower())
    shape = f"is sent on {lines} header lines" if lines > 1 else f"is {value!r}"
    return [
        make_finding(
            evidence,
            "invalid-allow-origin",
            Severity.MEDIUM,
            f"Access-Control-Allow-Origin {shape}; every browser rejects it "
            f"({error.value if error else 'blocked'}), so no origin can read this response.",
            _first(bad),
            origin_template="",
            cors_error=error.value if error else None,
        )
    ]


def trusted_origin_denied(evidence: Evidence) -> list[Finding]:
    """``trusted-origin-denied``: a policy-trusted origin that Chromium would block."""
    if evidence.policy.policy_free:
        return []  # without a policy nobody said which origin must work
    mode = _policy_mode(evidence)
    request = evidence.request
    findings: list[Finding] = []
    by_origin: dict[str, list[Exchange]] = {}
    for exchange in evidence.with_origin(
        OriginClass.TRUSTED, ProbeKind.ACTUAL, ProbeKind.PREFLIGHT
    ):
        if exchange.probe.purpose == POLICY:
            assert exchange.probe.origin is not None
            by_origin.setdefault(exchange.probe.origin.value, []).append(exchange)
    for origin, exchanges in by_origin.items():
        reasons: list[str] = []
        proof: list[Exchange] = []
        error: str | None = None
        for exchange in exchanges:
            if exchange.probe.kind is ProbeKind.ACTUAL:
                verdict = (
                    evidence.access(exchange).include
                    if mode == "include"
                    else evidence.access(exchange).omit
                )
                what = f"the {exchange.probe.method} response"
            elif request.needs_preflight:
                verdict = evidence.preflight(exchange, mode)
                what = f"the preflight for {request.method}" + (
                    f" with {', '.join(request.headers)}" if request.headers else ""
                )
            else:
                continue
            if not verdict.allowed:
                reason = f"{what} fails ({verdict.error.value if verdict.error else '?'})"
                if exchange.probe.kind is ProbeKind.PREFLIGHT:
                    reason += _still_fails(evidence, exchange, mode, verdict)
                reasons.append(reason)
                proof.append(exchange)
                error = error or (verdict.error.value if verdict.error else None)
        if reasons:
            creds = " with credentials" if mode == "include" else ""
            findings.append(
                make_finding(
                    evidence,
                    "trusted-origin-denied",
                    Severity.MEDIUM,
                    f"The policy trusts {origin}{creds}, but Chromium blocks it: "
                    + "; ".join(reasons)
                    + ".",
                    proof,
                    credentialed=mode == "include",
                    cors_error=error,
                )
            )
    return findings


def preflight_actual_mismatch(evidence: Evidence) -> list[Finding]:
    """``preflight-actual-mismatch`` for trusted origins (BROWSER-MODEL.md §6.2 C18)."""
    if not evidence.request.needs_preflight:
        return []  # browsers never preflight this request, so the preflight reply is moot
    mode = _policy_mode(evidence)
    findings: list[Finding] = []
    groups: dict[str, dict[ProbeKind, Exchange]] = {}
    for exchange in evidence.with_origin(
        OriginClass.TRUSTED, ProbeKind.ACTUAL, ProbeKind.PREFLIGHT
    ):
        if exchange.probe.purpose == POLICY and exchange.probe.origin is not None:
            groups.setdefault(exchange.probe.origin.value, {})[exchange.probe.kind] = exchange
    for origin, pair in groups.items():
        if len(pair) != 2:
            continue
        actual, preflight = pair[ProbeKind.ACTUAL], pair[ProbeKind.PREFLIGHT]
        a = getattr(evidence.access(actual), mode).allowed
        p = getattr(evidence.access(preflight), mode).allowed
        if a == p:
            continue
        passes, fails = ("preflight", "actual response") if p else ("actual response", "preflight")
        findings.append(
            make_finding(
                evidence,
                "preflight-actual-mismatch",
                Severity.LOW,
                f"For {origin} the {passes} passes the CORS check but the {fails} does not, so "
                "the same client gets contradictory answers.",
                [preflight, actual],
            )
        )
    return findings


def _successful_preflights(evidence: Evidence) -> list[Exchange]:
    return [
        e for e in evidence.answered(ProbeKind.PREFLIGHT) if evidence.preflight(e, "omit").allowed
    ]


def _allowed_list(exchange: Exchange, name: str) -> list[str]:
    assert exchange.response is not None
    values = extract_header_list_values(exchange.response.headers, name)
    return values if isinstance(values, list) else []


def _trusted_preflights(evidence: Evidence) -> list[Exchange]:
    return [
        e
        for e in evidence.with_origin(OriginClass.TRUSTED, ProbeKind.PREFLIGHT)
        if e.probe.purpose in (POLICY, BEYOND) and evidence.access(e).omit.allowed
    ]


# ---------------------------------------------------------------------------------------------
# Latent findings: what the preflight grants once Access-Control-Allow-Origin is fixed.

LATENT = "latent: applies once Access-Control-Allow-Origin is fixed"
"""The words a latent finding's detail carries."""

# Headers that show a reply answers the preflight's questions (and is not merely some OPTIONS
# handler that knows nothing of CORS).
_PREFLIGHT_ANSWERS = (ACAM, ACAH, ACMA)

Judged = tuple[Exchange, Exchange]
"""(the exchange as received, the exchange the check judges): the same one, or for a latent
check the reply with its Access-Control-Allow-Origin fixed."""


def _acao_fixed(exchange: Exchange) -> Exchange:
    """``exchange`` as it would be once Access-Control-Allow-Origin were fixed: every ACAO line
    replaced by a single one naming the probe's own origin, the rest of the reply unchanged."""
    assert exchange.response is not None
    assert exchange.probe.origin is not None
    headers = tuple(
        (name, value) for name, value in exchange.response.headers if name.lower() != ACAO.lower()
    )
    response = replace(exchange.response, headers=(*headers, (ACAO, exchange.probe.origin.value)))
    return replace(exchange, response=response)


def _latent_preflights(evidence: Evidence) -> list[Judged]:
    """The trusted preflights judged as if Access-Control-Allow-Origin were fixed, when that
    header (invalid or missing) blocks every one of them; empty otherwise.

    Chromium stops at the CORS check, so Allow-Methods, Allow-Headers and Max-Age of such a
    reply do nothing today, but they take effect the moment the origin header is corrected.
    Without a policy the only trusted origin is the target's own, which needs no CORS at all,
    so nothing is latent then.
    """
    if evidence.policy.policy_free:
        return []
    trusted = [
        e
        for e in evidence.with_origin(OriginClass.TRUSTED, ProbeKind.PREFLIGHT)
        if e.probe.purpose in (POLICY, BEYOND)
    ]
    if any(evidence.access(e).omit.allowed for e in trusted):
        return []
    return [(e, _acao_fixed(e)) for e in trusted if _answers_preflight(e)]


def _answers_preflight(exchange: Exchange) -> bool:
    assert exchange.response is not None
    headers = exchange.response.headers
    return any(header_get(headers, name) is not None for name in _PREFLIGHT_ANSWERS)


def _as_latent(finding: Finding) -> Finding:
    return replace(
        finding,
        severity=finding.severity.lowered(),
        latent=True,
        detail=f"{finding.detail} ({LATENT}; until then the browser stops at that header.)",
    )


def _still_fails(
    evidence: Evidence, exchange: Exchange, mode: Credentials, verdict: Verdict
) -> str:
    """For a trusted preflight that fails: what it would fail on next once its
    Access-Control-Allow-Origin were fixed, as text to append ("" when nothing else)."""
    fixed = evidence.preflight(_acao_fixed(exchange), mode)
    if fixed.allowed or fixed.error == verdict.error or fixed.error is None:
        return ""
    return f", and once Access-Control-Allow-Origin is fixed it still fails ({fixed.error.value})"


# ---------------------------------------------------------------------------------------------
# Preflight scope and caching.


def _scope_preflights(evidence: Evidence) -> tuple[list[Judged], bool]:
    """The trusted preflights whose Allow-Methods/-Headers a browser honours, or else the latent
    ones; and whether they are latent."""
    passing = _trusted_preflights(evidence)
    if passing:
        return [(e, e) for e in passing], False
    latent = _latent_preflights(evidence)
    return latent, bool(latent)


def _beyond_scope(
    evidence: Evidence,
    preflights: Iterable[Judged],
    header: str,
    allowed: set[str],
    normalize: Callable[[str], str],
    ignored: Callable[[str], bool],
    what: str,
) -> tuple[dict[str, None], list[Exchange]]:
    """The items granted outside the policy (in order, `*` included) and the exchanges that
    show them."""
    extra: dict[str, None] = {}
    proof: list[Exchange] = []
    for shown, judged in preflights:
        listed = [
            item
            for item in _allowed_list(judged, header)
            if item == "*" or (normalize(item) not in allowed and not ignored(item))
        ]
        if judged.probe.purpose == BEYOND and evidence.preflight(judged, "omit").allowed:
            asked = (
                [judged.probe.request_method]
                if what == "methods"
                else [h for h in judged.probe.request_headers if h not in allowed]
            )
            listed += [item for item in asked if not ignored(item)]
        if listed:
            extra.update(dict.fromkeys(listed))
            proof.append(shown)
    return extra, proof


def _unmatchable_method(method: str) -> bool:
    """A case variant (not the exact form) of one of the six methods fetch() upper-cases, such
    as ``get`` or ``Delete``. Fetch "normalize a method" turns ``fetch(u, {method: 'delete'})``
    into ``DELETE`` and Access-Control-Allow-Methods is compared byte for byte, so no browser
    request ever matches such an item (``patch`` is not normalized and does match)."""
    return normalize_method(method) != method


def _harmless_method(method: str) -> bool:
    return is_cors_safelisted_method(method) or _unmatchable_method(method)


_OPTIONS_NOTE = (
    "any page can already make the browser send an OPTIONS request (every preflight is one), "
    "so allowing it grants little"
)


def _methods_beyond(evidence: Evidence, preflights: list[Judged]) -> Finding | None:
    policy = evidence.policy
    assert policy.allowed_methods is not None
    extra, proof = _beyond_scope(
        evidence,
        preflights,
        ACAM,
        set(policy.allowed_methods),
        lambda m: m,  # methods compare byte for byte (Fetch "CORS-preflight fetch" step 7)
        _harmless_method,
        "methods",
    )
    if not extra:
        return None
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
    return make_finding(
        evidence, "methods-beyond-policy", severity, detail, proof, origin_template=""
    )


def _headers_beyond(evidence: Evidence, preflights: list[Judged]) -> Finding | None:
    policy = evidence.policy
    assert policy.allowed_headers is not None
    extra, proof = _beyond_scope(
        evidence,
        preflights,
        ACAH,
        {h.lower() for h in policy.allowed_headers},
        str.lower,  # header names compare case-insensitively
        lambda h: h.lower() in _SAFELISTED_REQUEST_HEADERS,
        "request headers",
    )
    if not extra:
        return None
    return make_finding(
        evidence,
        "headers-beyond-policy",
        Severity.LOW,
        f"The preflight allows request headers outside the policy: {', '.join(extra)}"
        + (" (`*` allows any)" if "*" in extra else "")
        + ".",
        proof,
        origin_template="",
    )


def preflight_scope(evidence: Evidence) -> list[Finding]:
    """``methods-beyond-policy`` and ``headers-beyond-policy`` (BROWSER-MODEL.md §6.2 C16), latent
    (one severity lower) when only an Access-Control-Allow-Origin fix would let them apply."""
    policy = evidence.policy
    methods = policy.allowed_methods is not None and "*" not in policy.allowed_methods
    headers = policy.allowed_headers is not None and "*" not in policy.allowed_headers
    if not (methods or headers):
        return []
    preflights, latent = _scope_preflights(evidence)
    found = [
        finding
        for finding in (
            _methods_beyond(evidence, preflights) if methods else None,
            _headers_beyond(evidence, preflights) if headers else None,
        )
        if finding is not None
    ]
    return [_as_latent(f) for f in found] if latent else found


def credentials_beyond_policy(evidence: Evidence) -> list[Finding]:
    """``credentials-beyond-policy``: credentialed reads pass although the policy says no."""
    if evidence.policy.allow_credentials is not False:
        return []
    proof = [
        e
        for e in evidence.answered(ProbeKind.ACTUAL, ProbeKind.PREFLIGHT)
        if e.probe.origin is not None
        and _browser_sends(evidence, e)
        and evidence.access(e).include.allowed
    ]
    if not proof:
        return []
    return [
        make_finding(
            evidence,
            "credentials-beyond-policy",
            Severity.MEDIUM,
            f"{proof[0].probe.origin.value if proof[0].probe.origin else 'An origin'} can read "
            "responses with the user's cookies (`Access-Control-Allow-Credentials: true`), but "
            "the policy says `allow_credentials = false`.",
            _first(proof),
            origin_template="",
            credentialed=True,
        )
    ]


def max_age(evidence: Evidence) -> list[Finding]:
    """``missing-max-age`` and ``max-age-out-of-range`` (BROWSER-MODEL.md §3.5, C15), judged on the
    first successful preflight, or latent (one severity lower) on the first trusted preflight
    that would succeed once its Access-Control-Allow-Origin were fixed."""
    preflights = _successful_preflights(evidence)
    if preflights:
        return _max_age_findings(evidence, preflights[0], preflights[0])
    latent = [
        (shown, judged)
        for shown, judged in _latent_preflights(evidence)
        if evidence.preflight(judged, "omit").allowed
    ]
    if not latent:
        return []
    return [_as_latent(f) for f in _max_age_findings(evidence, *latent[0])]


def _max_age_findings(evidence: Evidence, shown: Exchange, judged: Exchange) -> list[Finding]:
    assert judged.response is not None
    headers = judged.response.headers
    raw = header_get(headers, ACMA)
    if raw is None:
        return [
            make_finding(
                evidence,
                "missing-max-age",
                Severity.LOW,
                "The successful preflight has no Access-Control-Max-Age, so browsers cache it "
                "for only 5 seconds and preflight again on almost every request.",
                [shown],
                origin_template="",
            )
        ]
    effective = {
        engine: max_age_seconds(headers, engine) for engine in ("chromium", "firefox", "webkit")
    }
    times = ", ".join(
        f"{engine} {'not cached' if value is None else f'{value} s'}"
        for engine, value in effective.items()
    )
    seconds = int(raw.strip()) if raw.strip().isdigit() else None
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
    elif seconds > 86400:
        problem = f"Access-Control-Max-Age {seconds} exceeds every browser's cap"
        severity = Severity.INFO
    if problem is None:
        return []
    return [
        make_finding(
            evidence,
            "max-age-out-of-range",
            severity,
            f"{problem}; effective cache time: {times}.",
            [shown],
            origin_template="",
        )
    ]


def _varies_on_origin(exchange: Exchange) -> bool:
    assert exchange.response is not None
    vary = header_get(exchange.response.headers, "Vary") or ""
    names = {part.strip().lower() for part in vary.split(",")}
    return "origin" in names or "*" in names


def _not_storable(exchange: Exchange) -> bool:
    assert exchange.response is not None
    cache_control = (header_get(exchange.response.headers, "Cache-Control") or "").lower()
    return "no-store" in cache_control


def _browser_sends(evidence: Evidence, exchange: Exchange) -> bool:
    """Whether a browser could send this actual request: for a method that needs a preflight,
    not when every preflight sent for its origin was refused (Chromium then never sends it, and
    its reply is nothing a browser or its cache ever sees)."""
    origin = exchange.probe.origin
    if (
        origin is None
        or exchange.probe.is_preflight
        or is_cors_safelisted_method(evidence.target.method)
    ):
        return True
    preflights = [
        e
        for e in evidence.answered(ProbeKind.PREFLIGHT)
        if e.probe.origin is not None
        and (
            e.probe.origin.value == origin.value
            # The random arbitrary origins stand for one another (one preflight is sent).
            or e.probe.origin.cls is origin.cls is OriginClass.ARBITRARY
        )
    ]
    return not preflights or any(evidence.preflight(e, "omit").allowed for e in preflights)


def missing_vary(evidence: Evidence) -> list[Finding]:
    """``missing-vary-origin``: a reply whose ACAO echoes the request origin lacks
    ``Vary: Origin`` (BROWSER-MODEL.md §6.2 C14, vectors v01/v02).

    Only replies that carry an origin-specific ACAO are judged: they are the ones a shared
    cache can hand to another origin. A static ACAO sent on every reply (with or without an
    ``Origin``, whatever its value) needs no ``Vary``: Fetch "CORS protocol and HTTP caches"
    (FETCH L10080-10111) says to always send it and not to use ``Vary`` then.
    """
    replies = [e for e in evidence.answered(ProbeKind.ACTUAL) if _browser_sends(evidence, e)]
    acao_values = {header_get(e.response.headers, ACAO) for e in replies if e.response is not None}
    if len(acao_values) < 2:
        return []  # the same answer for every origin (and none): no cache can mix them up
    proof = []
    for exchange in replies:
        origin = exchange.probe.origin
        if origin is None or exchange.response is None:
            continue
        value = header_get(exchange.response.headers, ACAO)
        if value is None or value.strip() != origin.value:
            continue
        if _varies_on_origin(exchange) or _not_storable(exchange):
            continue
        proof.append(exchange)
    if not proof:
        return []
    credentialed = any(
        e.response is not None and is_credentials_true(e.response.headers) for e in proof
    )
    return [
        make_finding(
            evidence,
            "missing-vary-origin",
            Severity.MEDIUM if credentialed else Severity.LOW,
            "Access-Control-Allow-Origin echoes the request's origin but the response has no "
            "`Vary: Origin`, so a cache can serve the reply made for one origin to another.",
            _first(proof),
            origin_template="",
            credentialed=credentialed,
        )
    ]


def _is_sensitive(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SENSITIVE_EXACT or any(part in lowered for part in _SENSITIVE_PARTS)


def exposed_headers(evidence: Evidence) -> list[Finding]:
    """``sensitive-exposed-headers`` (BROWSER-MODEL.md §4, §6.2 C19)."""
    intended = {h.lower() for h in evidence.policy.expose_headers or ()}
    names: dict[str, None] = {}
    proof: list[Exchange] = []
    for exchange in evidence.answered(ProbeKind.ACTUAL):
        if exchange.probe.origin is None or exchange.response is None:
            continue
        if not _browser_sends(evidence, exchange):
            continue
        access = evidence.access(exchange)
        if not access.any:
            continue
        mode: Credentials = "include" if access.include.allowed else "omit"
        readable = exposed_header_names(exchange.response.headers, mode)
        listed = _allowed_list(exchange, ACEH)
        sensitive = [
            n
            for n in listed
            if n != "*"
            and _is_sensitive(n)
            and n.lower() not in intended
            and n.lower() not in ("set-cookie", "set-cookie2")  # never exposed (e05)
        ]
        if "*" in listed and mode == "omit":
            sensitive += [
                name
                for name, _ in exchange.response.headers
                if _is_sensitive(name) and name.lower() in readable and name.lower() not in intended
            ]
        if sensitive:
            names.update(dict.fromkeys(sensitive))
            proof.append(exchange)
    if not names:
        return []
    return [
        make_finding(
            evidence,
            "sensitive-exposed-headers",
            Severity.LOW,
            "Access-Control-Expose-Headers makes these credential/token headers readable by "
            f"the allowed origins' scripts: {', '.join(names)}.",
            _first(proof),
            origin_template="",
        )
    ]


def private_network(evidence: Evidence) -> list[Finding]:
    """``private-network-allowed``: ACAPN granted to an untrusted origin (BROWSER-MODEL.md §5)."""
    proof = [
        e
        for e in evidence.answered(ProbeKind.PRIVATE_NETWORK)
        if e.probe.origin is not None
        and e.probe.origin.cls is not OriginClass.TRUSTED
        and e.response is not None
        and evidence.access(e).omit.allowed
        and (header_get(e.response.headers, ACAPN) or "").strip() == "true"
    ]
    if not proof:
        return []
    origin = proof[0].probe.origin.value if proof[0].probe.origin else "an untrusted origin"
    return [
        make_finding(
            evidence,
            "private-network-allowed",
            Severity.HIGH,
            f"The private-network preflight from {origin} is answered with "
            "`Access-Control-Allow-Private-Network: true`. Chromium 104-141 only warned about "
            "such requests; Chromium 142+ asks the user for local-network permission instead.",
            proof,
        )
    ]


CHECKS: tuple[Callable[[Evidence], list[Finding]], ...] = (
    wildcard,
    invalid_allow_origin,
    trusted_origin_denied,
    preflight_actual_mismatch,
    preflight_scope,
    credentials_beyond_policy,
    max_age,
    missing_vary,
    exposed_headers,
    private_network,
)
