"""Tests for the demo lab: its table, its policy, the wire behaviour of every endpoint, and the
server's lifecycle.

`test_expected_matches_behaviour` is the heart: it sends every endpoint the probes README "Probes"
describes (origins from ``origins``) over real HTTP and re-derives the rule ids with a small,
independent reference judgement (a simplified Fetch CORS check, BROWSER-MODEL.md §2.1 and §3.3),
so each ``Endpoint.expected`` is checked against what the server really does.
"""

from __future__ import annotations

import http.client
import io
import re
import socket
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from cors_audit.core.errors import UsageError
from cors_audit.core.models import EffectivePolicy, OriginClass
from cors_audit.demo.lab import (
    DASHBOARD_ORIGIN,
    DEMO_POLICY_TOML,
    DEMO_SITE_ORIGIN,
    ENDPOINTS,
    TRUSTED_ORIGINS,
    DemoLab,
    Endpoint,
    Reply,
    RequestView,
    respond,
    serve_forever,
)
from cors_audit.inputs.policy import Policy, load_policy, policy_free
from cors_audit.judging.rules.catalogue import ORIGIN_RULES, RULES, RULES_BY_ID
from cors_audit.judging.rules.registry import ORIGIN_CLASSES
from cors_audit.probing import origins

LABEL = "q7x2k9m4pz"
SAFELISTED_METHODS = {"GET", "HEAD", "POST"}
SENSITIVE = re.compile(r"authorization|token|secret|session|api-?key|cookie|csrf|xsrf", re.I)
SERIALIZED_ORIGIN = re.compile(r"\*|null|https?://[^\s,/]+")


# -- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab() -> Iterator[DemoLab]:
    with DemoLab() as running:
        yield running
        assert running.errors == ()


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    path = tmp_path_factory.mktemp("demo") / "cors-policy.toml"
    path.write_text(DEMO_POLICY_TOML, encoding="utf-8")
    return load_policy(path)


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def get(self, name: str) -> str | None:
        found = self.values(name)
        return ", ".join(found) if found else None

    def listed(self, name: str) -> set[str]:
        return {item.strip() for v in self.values(name) for item in v.split(",") if item.strip()}


class Client:
    """One keep-alive connection to the lab."""

    def __init__(self, lab: DemoLab) -> None:
        self.conn = http.client.HTTPConnection(lab.host, lab.port, timeout=5)

    def send(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Response:
        self.conn.request(method, path, body=body or None, headers=headers or {})
        reply = self.conn.getresponse()
        return Response(reply.status, reply.getheaders(), reply.read())

    def actual(self, endpoint: Endpoint, origin: str) -> Response:
        return self.send(endpoint.method, endpoint.path, {"Origin": origin})

    def preflight(
        self, path: str, origin: str, method: str, headers: list[str], *, pna: bool = False
    ) -> Response:
        request = {"Origin": origin, "Access-Control-Request-Method": method}
        if headers:
            request["Access-Control-Request-Headers"] = ",".join(headers)
        if pna:
            request["Access-Control-Request-Private-Network"] = "true"
        return self.send("OPTIONS", path, request)

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def client(lab: DemoLab) -> Iterator[Client]:
    opened = Client(lab)
    yield opened
    opened.close()


def endpoint(path: str) -> Endpoint:
    return next(e for e in ENDPOINTS if e.path == path)


# -- a small reference judgement (simplified BROWSER-MODEL.md §2.1 / §3.3) ----------------------


def cors_ok(response: Response, origin: str, credentials: bool) -> bool:
    acao = response.values("Access-Control-Allow-Origin")
    if len(acao) != 1:
        return False
    if acao[0] == "*":
        return not credentials
    if acao[0] != origin:
        return False
    return not credentials or response.values("Access-Control-Allow-Credentials") == ["true"]


def preflight_ok(
    response: Response, origin: str, credentials: bool, method: str, headers: list[str]
) -> bool:
    if not 200 <= response.status < 300 or not cors_ok(response, origin, credentials):
        return False
    methods = response.listed("Access-Control-Allow-Methods")
    names = {h.lower() for h in response.listed("Access-Control-Allow-Headers")}
    star = "*" in methods and not credentials
    method_ok = method in SAFELISTED_METHODS or method in methods or star
    headers_ok = all(h in names or ("*" in names and not credentials) for h in headers)
    return method_ok and headers_ok


def policy_request(ep: Endpoint, eff: EffectivePolicy) -> tuple[str, list[str]]:
    """What a trusted page sends: a non-safelisted policy method for safelisted targets."""
    method = ep.method
    if method in SAFELISTED_METHODS:
        method = next((m for m in eff.allowed_methods or () if m not in SAFELISTED_METHODS), method)
    return method, sorted(h.lower() for h in eff.allowed_headers or ())


def admitted(client: Client, ep: Endpoint, eff: EffectivePolicy) -> tuple[str, ...]:
    """The trusted and first-party candidate origins the endpoint lets read (not with `*`), in
    probe order; none when an unrelated origin gets in too (then nothing is learnt)."""
    found: list[str] = []
    for probe in origins.probe_origins(DEMO_SITE_ORIGIN, eff, LABEL):
        if probe.cls not in (OriginClass.TRUSTED, OriginClass.FIRST_PARTY, OriginClass.ARBITRARY):
            continue
        reply = client.actual(ep, probe.value)
        if reply.values("Access-Control-Allow-Origin") == ["*"] or not cors_ok(
            reply, probe.value, False
        ):
            continue
        if probe.cls is OriginClass.ARBITRARY:
            return ()
        found.append(probe.value)
    return tuple(found)


def judge(client: Client, ep: Endpoint, eff: EffectivePolicy) -> set[str]:
    """The rule ids the catalogue conditions give for what the lab answers (``eff`` may be the
    policy-free default: the site's own origin trusted, nothing else stated)."""
    found: set[str] = set()
    free = eff.policy_free
    creds = bool(eff.allow_credentials)
    method, headers = policy_request(ep, eff)
    preflighted = method not in SAFELISTED_METHODS or bool(headers)
    allowed_methods = set(eff.allowed_methods or ())
    allowed_headers = {h.lower() for h in eff.allowed_headers or ()}
    # Every actual reply's Access-Control-Allow-Origin, the one without Origin included: a
    # value that never changes needs no Vary (a cache cannot hand out a wrong one).
    acao_seen = {client.send(ep.method, ep.path).get("Access-Control-Allow-Origin")}
    unvaried: list[str] = []

    def common(response: Response, origin: str, actual: bool) -> None:
        acao = response.values("Access-Control-Allow-Origin")
        if len(acao) > 1 or any(not SERIALIZED_ORIGIN.fullmatch(v) for v in acao):
            found.add("invalid-allow-origin")
        if acao == ["*"] and response.values("Access-Control-Allow-Credentials") == ["true"]:
            found.add("credentials-with-wildcard")
        if eff.allow_credentials is False and cors_ok(response, origin, True):
            found.add("credentials-beyond-policy")
        if actual:
            acao_seen.add(response.get("Access-Control-Allow-Origin"))
        if (
            actual
            and acao == [origin]
            and "origin" not in {v.lower() for v in response.listed("Vary")}
        ):
            unvaried.append(origin)
        if actual and cors_ok(response, origin, False):
            exposed = response.listed("Access-Control-Expose-Headers")
            if any(SENSITIVE.search(name) for name in exposed):
                found.add("sensitive-exposed-headers")

    for origin in eff.trusted_origins:
        actual = client.actual(ep, origin)
        pre = client.preflight(ep.path, origin, method, headers)
        common(actual, origin, True)
        common(pre, origin, False)
        if not free and not (
            cors_ok(actual, origin, creds) and preflight_ok(pre, origin, creds, method, headers)
        ):
            found.add("trusted-origin-denied")
        if preflighted and cors_ok(actual, origin, creds) != cors_ok(pre, origin, creds):
            found.add("preflight-actual-mismatch")
        if preflight_ok(pre, origin, False, method, headers):
            max_age = pre.get("Access-Control-Max-Age")
            if max_age is None:
                found.add("missing-max-age")
            elif not (eff.max_age_min or 0) <= int(max_age) <= (eff.max_age_max or 86400):
                found.add("max-age-out-of-range")

    if not free:
        beyond_method = next(m for m in ("DELETE", "PUT", "PATCH") if m not in allowed_methods)
        beyond_headers = sorted([*headers, f"x-{LABEL}"])
        trusted = eff.trusted_origins[0]
        beyond = client.preflight(ep.path, trusted, beyond_method, beyond_headers)
        if cors_ok(beyond, trusted, False):
            listed = beyond.listed("Access-Control-Allow-Methods")
            if beyond_method in listed or listed - allowed_methods - SAFELISTED_METHODS:
                found.add("methods-beyond-policy")
            names = {h.lower() for h in beyond.listed("Access-Control-Allow-Headers")}
            if f"x-{LABEL}" in names or names - allowed_headers:
                found.add("headers-beyond-policy")

    # The bypass variants derive from the origins the endpoint was seen to admit too; without a
    # policy, the site's own host only when it is admitted or nothing else is.
    bases = admitted(client, ep, eff)
    site_variants = DEMO_SITE_ORIGIN in bases or not bases
    first_party: list[str] = []
    for probe in origins.probe_origins(
        DEMO_SITE_ORIGIN, eff, LABEL, admitted=bases, site_variants=site_variants
    ):
        if probe.cls is OriginClass.TRUSTED:
            continue
        actual = client.actual(ep, probe.value)
        pre = client.preflight(ep.path, probe.value, method, headers)
        common(actual, probe.value, True)
        common(pre, probe.value, False)
        if actual.values("Access-Control-Allow-Origin") == ["*"]:
            if not eff.public:
                found.add("wildcard-origin")
            continue  # `*` reflects nothing: the wildcard rules' business
        if cors_ok(actual, probe.value, False) or preflight_ok(
            pre, probe.value, False, method, headers
        ):
            if probe.cls is OriginClass.FIRST_PARTY:
                first_party.append(probe.value)
            else:
                found.add(ORIGIN_CLASSES[probe.cls].id)
        if probe.cls is OriginClass.ARBITRARY:
            pna = client.preflight(ep.path, probe.value, method, headers, pna=True)
            if (
                cors_ok(pna, probe.value, False)
                and pna.get("Access-Control-Allow-Private-Network") == "true"
            ):
                found.add("private-network-allowed")
    if unvaried and len(acao_seen) > 1:
        found.add("missing-vary-origin")
    # Without a policy an admitted first-party origin is the allowlist, not a finding; with one,
    # a named subdomain that got in because every subdomain does is arbitrary-subdomain's.
    open_subdomains = "arbitrary-subdomain" in found
    if not free and any(o.count(".") == 1 or not open_subdomains for o in first_party):
        found.add("origin-beyond-policy")
    if "reflected-origin" in found:
        found -= set(ORIGIN_RULES)  # README "Rules": narrower origin rules fold into it
    return found


# -- the table -----------------------------------------------------------------------------------


def test_table_has_at_least_16_endpoints_with_unique_paths() -> None:
    paths = [e.path for e in ENDPOINTS]
    assert len(paths) >= 16
    assert len(set(paths)) == len(paths)
    assert all(p.startswith("/") and "?" not in p for p in paths)


def test_every_endpoint_has_a_title_and_an_uppercase_method() -> None:
    for ep in ENDPOINTS:
        assert ep.title.strip(), ep.path
        assert ep.method in {"GET", "POST", "PUT", "PATCH", "DELETE"}, ep.path


def test_expected_rule_ids_exist_in_the_catalogue() -> None:
    unknown = {(e.path, r) for e in ENDPOINTS for r in e.expected if r not in RULES_BY_ID}
    unknown |= {
        (e.path, r) for e in ENDPOINTS for r in e.expected_without_policy if r not in RULES_BY_ID
    }
    assert unknown == set()


def test_every_path_a_rule_names_is_an_endpoint_of_the_table() -> None:
    paths = {e.path for e in ENDPOINTS}
    for rule in RULES:
        assert rule.demo.with_policy <= paths, rule.id
        assert rule.demo.without_policy <= paths, rule.id


def test_endpoint_expectations_are_what_the_rules_name() -> None:
    # The table keeps no rule list: each rule names its endpoints (RuleSpec.demo).
    for ep in ENDPOINTS:
        assert ep.expected == {r.id for r in RULES if ep.path in r.demo.with_policy}, ep.path
        assert ep.expected_without_policy == {
            r.id for r in RULES if ep.path in r.demo.without_policy
        }, ep.path


def test_policy_free_expectation_defaults_to_expected() -> None:
    # Given an endpoint that does not state its policy-free expectation, and one that does
    def handler(request: RequestView) -> Reply:
        return Reply(204)

    derived = Endpoint(
        "/x", "x", "GET", frozenset({"null-origin", "trusted-origin-denied"}), handler
    )
    stated = Endpoint("/y", "y", "GET", frozenset(), handler, frozenset({"wildcard-origin"}))
    # Then the first expects the same without a policy, the second keeps its own
    assert derived.expected_without_policy == {"null-origin", "trusted-origin-denied"}
    assert stated.expected_without_policy == {"wildcard-origin"}
    # And in the table the rules that compare with a policy drop out without one
    assert endpoint("/static-null").expected_without_policy == {"null-origin"}
    assert endpoint("/public/catalog").expected_without_policy == {"wildcard-origin"}
    assert endpoint("/no-max-age").expected_without_policy == frozenset()
    assert endpoint("/preflight-only").expected_without_policy == frozenset()
    assert endpoint("/regex-start").expected_without_policy == {"prefix-match", "special-chars"}


def test_endpoints_together_cover_every_rule_of_the_catalogue() -> None:
    covered = set().union(*(e.expected for e in ENDPOINTS))
    assert set(RULES_BY_ID) - covered == set()


def test_the_table_has_correct_endpoints_including_a_public_and_a_preflighted_one() -> None:
    correct = {e.path: e.method for e in ENDPOINTS if not e.expected}
    assert "/strict" in correct
    assert any("/public/" in path for path in correct)
    assert "PATCH" in correct.values()


def test_narrower_origin_rules_are_never_listed_next_to_reflected_origin() -> None:
    for ep in ENDPOINTS:
        if "reflected-origin" in ep.expected:
            assert ep.expected.isdisjoint(ORIGIN_RULES), ep.path


# -- the policy ----------------------------------------------------------------------------------


def test_demo_policy_is_valid_toml_with_the_intended_settings() -> None:
    data = tomllib.loads(DEMO_POLICY_TOML)
    assert data["trusted_origins"] == list(TRUSTED_ORIGINS)
    assert data["allow_credentials"] is True
    assert data["allowed_methods"] == ["GET", "POST", "PATCH"]
    assert data["allowed_headers"] == ["Content-Type", "Authorization", "X-Api-Key"]
    assert data["max_age"] == {"min": 600, "max": 86400}
    assert data["public"] is False
    assert data["override"][0] == {
        "match": "*/public/*",
        "public": True,
        "allowed_methods": ["GET"],
        "allow_credentials": False,
    }


@pytest.mark.parametrize(
    ("path", "public", "credentials", "methods"),
    [
        pytest.param("/strict", False, True, ("GET", "POST", "PATCH"), id="default"),
        pytest.param("/public/catalog", True, False, ("GET",), id="public"),
        pytest.param("/anon/wildcard", False, False, ("GET", "POST", "PATCH"), id="anon"),
    ],
)
def test_demo_policy_loads_and_overrides_apply_by_url(
    policy: Policy, path: str, public: bool, credentials: bool, methods: tuple[str, ...]
) -> None:
    eff = policy.for_url(f"http://127.0.0.1:8765{path}")
    assert (eff.public, eff.allow_credentials, eff.allowed_methods) == (
        public,
        credentials,
        methods,
    )
    assert eff.trusted_origins == TRUSTED_ORIGINS


# -- behaviour, endpoint by endpoint -------------------------------------------------------------


@pytest.mark.parametrize("ep", [pytest.param(e, id=e.path) for e in ENDPOINTS])
def test_expected_matches_behaviour(
    client: Client, lab: DemoLab, policy: Policy, ep: Endpoint
) -> None:
    # Given the lab and its policy for this URL
    eff = policy.for_url(lab.url(ep.path))
    # When every probe origin is sent as an actual request and a preflight
    found = judge(client, ep, eff)
    # Then the rules whose conditions hold are exactly the endpoint's expected set
    assert found == set(ep.expected)


@pytest.mark.parametrize("ep", [pytest.param(e, id=e.path) for e in ENDPOINTS])
def test_expected_without_policy_matches_behaviour(client: Client, ep: Endpoint) -> None:
    # Given no policy: the site's own origin is the only trusted one, nothing else is stated
    eff = policy_free(DEMO_SITE_ORIGIN)
    # When every probe origin (discovery included) is sent as an actual request and a preflight
    found = judge(client, ep, eff)
    # Then the rules whose conditions hold are exactly the endpoint's policy-free set
    assert found == set(ep.expected_without_policy)


def test_strict_serves_trusted_origins_and_ignores_others(client: Client) -> None:
    for origin in TRUSTED_ORIGINS:
        reply = client.send("GET", "/strict", {"Origin": origin})
        assert reply.status == 200
        assert reply.values("Access-Control-Allow-Origin") == [origin]
        assert reply.get("Access-Control-Allow-Credentials") == "true"
        assert reply.get("Vary") == "Origin"
        assert b'"user": "alice"' in reply.body
    other = client.send("GET", "/strict", {"Origin": "https://evil.example"})
    assert other.status == 200
    assert [k for k, _ in other.headers if k.lower().startswith("access-control-")] == []
    assert other.get("Vary") == "Origin"  # the reply depends on Origin even when it omits CORS


def test_strict_preflight_lists_the_policy(client: Client) -> None:
    reply = client.preflight(
        "/strict", "https://admin.example.com", "PATCH", ["authorization", "content-type"]
    )
    assert reply.status == 204
    assert reply.body == b""
    assert reply.get("Access-Control-Allow-Origin") == "https://admin.example.com"
    assert reply.get("Access-Control-Allow-Methods") == "GET, POST, PATCH"
    assert reply.get("Access-Control-Allow-Headers") == "Content-Type, Authorization, X-Api-Key"
    assert reply.get("Access-Control-Max-Age") == "600"
    assert reply.get("Vary") == (
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
    )
    assert reply.get("Content-Length") is None  # RFC 9110: a 204 carries none


@pytest.mark.parametrize("path", ["/reflect-credentials", "/pna"])
def test_reflecting_endpoints_echo_an_arbitrary_origin_with_credentials(
    client: Client, path: str
) -> None:
    origin = "https://x7.attacker.example"
    reply = client.send("GET", path, {"Origin": origin})
    assert reply.values("Access-Control-Allow-Origin") == [origin]
    assert reply.get("Access-Control-Allow-Credentials") == "true"


def test_reflect_no_vary_is_cacheable_without_vary(client: Client) -> None:
    reply = client.send("GET", "/anon/reflect-no-vary", {"Origin": "https://a.example"})
    assert reply.get("Access-Control-Allow-Origin") == "https://a.example"
    assert reply.get("Access-Control-Allow-Credentials") is None
    assert reply.get("Vary") is None
    assert reply.get("Cache-Control") == "public, max-age=300"


def test_double_header_keeps_both_allow_origin_lines_on_the_wire(client: Client) -> None:
    reply = client.send("GET", "/double-header", {"Origin": "https://admin.example.com"})
    assert reply.values("Access-Control-Allow-Origin") == [
        "https://app.example.com",
        "https://admin.example.com",
    ]
    untrusted = client.send("GET", "/double-header", {"Origin": "https://evil.example"})
    assert untrusted.values("Access-Control-Allow-Origin") == ["https://app.example.com"]


def test_two_origins_sends_one_space_separated_value(client: Client) -> None:
    reply = client.send("GET", "/two-origins", {"Origin": "https://app.example.com"})
    assert reply.values("Access-Control-Allow-Origin") == [
        "https://app.example.com https://admin.example.com"
    ]


def test_pna_grants_private_network_only_when_asked(client: Client) -> None:
    asked = client.preflight("/pna", "https://evil.example", "PATCH", [], pna=True)
    assert asked.get("Access-Control-Allow-Private-Network") == "true"
    plain = client.preflight("/pna", "https://evil.example", "PATCH", [])
    assert plain.get("Access-Control-Allow-Private-Network") is None


def test_headers_reflect_echoes_the_requested_headers(client: Client) -> None:
    reply = client.preflight("/headers-reflect", "https://app.example.com", "PATCH", ["x-anything"])
    assert reply.get("Access-Control-Allow-Headers") == "x-anything"
    bare = client.preflight("/headers-reflect", "https://app.example.com", "PATCH", [])
    assert bare.get("Access-Control-Allow-Headers") is None


def test_preflight_only_answers_cors_on_options_only(client: Client) -> None:
    pre = client.preflight("/preflight-only", "https://app.example.com", "PATCH", [])
    assert pre.get("Access-Control-Allow-Origin") == "https://app.example.com"
    reply = client.send(
        "PATCH", "/preflight-only", {"Origin": "https://app.example.com"}, b'{"title": "x"}'
    )
    assert reply.status == 200
    assert [k for k, _ in reply.headers if k.lower().startswith("access-control-")] == []


def test_expose_token_exposes_and_sends_the_token(client: Client) -> None:
    reply = client.send("GET", "/expose-token", {"Origin": "https://app.example.com"})
    assert reply.get("Access-Control-Expose-Headers") == "Authorization, X-Auth-Token"
    assert reply.get("X-Auth-Token") is not None


def test_static_null_sends_null_with_credentials_to_everyone(client: Client) -> None:
    for headers in ({}, {"Origin": "https://app.example.com"}, {"Origin": "null"}):
        reply = client.send("GET", "/static-null", headers)
        assert reply.values("Access-Control-Allow-Origin") == ["null"]
        assert reply.get("Access-Control-Allow-Credentials") == "true"
        assert reply.get("Vary") is None
    pre = client.preflight("/static-null", "null", "PATCH", ["content-type"])
    assert (pre.status, pre.get("Access-Control-Allow-Origin")) == (204, "null")
    assert pre.get("Access-Control-Allow-Methods") == "GET, POST, PATCH"


def test_no_origin_wildcard_sends_star_only_without_origin(client: Client) -> None:
    bare = client.send("GET", "/no-origin-wildcard")
    assert bare.values("Access-Control-Allow-Origin") == ["*"]
    assert bare.get("Access-Control-Allow-Credentials") == "true"
    assert bare.get("Vary") == "Origin"
    trusted = client.send("GET", "/no-origin-wildcard", {"Origin": "https://admin.example.com"})
    assert trusted.values("Access-Control-Allow-Origin") == ["https://admin.example.com"]
    other = client.send("GET", "/no-origin-wildcard", {"Origin": "https://evil.example"})
    assert [k for k, _ in other.headers if k.lower().startswith("access-control-")] == []
    pre = client.preflight("/no-origin-wildcard", "https://evil.example", "PATCH", [])
    assert pre.get("Access-Control-Allow-Origin") is None


def test_empty_origin_sends_an_empty_line_without_origin_and_reflects_otherwise(
    client: Client,
) -> None:
    bare = client.send("GET", "/empty-origin")
    assert bare.values("Access-Control-Allow-Origin") == [""]
    reply = client.send("GET", "/empty-origin", {"Origin": "https://evil.example"})
    assert reply.values("Access-Control-Allow-Origin") == ["https://evil.example"]
    assert reply.get("Access-Control-Allow-Credentials") == "true"


@pytest.mark.parametrize("path", ["/regex-start", "/regex-end"])
def test_dashboard_regexes_serve_the_trusted_and_the_unlisted_dashboard(
    client: Client, policy: Policy, path: str
) -> None:
    # The dashboard is neither a policy origin nor the site's own: only discovery can find it
    assert not policy.for_url(f"http://127.0.0.1:8765{path}").trusts(DASHBOARD_ORIGIN)
    assert DASHBOARD_ORIGIN != DEMO_SITE_ORIGIN
    for origin in (*TRUSTED_ORIGINS, DASHBOARD_ORIGIN):
        reply = client.send("GET", path, {"Origin": origin})
        assert reply.values("Access-Control-Allow-Origin") == [origin]
        assert reply.get("Access-Control-Allow-Credentials") == "true"
    candidates = origins.probe_origins(DEMO_SITE_ORIGIN, policy_free(DEMO_SITE_ORIGIN), LABEL)
    assert DASHBOARD_ORIGIN in {o.value for o in candidates if o.cls is OriginClass.FIRST_PARTY}


@pytest.mark.parametrize(
    ("path", "origin", "passes"),
    [
        pytest.param(
            "/regex-start", "https://dashboard.example.com.q7-attacker.net", True, id="rs"
        ),
        pytest.param(
            "/regex-start", "https://dashboard.example.com_.q7-attacker.net", True, id="_"
        ),
        pytest.param("/regex-start", "http://dashboard.example.com", False, id="rs-http"),
        pytest.param("/regex-start", "https://q7dashboard.example.com", False, id="rs-sub"),
        pytest.param("/regex-end", "http://dashboard.example.com", True, id="re-http"),
        pytest.param("/regex-end", "https://q7.dashboard.example.com", True, id="re-sub"),
        pytest.param("/regex-end", "https://dashboard.example.com.q7-attacker.net", False, id="re"),
        pytest.param("/regex-end", "https://q7example.com", False, id="re-suffix"),
        pytest.param("/static-null", "https://q7.example.com", False, id="static-null"),
        pytest.param("/prefix", "https://app.example.com.q7-attacker.net", True, id="prefix"),
        pytest.param("/prefix", "https://app.example.com_.q7-attacker.net", False, id="prefix_"),
        pytest.param("/prefix", "https://app.example.com-.q7-attacker.net", False, id="prefix-"),
        pytest.param("/special-chars", "https://app.example.com_.q7-attacker.net", True, id="_"),
        pytest.param("/special-chars", "https://app.example.com-.q7-attacker.net", False, id="-"),
        pytest.param("/special-chars", "https://app.example.com.q7-attacker.net", False, id="pre"),
        pytest.param("/special-chars", "http://app.example.com", False, id="special-http"),
        pytest.param("/suffix", "https://q7example.com", True, id="suffix"),
        pytest.param("/suffix", "http://q7.example.com", False, id="suffix-http"),
        pytest.param("/regex-dot", "https://appxexample.com", True, id="dot"),
        pytest.param("/regex-dot", "https://q7example.com", False, id="dot-suffix"),
        pytest.param("/subdomains", "https://q7.example.com", True, id="sub"),
        pytest.param("/subdomains", "https://q7example.com", False, id="sub-suffix"),
        pytest.param("/insecure-scheme", "http://admin.example.com", True, id="http"),
        pytest.param("/insecure-scheme", "http://q7.example.com", False, id="http-sub"),
        pytest.param("/third-party", "https://q7.github.io", True, id="github"),
        pytest.param("/third-party", "http://localhost:3000", True, id="localhost"),
        pytest.param("/third-party", "https://q7.netlify.app", False, id="netlify"),
        pytest.param("/null", "null", True, id="null"),
        pytest.param("/strict", "null", False, id="strict-null"),
    ],
)
def test_origin_matchers(client: Client, path: str, origin: str, passes: bool) -> None:
    reply = client.send("GET", path, {"Origin": origin})
    assert (reply.values("Access-Control-Allow-Origin") == [origin]) is passes


# -- routing and framing -------------------------------------------------------------------------


def test_unknown_path_is_404_without_cors_headers(client: Client) -> None:
    reply = client.send("GET", "/nope", {"Origin": "https://app.example.com"})
    assert reply.status == 404
    assert [k for k, _ in reply.headers if k.lower().startswith("access-control-")] == []
    assert reply.get("Vary") is None


def test_query_string_is_ignored_for_routing(client: Client) -> None:
    assert client.send("GET", "/strict?user=1").status == 200


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        pytest.param("DELETE", "/strict", "OPTIONS, GET", id="dynamic"),
        pytest.param("GET", "/posts/20", "OPTIONS, PATCH", id="patch-endpoint"),
        pytest.param("PUT", "/anon/wildcard", "OPTIONS, GET", id="static"),
    ],
)
def test_other_methods_are_405(client: Client, method: str, path: str, allow: str) -> None:
    reply = client.send(method, path)
    assert reply.status == 405
    assert reply.get("Allow") == allow


def test_head_has_the_get_headers_and_no_body(client: Client) -> None:
    get = client.send("GET", "/strict")
    head = client.send("HEAD", "/strict")
    assert head.status == 200
    assert head.body == b""
    assert head.get("Content-Length") == str(len(get.body))


def test_request_bodies_are_drained_on_keep_alive(client: Client) -> None:
    # Given one connection, a PATCH with a body, then another request on the same connection
    first = client.send("PATCH", "/posts/20", {"Origin": "https://app.example.com"}, b"x" * 5000)
    second = client.send("GET", "/strict")
    # Then both are answered in order
    assert (first.status, second.status) == (200, 200)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({"Transfer-Encoding": "chunked"}, 411, id="chunked"),
        pytest.param({"Content-Length": "abc"}, 400, id="bad-length"),
        pytest.param({"Content-Length": str(2 << 20)}, 413, id="too-large"),
    ],
)
def test_unframable_bodies_are_refused_and_the_connection_closed(
    lab: DemoLab, headers: dict[str, str], status: int
) -> None:
    with socket.create_connection((lab.host, lab.port), timeout=5) as sock:
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST /strict HTTP/1.1\r\nHost: lab\r\n{lines}\r\n".encode())
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    assert data.startswith(f"HTTP/1.1 {status} ".encode())
    assert b"\r\nConnection: close\r\n" in data


# -- the pure table and its views ----------------------------------------------------------------


def test_request_view_reads_headers_case_insensitively() -> None:
    view = RequestView(
        "OPTIONS",
        "/x",
        (("origin", "https://a.example"), ("X-A", "1"), ("x-a", "2")),
    )
    assert view.origin == "https://a.example"
    assert view.get("X-a") == "1, 2"
    assert view.get_all("X-A") == ("1", "2")
    assert view.get("missing") is None
    assert RequestView("GET", "/").origin is None


def test_respond_is_pure_and_routes_by_path() -> None:
    view = RequestView("GET", "/null", (("Origin", "null"),))
    assert respond(view) == respond(view)
    assert respond(view).status == 200
    assert respond(RequestView("GET", "/missing")).status == 404


# -- lifecycle ----------------------------------------------------------------------------------


def test_lab_urls_and_expected_cover_the_table() -> None:
    with DemoLab() as lab:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", lab.base_url)
        urls = lab.urls()
        assert urls == [(lab.base_url + e.path, e.method) for e in ENDPOINTS]
        assert lab.expected() == {lab.base_url + e.path: e.expected for e in ENDPOINTS}


def test_start_is_idempotent_while_running() -> None:
    with DemoLab() as lab:
        port = lab.port
        assert lab.start() is lab
        assert lab.port == port


def test_lab_counts_requests() -> None:
    with DemoLab() as lab:
        client = Client(lab)
        client.send("GET", "/strict")
        client.send("OPTIONS", "/strict", {"Origin": "https://app.example.com"})
        client.send("GET", "/nope")
        client.close()
        assert lab.request_count == 3
        assert lab.requests_to("/strict") == 2
        assert lab.requests_to("/pna") == 0


def test_close_with_an_idle_keep_alive_connection_frees_the_port() -> None:
    # Given a lab with a client that keeps its connection open
    lab = DemoLab().start()
    port = lab.port
    client = Client(lab)
    assert client.send("GET", "/strict").status == 200
    # When the lab is closed while the connection idles
    lab.close()
    # Then the port refuses connections and closing again is harmless
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    lab.close()
    client.close()
    with pytest.raises(RuntimeError, match="closed"):
        lab.start()


def test_a_handler_failure_becomes_a_500_and_is_recorded() -> None:
    def broken(request: RequestView) -> Reply:
        raise ValueError("boom")

    table = (Endpoint("/broken", "raises", "GET", frozenset(), broken),)
    with DemoLab(endpoints=table) as lab:
        client = Client(lab)
        reply = client.send("GET", "/broken")
        client.close()
        assert reply.status == 500
        assert len(lab.errors) == 1
        assert "ValueError: boom" in lab.errors[0]


def test_lab_rejects_duplicate_paths() -> None:
    twice = (ENDPOINTS[0], ENDPOINTS[0])
    with pytest.raises(ValueError, match="unique"):
        DemoLab(endpoints=twice)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::1"])
def test_lab_listens_only_on_ipv4_loopback(host: str) -> None:
    with pytest.raises(UsageError, match="loopback"):
        DemoLab(host=host)


def test_localhost_means_127_0_0_1() -> None:
    with DemoLab(host="localhost") as lab:
        assert lab.host == "127.0.0.1"


def test_an_unstarted_lab_has_no_url() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = DemoLab().base_url


def test_serve_forever_prints_the_url_and_stops_on_request() -> None:
    printed = threading.Event()

    class Out(io.StringIO):
        def write(self, text: str) -> int:
            written = super().write(text)
            if "\n" in text:
                printed.set()
            return written

    out, stop = Out(), threading.Event()
    runner = threading.Thread(target=serve_forever, kwargs={"stop": stop, "out": out})
    runner.start()
    try:
        assert printed.wait(10)
        url = re.search(r"http://127\.0\.0\.1:(\d+)", out.getvalue())
        assert url is not None
        conn = http.client.HTTPConnection("127.0.0.1", int(url.group(1)), timeout=5)
        conn.request("GET", "/strict")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()
    assert DEMO_SITE_ORIGIN in out.getvalue()
