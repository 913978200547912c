"""Rule checks on hand-made server behaviours (tables of replies), beyond the demo lab."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.rule_builders import APP, Server, allowlist, policy, rules_of, run, trusted_only

from cors_audit.core.models import Headers, Probe, Severity
from cors_audit.judging.rules import RULES, RULES_BY_ID, get_rule
from cors_audit.judging.rules.catalogue import ORIGIN_RULES

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"


def test_strict_allowlist_has_no_finding() -> None:
    findings, _ = run(allowlist(trusted_only))
    assert findings == ()


@pytest.mark.parametrize(
    ("max_age", "pol", "expected"),
    [
        pytest.param(None, policy(), {"missing-max-age"}, id="absent"),
        pytest.param("30", policy(), {"max-age-out-of-range"}, id="below-min"),
        pytest.param("90000", policy(), {"max-age-out-of-range"}, id="above-max"),
        pytest.param("abc", policy(), {"max-age-out-of-range"}, id="invalid"),
        pytest.param(
            "90000",
            policy(max_age_min=None, max_age_max=None),
            {"max-age-out-of-range"},
            id="beyond-every-cap",
        ),
        pytest.param("7200", policy(max_age_min=None, max_age_max=None), set(), id="no-range"),
    ],
)
def test_max_age(max_age: str | None, pol: object, expected: set[str]) -> None:
    findings, _ = run(allowlist(trusted_only, max_age=max_age), pol)  # type: ignore[arg-type]
    assert rules_of(findings) == expected


def test_max_age_beyond_caps_is_info_with_per_engine_values() -> None:
    findings, _ = run(
        allowlist(trusted_only, max_age="90000"), policy(max_age_min=None, max_age_max=None)
    )
    (finding,) = findings
    assert finding.severity is Severity.INFO
    assert "chromium 7200 s" in finding.detail
    assert "firefox 86400 s" in finding.detail
    assert "webkit 600 s" in finding.detail


@pytest.mark.parametrize(
    ("methods", "expected"),
    [
        pytest.param("GET, POST, PATCH", set(), id="as-policy"),
        pytest.param("GET, HEAD, POST, PATCH", set(), id="safelisted-extra-is-harmless"),
        pytest.param("GET, POST, PATCH, DELETE", {"methods-beyond-policy"}, id="delete"),
        # With credentials `*` is a literal method name (m04): the trusted PATCH breaks, while
        # uncredentialed requests may use any method.
        pytest.param("*", {"methods-beyond-policy", "trusted-origin-denied"}, id="star"),
        # `patch` is not `PATCH` (m09): the real PATCH breaks and `patch` is an extra method.
        pytest.param(
            "GET, POST, patch",
            {"trusted-origin-denied", "methods-beyond-policy"},
            id="byte-exact-case",
        ),
    ],
)
def test_methods(methods: str, expected: set[str]) -> None:
    findings, _ = run(allowlist(trusted_only, methods=methods))
    assert rules_of(findings) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param("content-type, AUTHORIZATION", set(), id="any-case"),
        pytest.param("Content-Type, Authorization, Accept", set(), id="safelisted-extra"),
        pytest.param("Content-Type, Authorization, X-Debug", {"headers-beyond-policy"}, id="extra"),
        # With credentials `*` is a literal header name (h03/h11).
        pytest.param("*", {"headers-beyond-policy", "trusted-origin-denied"}, id="star"),
        pytest.param("Content-Type", {"trusted-origin-denied"}, id="missing-authorization"),
    ],
)
def test_headers(headers: str, expected: set[str]) -> None:
    findings, _ = run(allowlist(trusted_only, headers=headers))
    assert rules_of(findings) == expected


def test_reflected_request_method_and_headers_are_caught() -> None:
    def server(probe: Probe) -> tuple[int, Headers]:
        out = [("Vary", "Origin")]
        if probe.origin and probe.origin.value == APP:
            out += [
                ("Access-Control-Allow-Origin", APP),
                ("Access-Control-Allow-Credentials", "true"),
            ]
            if probe.is_preflight:
                out += [
                    ("Access-Control-Allow-Methods", probe.request_method),
                    ("Access-Control-Allow-Headers", ",".join(probe.request_headers)),
                    ("Access-Control-Max-Age", "600"),
                ]
        return (204 if probe.is_preflight else 200), tuple(out)

    findings, _ = run(server)
    assert rules_of(findings) == {"methods-beyond-policy", "headers-beyond-policy"}


def test_policy_without_methods_or_headers_skips_scope_rules() -> None:
    findings, _ = run(
        allowlist(trusted_only, methods="*", headers="*"),
        policy(allowed_methods=None, allowed_headers=None),
    )
    assert rules_of(findings) == set()


def test_credentials_beyond_policy() -> None:
    findings, _ = run(allowlist(trusted_only), policy(allow_credentials=False))
    assert rules_of(findings) == {"credentials-beyond-policy"}


def test_credentials_required_but_missing_denies_trusted_origin() -> None:
    findings, _ = run(allowlist(trusted_only, credentials=False))
    (finding,) = findings
    assert finding.rule == "trusted-origin-denied"
    assert finding.cors_error in ("InvalidAllowCredentials", "PreflightInvalidAllowCredentials")


def test_non_2xx_preflight_denies_trusted_origin() -> None:
    findings, _ = run(allowlist(trusted_only, preflight_status=403))
    assert rules_of(findings) == {"trusted-origin-denied"}
    assert "PreflightInvalidStatus" in findings[0].detail


@pytest.mark.parametrize(
    ("expose", "expected"),
    [
        pytest.param("X-Request-Id", set(), id="harmless"),
        pytest.param("Authorization, X-Auth-Token", {"sensitive-exposed-headers"}, id="tokens"),
        pytest.param("Set-Cookie", set(), id="set-cookie-never-exposed"),
    ],
)
def test_exposed_headers(expose: str, expected: set[str]) -> None:
    server = allowlist(trusted_only, extra=(("Access-Control-Expose-Headers", expose),))
    findings, _ = run(server)
    assert rules_of(findings) == expected


def test_exposed_star_without_credentials_reveals_sensitive_headers() -> None:
    def server(probe: Probe) -> tuple[int, Headers]:
        return 200, (
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Expose-Headers", "*"),
            ("X-Session-Token", "abc"),
        )

    findings, _ = run(
        server,
        policy(allow_credentials=False, public=True, allowed_methods=None, allowed_headers=None),
    )
    assert "sensitive-exposed-headers" in rules_of(findings)
    assert (
        "x-session-token"
        in next(f for f in findings if f.rule == "sensitive-exposed-headers").detail.lower()
    )


def test_wildcard_is_not_reported_as_reflection_and_public_silences_it() -> None:
    def server(probe: Probe) -> tuple[int, Headers]:
        headers: Headers = (("Access-Control-Allow-Origin", "*"),)
        if probe.is_preflight:
            headers += (("Access-Control-Allow-Methods", "GET"), ("Access-Control-Max-Age", "600"))
        return (204 if probe.is_preflight else 200), headers

    anon = policy(allow_credentials=False, allowed_methods=("GET",), allowed_headers=())
    findings, _ = run(server, anon)
    assert rules_of(findings) == {"wildcard-origin"}
    findings, _ = run(
        server,
        policy(allow_credentials=False, allowed_methods=("GET",), allowed_headers=(), public=True),
    )
    assert findings == ()


def test_preflight_only_reflection_is_a_write_exposure_one_level_lower() -> None:
    def server(probe: Probe) -> tuple[int, Headers]:
        if not probe.is_preflight:
            return 200, (("Vary", "Origin"),)
        origin = probe.origin.value if probe.origin else "null"
        return 204, (
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Methods", "GET, POST, PATCH"),
            ("Access-Control-Allow-Headers", "Content-Type, Authorization"),
            ("Access-Control-Max-Age", "600"),
            ("Vary", "Origin"),
        )

    findings, _ = run(server, policy(allow_credentials=False))
    reflected = next(f for f in findings if f.rule == "reflected-origin")
    assert reflected.severity is Severity.LOW  # medium, lowered: send-only, no read
    assert "send PATCH" in reflected.detail


def test_preflighted_target_needs_the_preflight_to_read() -> None:
    # The actual reply echoes every origin, but the preflight allows only the trusted one:
    # Chromium never sends the PATCH for an attacker, so nothing is readable.
    def server(probe: Probe) -> tuple[int, Headers]:
        origin = probe.origin.value if probe.origin else None
        if probe.is_preflight:
            if origin != APP:
                return 204, (("Vary", "Origin"),)
            return 204, (
                ("Access-Control-Allow-Origin", APP),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Allow-Methods", "GET, POST, PATCH"),
                ("Access-Control-Allow-Headers", "Content-Type, Authorization"),
                ("Access-Control-Max-Age", "600"),
                ("Vary", "Origin"),
            )
        out: Headers = (("Vary", "Origin"),)
        if origin:
            out += (
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Credentials", "true"),
            )
        return 200, out

    findings, _ = run(server, method="PATCH")
    assert "reflected-origin" not in rules_of(findings)


def test_catalogue_is_consistent() -> None:
    assert len(RULES_BY_ID) == len(RULES)  # the registry's size is tests/judging/test_registry's
    assert set(ORIGIN_RULES) < set(RULES_BY_ID)
    for rule in RULES:
        assert rule.cwe.startswith("CWE-")
        assert rule.why
        assert rule.fix
        assert rule.title
    with pytest.raises(KeyError, match="known rules"):
        get_rule("nope")


def test_curl_never_inlines_credentials() -> None:
    findings, _ = run(
        lambda p: (
            200,
            (
                ("Access-Control-Allow-Origin", p.origin.value if p.origin else "x"),
                ("Access-Control-Allow-Credentials", "true"),
            ),
        ),
        credentialed=True,
    )
    reflected = next(f for f in findings if f.rule == "reflected-origin")
    assert "$CORS_AUDIT_COOKIE" in reflected.curl
    assert reflected.curl.startswith("curl -i -s -X GET https://api.example.com/items -H 'Origin: ")


def _redirecting(location: str, *, reflect_on_hop: bool) -> Callable[[Probe], tuple[int, Headers]]:
    """Preflights reflect the origin; actual requests get a redirect to ``location`` whose
    hop reflects the origin (``reflect_on_hop``) or carries no CORS header at all."""

    def server(probe: Probe) -> tuple[int, Headers]:
        origin = probe.origin.value if probe.origin else None
        cors: Headers = (
            (("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true"))
            if origin is not None
            else ()
        )
        if probe.is_preflight:
            methods = (("Access-Control-Allow-Methods", "GET, POST, PATCH"),)
            allowed = (("Access-Control-Allow-Headers", "Content-Type, Authorization"),)
            return 204, cors + methods + allowed
        return 302, (("Location", location), *(cors if reflect_on_hop else ()))

    return server


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        pytest.param(
            "https://sso.example.net/login?next=/items",
            "follows it to another origin with `Origin: null`",
            id="login-elsewhere",
        ),
        pytest.param(
            "/items/", "follows it on the same origin with the same Origin", id="trailing-slash"
        ),
        pytest.param(
            "javascript:alert(1)",
            "not an http(s) URL (javascript:), which Fetch treats as a network error",
            id="non-http-scheme",
        ),
        pytest.param(
            "ftp://files.example.net/x",
            "not an http(s) URL (ftp:), which Fetch treats as a network error",
            id="ftp",
        ),
    ],
)
def test_a_read_exposure_on_a_redirect_says_what_chromium_does_next(
    location: str, expected: str
) -> None:
    # Given actual replies that redirect, with the hop reflecting any origin
    findings, _ = run(_redirecting(location, reflect_on_hop=True))

    # Then the reflection is reported, and its detail says the redirect decides the read
    (reflected,) = [f for f in findings if f.rule == "reflected-origin"]
    assert (
        f"The reply was a 302 redirect to `{location}` (the scan follows none)" in reflected.detail
    )
    assert expected in reflected.detail


def test_a_redirect_without_cors_headers_stops_chromium_at_the_hop() -> None:
    # Given actual replies that redirect to a login page without any CORS header (r03)
    findings, _ = run(_redirecting("https://sso.example.net/login", reflect_on_hop=False))

    # Then the trusted origin is denied at the redirect itself, and the detail says so
    denied = [f for f in findings if f.rule == "trusted-origin-denied"]
    assert denied
    assert all(
        "runs the CORS check on the redirect itself and stops there" in f.detail for f in denied
    )


def test_a_huge_location_is_cut_in_the_detail() -> None:
    location = "https://sso.example.net/" + "a" * 5000
    findings, _ = run(_redirecting(location, reflect_on_hop=True))
    (reflected,) = [f for f in findings if f.rule == "reflected-origin"]
    assert location not in reflected.detail
    assert location[:200] + "…" in reflected.detail


# --- Replies without Origin are context only (issue 14) --------------------------------------


def answering_without_origin(extra: Headers, server: Server) -> Server:
    """``server``, plus ``extra`` response headers on the replies to probes without Origin."""

    def wrapped(probe: Probe) -> tuple[int, Headers]:
        status, headers = server(probe)
        return status, headers + extra if probe.origin is None else headers

    return wrapped


@pytest.mark.parametrize(
    "extra",
    [
        # sanic-ext: `*` with credentials, but only when the request carries no Origin.
        pytest.param(((ACAO, "*"), (ACAC, "true")), id="sanic-ext-star-with-credentials"),
        # @koa/cors and a Caddy `{http.request.header.Origin}` placeholder: an empty value.
        pytest.param(((ACAO, ""),), id="koa-caddy-empty"),
    ],
)
def test_what_a_strict_allowlist_answers_without_origin_is_no_finding(extra: Headers) -> None:
    findings, exchanges = run(answering_without_origin(extra, allowlist(trusted_only)))
    baseline = next(e for e in exchanges if e.probe.origin is None)
    assert baseline.response is not None
    assert set(extra) <= set(baseline.response.headers)  # the scan did see the odd reply
    assert findings == ()


def test_a_server_reflecting_every_origin_and_empty_without_one_is_reflection_only() -> None:
    # @koa/cors's default and Caddy's placeholder echo every real Origin (the finding) and send
    # an empty value when none comes (not a finding: no browser request lacks Origin).
    findings, _ = run(answering_without_origin(((ACAO, ""),), allowlist(lambda _: True)))
    assert "reflected-origin" in rules_of(findings)
    assert "invalid-allow-origin" not in rules_of(findings)


@pytest.mark.parametrize(
    ("extra", "rule"),
    [
        pytest.param(((ACAO, "*"), (ACAC, "true")), "credentials-with-wildcard", id="star"),
        pytest.param(((ACAO, ""),), "invalid-allow-origin", id="empty"),
    ],
)
def test_the_same_values_sent_with_origin_are_still_findings(extra: Headers, rule: str) -> None:
    def server(probe: Probe) -> tuple[int, Headers]:
        headers: Headers = (("Vary", "Origin"), *extra)
        if probe.is_preflight:
            headers += ((ACAM, "GET, POST, PATCH"), (ACAH, "Content-Type, Authorization"))
        return (204 if probe.is_preflight else 200), headers

    findings, _ = run(server)
    found = [f for f in findings if f.rule == rule]
    assert found
    assert all(e.probe.origin is not None for f in found for e in f.evidence)


# --- methods-beyond-policy: only methods a browser request can match (issue 14) -------------


@pytest.mark.parametrize(
    "methods",
    [
        # fetch() upper-cases these six in any case, and Allow-Methods compares byte for byte,
        # so the lower-case items match no browser request.
        pytest.param("GET, POST, PATCH, delete, put", id="normalized-lower-case"),
        pytest.param("GET, POST, PATCH, Delete, oPTIONS, get", id="normalized-mixed-case"),
    ],
)
def test_case_variants_of_normalized_methods_are_not_beyond_policy(methods: str) -> None:
    findings, _ = run(allowlist(trusted_only, methods=methods))
    assert findings == ()


def test_options_alone_beyond_policy_is_info() -> None:
    findings, _ = run(allowlist(trusted_only, methods="GET, POST, PATCH, OPTIONS"))
    (finding,) = findings
    assert finding.rule == "methods-beyond-policy"
    assert finding.severity is Severity.INFO
    assert "OPTIONS" in finding.detail


def test_options_is_left_out_of_a_medium_methods_finding() -> None:
    findings, _ = run(allowlist(trusted_only, methods="GET, POST, PATCH, PUT, DELETE, OPTIONS"))
    (finding,) = findings
    assert finding.severity is Severity.MEDIUM
    assert "outside the policy: PUT, DELETE." in finding.detail
    assert "OPTIONS too (info only" in finding.detail


def test_lower_case_patch_is_a_real_method_beyond_policy() -> None:
    # `patch` is not normalized: fetch(url, {method: "patch"}) sends `patch`, which matches it.
    findings, _ = run(
        allowlist(trusted_only, methods="GET, POST, patch"),
        policy(allowed_methods=("GET", "POST")),
    )
    (finding,) = findings
    assert finding.rule == "methods-beyond-policy"
    assert finding.severity is Severity.MEDIUM
    assert "outside the policy: patch." in finding.detail
