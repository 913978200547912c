"""The demo lab: a deliberately misconfigured CORS server on loopback, and its behaviour table.

``cors-audit demo`` starts it and scans it; the test-suite uses it as a realistic live target
(and, through the pure `respond`, as a respx side effect). Each `Endpoint` emulates one
real-world CORS bug — its comment names the middleware or configuration it mimics — and states
the rule ids a correct scan must report for it.

How ``Endpoint.expected`` is decided: the scan runs with ``DEMO_POLICY_TOML`` and
``--site-origin DEMO_SITE_ORIGIN`` (an https site), so its probe origins are those ``origins``
derives from the policy's trusted origins and ``https://api.example.com``. A rule is expected
when its catalogue condition holds for those probes, as Chromium judges them. The one folding is
README's ("Rules"): when ``reflected-origin`` holds, the narrower origin rules are folded into
it and not listed. ``Access-Control-Allow-Origin: *`` is the wildcard rules' business, never
``reflected-origin`` (nothing is reflected). Every misconfigured endpoint still serves the
trusted origins correctly (exact ACAO, credentials, ``Vary: Origin``, a 204 preflight listing
the policy's methods and headers with ``Max-Age: 600``) unless that is the bug it shows.

How ``Endpoint.expected_policy_free`` is decided: the same scan without a policy (the site
origin is still given). The only trusted origin is then the site's own, the request judged is
the endpoint's method without extra headers (so a GET endpoint is never preflighted), and
first-party origins the server admits are discovered, not reported. An endpoint that does not
state it expects ``expected`` minus `POLICY_RULES`, the rules that compare with a stated policy;
those that differ otherwise (a ``public`` override, preflight-only rules on a GET endpoint) say
so in their row.

Handlers are pure functions of the request; the server writes exactly the header list they
return (repeated lines kept, so two layers can both add ``Access-Control-Allow-Origin``) and
only adds ``Content-Length``. Standard library only. It must never listen on anything but
loopback, and it knows nothing of probes, the browser model or rules.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import socket
import socketserver
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TextIO
from urllib.parse import urlsplit

from cors_audit.core.errors import UsageError
from cors_audit.core.models import Headers

DEMO_SITE_ORIGIN = "https://api.example.com"
"""The origin browsers attribute to the lab (``--site-origin``): probes derive from it."""

TRUSTED_ORIGINS = ("https://app.example.com", "https://admin.example.com")
"""The origins the demo policy trusts."""

DEMO_POLICY_TOML = """\
# The intended CORS policy of the cors-audit demo lab (cors_audit/demo/lab.py).
trusted_origins = ["https://app.example.com", "https://admin.example.com"]
allow_credentials = true
allowed_methods = ["GET", "POST", "PATCH"]
allowed_headers = ["Content-Type", "Authorization", "X-Api-Key"]
max_age = { min = 600, max = 86400 }
public = false

[[override]]                # the product catalogue: anyone may read it, without cookies
match = "*/public/*"
public = true
allowed_methods = ["GET"]
allow_credentials = false

[[override]]                # anonymous (cookie-less) but not public endpoints
match = "*/anon/*"
allow_credentials = false
"""
"""The policy the lab is judged against (README "Policy file")."""

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACEH = "Access-Control-Expose-Headers"
ACMA = "Access-Control-Max-Age"
ACAPN = "Access-Control-Allow-Private-Network"
ACRH = "Access-Control-Request-Headers"
ACRPN = "Access-Control-Request-Private-Network"

POLICY_METHODS = "GET, POST, PATCH"
POLICY_HEADERS = "Content-Type, Authorization, X-Api-Key"
MAX_AGE = "600"
_PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
POLICY_RULES = frozenset(
    {
        "trusted-origin-denied",
        "methods-beyond-policy",
        "headers-beyond-policy",
        "credentials-beyond-policy",
        "max-age-out-of-range",
        "origin-beyond-policy",
    }
)
"""Rules that compare replies with a stated policy, so a policy-free scan of the lab never reports
them (``max-age-out-of-range`` also fires above the browsers' 86400 s cap, which no endpoint here
sends)."""
_MAX_BODY = 1 << 20
"""Request bodies above this are refused (413): the lab only drains bodies, never reads them."""


# -- requests and replies ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestView:
    """What a handler sees of a request."""

    method: str
    path: str
    """The path without the query string."""
    headers: Headers = ()
    """Every header line as received, in order (values decoded as latin-1)."""

    def get_all(self, name: str) -> tuple[str, ...]:
        """Every value of ``name`` (case-insensitive), in order."""
        wanted = name.lower()
        return tuple(value for key, value in self.headers if key.lower() == wanted)

    def get(self, name: str) -> str | None:
        """The values of ``name`` combined with ``", "`` (RFC 9110 §5.3), or ``None``."""
        values = self.get_all(name)
        return ", ".join(values) if values else None

    @property
    def origin(self) -> str | None:
        """The ``Origin`` header, or ``None`` for a non-CORS request."""
        return self.get("Origin")


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler answers; the server writes ``headers`` exactly (plus Content-Length)."""

    status: int
    headers: Headers = ()
    body: bytes = b""


Handler = Callable[[RequestView], Reply]
Matcher = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One URL of the lab: its behaviour and what a correct scan reports for it."""

    path: str
    title: str
    """Human description for the README and the demo output."""
    method: str
    """The method the application uses on this URL (the scan's target method)."""
    expected: frozenset[str]
    """Rule ids a correct scan with the demo policy reports (empty for the correct ones)."""
    handler: Handler
    expected_policy_free: frozenset[str] | None = None
    """Rule ids a correct scan *without* a policy reports; ``None``: ``expected`` minus
    `POLICY_RULES`."""

    @property
    def expected_without_policy(self) -> frozenset[str]:
        """What a policy-free scan (site origin still given) must report."""
        if self.expected_policy_free is not None:
            return self.expected_policy_free
        return self.expected - POLICY_RULES


# -- reply builders ----------------------------------------------------------------------------


def _json(status: int, data: object, headers: Headers = ()) -> Reply:
    body = json.dumps(data).encode()
    return Reply(status, (("Content-Type", "application/json"), *headers), body)


_ME = {"user": "alice", "email": "alice@example.com", "account": "ACME-4711", "balance": "1234.56"}
"""Per-user data, what a private endpoint protects."""
_POST = {"id": 20, "title": "Quarterly numbers", "updated_by": "alice", "draft": True}
_CATALOG = {"products": [{"sku": "A-1", "name": "Widget", "price": "9.99"}]}
_FEED = {"items": [{"id": 1, "title": "Status: all systems operational"}]}


def _not_allowed(method: str) -> Reply:
    return _json(405, {"error": "method not allowed"}, (("Allow", f"OPTIONS, {method}"),))


def not_found() -> Reply:
    """The reply for a path outside the table: 404 and no CORS headers."""
    return _json(404, {"error": "not found"})


def _allow(origin: str, credentials: bool) -> list[tuple[str, str]]:
    lines = [(ACAO, origin)]
    if credentials:
        lines.append((ACAC, "true"))
    return lines


def _dynamic(
    allows: Matcher,
    *,
    method: str = "GET",
    body: object = _ME,
    credentials: bool = True,
    vary: bool = True,
    allow_methods: str = POLICY_METHODS,
    allow_headers: str | None = POLICY_HEADERS,
    max_age: str | None = MAX_AGE,
    expose: str | None = None,
    private_network: bool = False,
    actual_cors: bool = True,
    proxy_lines: Headers = (),
    extra: Headers = (),
) -> Handler:
    """An application that echoes the request origin when ``allows(origin)`` holds.

    ``allow_headers=None`` echoes ``Access-Control-Request-Headers``; ``actual_cors=False``
    answers CORS on the preflight only; ``proxy_lines`` are added to every reply by another
    layer in front of the application.
    """

    def handler(request: RequestView) -> Reply:
        origin = request.origin
        allowed = origin is not None and allows(origin)
        lines = list(proxy_lines)
        if request.method == "OPTIONS":
            if origin is not None and allowed:
                lines += _allow(origin, credentials)
                lines.append((ACAM, allow_methods))
                headers = allow_headers if allow_headers is not None else request.get(ACRH)
                if headers:
                    lines.append((ACAH, headers))
                if max_age is not None:
                    lines.append((ACMA, max_age))
                if private_network and (request.get(ACRPN) or "").lower() == "true":
                    lines.append((ACAPN, "true"))
            if vary:
                lines.append(("Vary", _PREFLIGHT_VARY))
            return Reply(204, tuple(lines))
        if request.method != method:
            return _not_allowed(method)
        if actual_cors:
            if origin is not None and allowed:
                lines += _allow(origin, credentials)
                if expose is not None:
                    lines.append((ACEH, expose))
            if vary:
                lines.append(("Vary", "Origin"))
        return _json(200, body, (*extra, *lines))

    return handler


def _static(
    lines: Headers,
    *,
    body: object,
    allow_methods: str = POLICY_METHODS,
    allow_headers: str = POLICY_HEADERS,
) -> Handler:
    """A configuration that sends the same CORS lines to every request, whatever its origin."""
    preflight = (*lines, (ACAM, allow_methods), (ACAH, allow_headers), (ACMA, MAX_AGE))

    def handler(request: RequestView) -> Reply:
        if request.method == "OPTIONS":
            return Reply(204, preflight)
        if request.method != "GET":
            return _not_allowed("GET")
        return _json(200, body, lines)

    return handler


def _without_origin(handler: Handler, lines: Headers) -> Handler:
    """``handler`` with ``lines`` added to its replies to requests that carry no ``Origin``
    (curl, health checks, same-origin navigations): what a middleware answers outside CORS."""

    def wrapped(request: RequestView) -> Reply:
        reply = handler(request)
        if request.origin is not None:
            return reply
        return replace(reply, headers=(*reply.headers, *lines))

    return wrapped


# -- origin matchers: the bugs -----------------------------------------------------------------


def _exact(origin: str) -> bool:
    return origin in TRUSTED_ORIGINS


def _exact_or_null(origin: str) -> bool:
    # "null" kept in the allowlist for file:// testing or sandboxed previews (BROWSER-MODEL.md C05).
    return origin == "null" or _exact(origin)


def _anything(origin: str) -> bool:
    return True


_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_WELL_FORMED = re.compile(rf"https?://{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?")
"""validator.js ``isURL({require_protocol: true})``: RFC 1123 labels, so no ``_`` and no
trailing ``-``."""


def _starts_with_trusted(origin: str) -> bool:
    # Express: `if (validator.isURL(origin) && allowed.some((a) => origin.startsWith(a)))`.
    # The syntax check rejects `app.example.com_.x` / `app.example.com-.x` (special-chars probes),
    # the prefix check accepts `https://app.example.com.<x>-attacker.net` (BROWSER-MODEL.md C06).
    return _WELL_FORMED.fullmatch(origin) is not None and origin.startswith(TRUSTED_ORIGINS)


# django-cors-headers CORS_ALLOWED_ORIGIN_REGEXES = [r"^https://.*example\.com$"], meant as
# "any subdomain": any registrable name ending in example.com passes too (C07), including the
# look-alike `appxexample.com` (C08) and every subdomain (C10).
_ENDS_WITH_DOMAIN = re.compile(r"^https://.*example\.com$")
# Same setting with the dots left unescaped (C08): `appxexample.com`, `app.examplexcom` pass.
_UNESCAPED_DOTS = re.compile(r"^https://(app|admin).example.com$")
# rack-cors `origins %r{\Ahttps://([a-z0-9-]+\.)*example\.com\z}`: every subdomain (C10).
_ANY_SUBDOMAIN = re.compile(r"^https://([a-z0-9-]+\.)*example\.com$")
# Spring `allowedOriginPatterns("http*://app.example.com", …)` written as a regex: http too (C11).
_EITHER_SCHEME = re.compile(r"^https?://(app|admin)\.example\.com$")
# A hand-rolled origin parser that takes the host to be the run of [a-z0-9.-] after the scheme,
# so it stops at `_` (BROWSER-MODEL.md C09, PortSwigger "parser confusion").
_HOST_RUN = re.compile(r"https://([a-z0-9.-]+)")
# Express cors `origin: [...trusted, /\.github\.io$/, /\.vercel\.app$/, "http://localhost:3000"]`
# left over from preview deployments and local development (C12).
_PLATFORMS = (re.compile(r"\.github\.io$"), re.compile(r"\.vercel\.app$"))


# A front end the policy does not list (nor is it the site's own origin): only discovery can
# find it, and the bypass variants then derive from it.
DASHBOARD_ORIGIN = "https://dashboard.example.com"
# Flask-CORS `origins=[*trusted, r"^https://dashboard\.example\.com"]`: an entry that looks like a
# regex is tried with `re.match`, which anchors the start only, so any origin that merely starts
# with the dashboard's passes (`https://dashboard.example.com.<x>-attacker.net`, and the `_`/`-`
# forms too).
_DASHBOARD_START = re.compile(r"^https://dashboard\.example\.com")
# Express cors `origin: [...trusted, /dashboard\.example\.com$/]`: `RegExp.test` searches, so only
# the end is anchored and the scheme is not checked: `http://dashboard.example.com` passes.
_DASHBOARD_END = re.compile(r"dashboard\.example\.com$")


def _exact_or_dashboard_start(origin: str) -> bool:
    return _exact(origin) or _DASHBOARD_START.match(origin) is not None


def _exact_or_dashboard_end(origin: str) -> bool:
    return _exact(origin) or _DASHBOARD_END.search(origin) is not None


def _suffix(origin: str) -> bool:
    return _ENDS_WITH_DOMAIN.match(origin) is not None


def _unescaped_dot(origin: str) -> bool:
    return _UNESCAPED_DOTS.match(origin) is not None


def _any_subdomain(origin: str) -> bool:
    return _ANY_SUBDOMAIN.match(origin) is not None


def _either_scheme(origin: str) -> bool:
    return _EITHER_SCHEME.match(origin) is not None


def _host_run_trusted(origin: str) -> bool:
    match = _HOST_RUN.match(origin)
    return match is not None and f"https://{match.group(1)}" in TRUSTED_ORIGINS


def _with_platforms(origin: str) -> bool:
    return (
        _exact(origin)
        or origin == "http://localhost:3000"
        or any(pattern.search(origin) for pattern in _PLATFORMS)
    )


# -- the table ---------------------------------------------------------------------------------


def _expect(*rule_ids: str) -> frozenset[str]:
    return frozenset(rule_ids)


ENDPOINTS: tuple[Endpoint, ...] = (
    # django-cors-headers done right: CORS_ALLOWED_ORIGINS = the two trusted origins,
    # CORS_ALLOW_CREDENTIALS = True, CORS_PREFLIGHT_MAX_AGE = 600, explicit methods and headers.
    Endpoint(
        "/strict",
        "Correct: exact allowlist with credentials and Vary: Origin",
        "GET",
        _expect(),
        _dynamic(_exact),
    ),
    # nginx `add_header Access-Control-Allow-Origin * always;` on a CDN-cached catalogue that the
    # policy marks public: `*`, no credentials, preflight for GET only.
    Endpoint(
        "/public/catalog",
        "Correct public API: `*` without credentials (policy: public)",
        "GET",
        _expect(),
        _static(((ACAO, "*"),), body=_CATALOG, allow_methods="GET"),
        # Without a policy nothing says the catalogue is public: `*` is reported (low).
        expected_policy_free=_expect("wildcard-origin"),
    ),
    # Starlette CORSMiddleware(allow_origins=[…], allow_credentials=True, allow_methods=[GET, POST,
    # PATCH], allow_headers=[…], max_age=600) on a JSON API that is written with PATCH.
    Endpoint(
        "/posts/20",
        "Correct preflighted write: PATCH with exact allowlist",
        "PATCH",
        _expect(),
        _dynamic(_exact, method="PATCH", body=_POST),
    ),
    # nginx: `add_header Access-Control-Allow-Origin $http_origin always;`
    #        `add_header Access-Control-Allow-Credentials true always;` (C04, the PortSwigger
    # "basic origin reflection" lab). Narrower origin rules fold into reflected-origin.
    Endpoint(
        "/reflect-credentials",
        "nginx reflects every Origin, with credentials",
        "GET",
        _expect("reflected-origin"),
        _dynamic(_anything),
    ),
    # A hand-written Node middleware `res.setHeader("Access-Control-Allow-Origin",
    # req.headers.origin)` on a cookie-less status feed behind a CDN (`Cache-Control: public`),
    # without Vary (C03 + C14).
    Endpoint(
        "/anon/reflect-no-vary",
        "Reflects every Origin without Vary: Origin on a cacheable reply",
        "GET",
        _expect("reflected-origin", "missing-vary-origin"),
        _dynamic(
            _anything,
            body=_FEED,
            credentials=False,
            vary=False,
            extra=(("Cache-Control", "public, max-age=300"),),
        ),
    ),
    # django-cors-headers CORS_ALLOWED_ORIGINS = [..., "null"] (kept for file:// testing) (C05).
    Endpoint(
        "/null",
        "Allowlist that also trusts the `null` origin, with credentials",
        "GET",
        _expect("null-origin"),
        _dynamic(_exact_or_null),
    ),
    # nginx `add_header Access-Control-Allow-Origin null always;` and `add_header
    # Access-Control-Allow-Credentials true always;`, copied from the server block of a desktop
    # (file://) client into the API's: every reply, with or without Origin, says `null`. Any page
    # can send `Origin: null` from a sandboxed iframe and read with cookies, while the trusted
    # origins are refused. The value never depends on the origin, so no Vary is needed.
    Endpoint(
        "/static-null",
        "Static `Access-Control-Allow-Origin: null` with credentials on every reply",
        "GET",
        _expect("null-origin", "trusted-origin-denied"),
        _static(((ACAO, "null"), (ACAC, "true")), body=_ME),
    ),
    Endpoint(
        "/prefix",
        "Origin checked with startsWith(trusted origin)",
        "GET",
        _expect("prefix-match"),
        _dynamic(_starts_with_trusted),
    ),
    # Start-anchored only, around an origin the policy does not list: discovery finds the
    # dashboard (origin-beyond-policy with a policy, "trusted" without), and the variants derived
    # from it show the prefix bug, plus the `_`/`-` parser-confusion forms that also start with it.
    Endpoint(
        "/regex-start",
        "Regex `^https://dashboard\\.example\\.com` without `$`: any origin starting with it",
        "GET",
        _expect("prefix-match", "special-chars", "origin-beyond-policy"),
        _dynamic(_exact_or_dashboard_start),
    ),
    # End-anchored only: every name that ends in dashboard.example.com is under example.com (no
    # attacker can register one), but the scheme is free: http://dashboard.example.com passes.
    Endpoint(
        "/regex-end",
        "Regex `dashboard\\.example\\.com$` without `^https://`: http:// passes too",
        "GET",
        _expect("insecure-scheme", "origin-beyond-policy"),
        _dynamic(_exact_or_dashboard_end),
    ),
    # The unescaped-dot and subdomain probes also end in "example.com", so a correct scan
    # reports them too (only reflected-origin folds other origin rules); so does the apex
    # https://example.com, which discovery finds and the policy does not list.
    Endpoint(
        "/suffix",
        "Regex `^https://.*example\\.com$`: any name ending in example.com",
        "GET",
        _expect("suffix-match", "unescaped-dot", "arbitrary-subdomain", "origin-beyond-policy"),
        _dynamic(_suffix),
    ),
    Endpoint(
        "/regex-dot",
        "Regex `^https://(app|admin).example.com$` with unescaped dots",
        "GET",
        _expect("unescaped-dot"),
        _dynamic(_unescaped_dot),
    ),
    # `([a-z0-9-]+\.)*` also matches nothing: the apex https://example.com is let in as well
    # (origin-beyond-policy); named subdomains fold into arbitrary-subdomain.
    Endpoint(
        "/subdomains",
        "Every subdomain of example.com (and the apex) is trusted",
        "GET",
        _expect("arbitrary-subdomain", "origin-beyond-policy"),
        _dynamic(_any_subdomain),
    ),
    Endpoint(
        "/insecure-scheme",
        "http:// forms of the trusted origins are trusted (PortSwigger 'insecure protocols')",
        "GET",
        _expect("insecure-scheme"),
        _dynamic(_either_scheme),
    ),
    Endpoint(
        "/third-party",
        "Trusts *.github.io, *.vercel.app and http://localhost:3000",
        "GET",
        _expect("third-party-origin"),
        _dynamic(_with_platforms),
    ),
    # Only the `_` probe passes: the `-` probe keeps the `-` in the parsed host, the prefix probe
    # keeps the attacker labels, the http:// probe fails the scheme.
    Endpoint(
        "/special-chars",
        "Host parsed up to the first character outside [a-z0-9.-]: `app.example.com_.x` passes",
        "GET",
        _expect("special-chars"),
        _dynamic(_host_run_trusted),
    ),
    # nginx `add_header Access-Control-Allow-Origin *;` on an internal, cookie-less stats API
    # that is protected only by being on the VPN (C01). The policy says anonymous, not public.
    Endpoint(
        "/anon/wildcard",
        "`Access-Control-Allow-Origin: *` on a non-public endpoint",
        "GET",
        _expect("wildcard-origin"),
        _static(((ACAO, "*"),), body=_ME),
    ),
    # Express `cors({ origin: "*", credentials: true })` (C02). Browsers refuse every
    # credentialed read, so the trusted origins — which the policy says need cookies — are
    # denied too; cookie-less reads by anyone still pass (wildcard-origin).
    Endpoint(
        "/wildcard-credentials",
        "`*` together with Access-Control-Allow-Credentials: true",
        "GET",
        _expect("wildcard-origin", "credentials-with-wildcard", "trusted-origin-denied"),
        _static(((ACAO, "*"), (ACAC, "true")), body=_ME),
    ),
    # Modelled on sanic-ext's CORS_ALWAYS_SEND: a request without Origin gets a fallback
    # Access-Control-Allow-Origin (`*` here) and, with CORS_SUPPORTS_CREDENTIALS, the credentials
    # header it adds to every reply; requests with an Origin are matched against the exact
    # allowlist. Browsers only ever see the latter (a cross-origin request always carries
    # Origin), so this is correct.
    Endpoint(
        "/no-origin-wildcard",
        "Correct: `*` with credentials only when no Origin is sent, exact allowlist otherwise",
        "GET",
        _expect(),
        _without_origin(_dynamic(_exact), ((ACAO, "*"), (ACAC, "true"))),
    ),
    # A hand-written Koa middleware `ctx.set("Access-Control-Allow-Origin", ctx.get("Origin"))`
    # with credentials: `ctx.get` gives "" for a missing header, so a request without Origin gets
    # an empty Access-Control-Allow-Origin (no browser ever sees it), while every real origin is
    # reflected.
    Endpoint(
        "/empty-origin",
        "Reflects every Origin; an empty Access-Control-Allow-Origin when none is sent",
        "GET",
        _expect("reflected-origin"),
        _without_origin(_dynamic(_anything), ((ACAO, ""),)),
    ),
    # nginx `add_header Access-Control-Allow-Origin "https://app.example.com
    # https://admin.example.com" always;` — one value listing both origins (C13).
    Endpoint(
        "/two-origins",
        "One Access-Control-Allow-Origin value listing two origins",
        "GET",
        _expect("invalid-allow-origin", "trusted-origin-denied"),
        _static(((ACAO, " ".join(TRUSTED_ORIGINS)), (ACAC, "true")), body=_ME),
    ),
    # The reverse proxy still adds `Access-Control-Allow-Origin: https://app.example.com` (left
    # from when only the SPA used the API) and the application adds its own line (C13): trusted
    # origins get two ACAO lines and are blocked; everyone else gets the proxy's single line.
    Endpoint(
        "/double-header",
        "Proxy and application both add Access-Control-Allow-Origin",
        "GET",
        _expect("invalid-allow-origin", "trusted-origin-denied"),
        _dynamic(_exact, proxy_lines=((ACAO, TRUSTED_ORIGINS[0]),)),
    ),
    # Flask-CORS and Express cors send no Max-Age unless configured (C15): 5 s preflight cache.
    Endpoint(
        "/no-max-age",
        "Preflight without Access-Control-Max-Age",
        "GET",
        _expect("missing-max-age"),
        _dynamic(_exact, max_age=None),
        # Without a policy the GET is not preflighted and the site's own origin is refused: no
        # successful preflight whose Max-Age matters.
        expected_policy_free=_expect(),
    ),
    Endpoint(
        "/short-max-age",
        "Access-Control-Max-Age: 30, below the policy's 600",
        "GET",
        _expect("max-age-out-of-range"),
        _dynamic(_exact, max_age="30"),
    ),
    # The copy-pasted nginx snippet `add_header Access-Control-Allow-Methods 'GET, POST, PUT,
    # PATCH, DELETE, OPTIONS';` (C16).
    Endpoint(
        "/methods-broad",
        "Preflight allows PUT and DELETE, which the policy does not",
        "GET",
        _expect("methods-beyond-policy"),
        _dynamic(_exact, allow_methods="GET, POST, PUT, PATCH, DELETE, OPTIONS"),
    ),
    # Express cors without `allowedHeaders`: it echoes Access-Control-Request-Headers (C16).
    Endpoint(
        "/headers-reflect",
        "Preflight echoes Access-Control-Request-Headers",
        "GET",
        _expect("headers-beyond-policy"),
        _dynamic(_exact, allow_headers=None),
    ),
    # `exposedHeaders: ["Authorization", "X-Auth-Token"]` so the SPA can pick up a refreshed
    # token (C19). A finding even for trusted origins: the token becomes script-readable.
    Endpoint(
        "/expose-token",
        "Access-Control-Expose-Headers lists Authorization and X-Auth-Token",
        "GET",
        _expect("sensitive-exposed-headers"),
        _dynamic(
            _exact,
            expose="Authorization, X-Auth-Token",
            extra=(("X-Auth-Token", "eyJhbGciOiJIUzI1NiJ9.demo.signature"),),
        ),
    ),
    # A local device or developer agent (router UI, printer, IDE helper) that reflects every
    # origin and grants private-network access to whoever asks (C04 + C20).
    Endpoint(
        "/pna",
        "Reflects every Origin and grants Access-Control-Allow-Private-Network",
        "GET",
        _expect("reflected-origin", "private-network-allowed"),
        _dynamic(_anything, private_network=True),
    ),
    # AWS API Gateway "Enable CORS": the OPTIONS mock integration answers the preflight, but the
    # Lambda proxy integration behind PATCH returns no CORS headers (C18 a).
    Endpoint(
        "/preflight-only",
        "Preflight allows the trusted origins but the PATCH reply has no CORS headers",
        "PATCH",
        _expect("trusted-origin-denied", "preflight-actual-mismatch"),
        _dynamic(_exact, method="PATCH", body=_POST, actual_cors=False),
        # Without a policy the only trusted origin, the site's own, is refused by both the
        # preflight and the reply: nothing contradicts.
        expected_policy_free=_expect(),
    ),
    # Express `cors({ origin: allowlist, credentials: true })` copy-pasted onto an anonymous
    # link-preview endpoint whose policy says no credentials.
    Endpoint(
        "/anon/credentials",
        "Access-Control-Allow-Credentials: true where the policy says no credentials",
        "GET",
        _expect("credentials-beyond-policy"),
        _dynamic(_exact, body=_FEED),
    ),
)
"""The lab's behaviour table."""


def respond(request: RequestView, endpoints: Sequence[Endpoint] = ENDPOINTS) -> Reply:
    """The lab's reply to ``request``: the matching endpoint's handler, else 404. Pure."""
    for endpoint in endpoints:
        if endpoint.path == request.path:
            return endpoint.handler(request)
    return not_found()


# -- the server --------------------------------------------------------------------------------

_Request = socket.socket | tuple[bytes, socket.socket]


class _Server(ThreadingHTTPServer):
    """Counts requests, records handler failures and can drop idle keep-alive connections."""

    daemon_threads = False
    block_on_close = True  # server_close() joins every connection thread

    def __init__(self, address: tuple[str, int], app: Callable[[RequestView], Reply]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.errors: list[str] = []
        self._connections: set[socket.socket] = set()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind also does a reverse DNS lookup (socket.getfqdn); not needed.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: _Request, client_address: Any) -> None:
        if isinstance(request, socket.socket):
            with self.lock:
                self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: _Request) -> None:
        if isinstance(request, socket.socket):
            with self.lock:
                self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: _Request, client_address: Any) -> None:
        error = sys.exception()
        if isinstance(error, OSError):
            return  # the client went away; not the lab's fault
        self.record_error(error)

    def record_error(self, error: BaseException | None) -> None:
        """Keep a handler failure for `DemoLab.errors`."""
        text = "".join(traceback.format_exception(error)) if error else "unknown error"
        with self.lock:
            self.errors.append(text)

    def drop_connections(self) -> None:
        """Wake every connection thread blocked on an idle keep-alive socket."""
        with self.lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # an idle keep-alive connection ends by itself
    disable_nagle_algorithm = True  # head and body are two writes: no 40 ms delayed-ACK stall
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the lab is scanned thousands of times per run."""

    def _dispatch(self) -> None:
        early = self._drain_body()
        view = RequestView(self.command, urlsplit(self.path).path, tuple(self.headers.items()))
        with self.server.lock:
            self.server.counts[view.path] += 1
        if early is not None:
            self._write(early)
            return
        head = view.method == "HEAD"
        try:
            reply = self.server.app(replace(view, method="GET") if head else view)
        except Exception as error:  # a bug in a handler: answer 500, keep it for the tests
            self.server.record_error(error)
            reply = Reply(500, (("Content-Type", "text/plain"),), b"demo lab handler failed\n")
        self._write(reply, body=not head)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch

    def _drain_body(self) -> Reply | None:
        """Read and drop the request body; a reply when it cannot be framed."""
        close = (("Connection", "close"),)
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return Reply(411, close)
        raw = (self.headers.get("Content-Length") or "0").strip()
        if not raw.isdigit():
            return Reply(400, close)
        length = int(raw)
        if length > _MAX_BODY:
            return Reply(413, close)
        self.rfile.read(length)
        return None

    def _write(self, reply: Reply, *, body: bool = True) -> None:
        self.send_response_only(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        framed = any(name.lower() == "content-length" for name, _ in reply.headers)
        # RFC 9110 §8.6: no Content-Length on 1xx and 204 replies (304 has none here).
        if not framed and reply.status >= 200 and reply.status != 204:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if body and reply.body:
            self.wfile.write(reply.body)


def _loopback(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        loopback = ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise UsageError(
            f"the demo lab is deliberately vulnerable and listens only on IPv4 loopback "
            f"(127.0.0.0/8 or localhost); got host {host!r}"
        )
    return host


class DemoLab:
    """The lab server in a background thread: ``with DemoLab() as lab: lab.base_url``."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, endpoints: Sequence[Endpoint] = ENDPOINTS
    ) -> None:
        self._address = (_loopback(host), port)
        paths = [endpoint.path for endpoint in endpoints]
        if len(set(paths)) != len(paths):
            raise ValueError("demo lab endpoints must have unique paths")
        self.endpoints = tuple(endpoints)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> DemoLab:
        """Bind and serve in a daemon thread (idempotent while running)."""
        if self._server is not None and self._thread is None:
            raise RuntimeError("this demo lab was closed; start a new DemoLab")
        if self._server is None:
            endpoints = self.endpoints
            server = _Server(self._address, lambda request: respond(request, endpoints))
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},  # how long close() waits for the loop to notice
                name="cors-audit-demo-lab",
                daemon=True,
            )
            thread.start()
            self._server, self._thread = server, thread
        return self

    def close(self) -> None:
        """Stop serving, close every connection and the socket, join the threads."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        server.drop_connections()
        server.server_close()
        thread.join()
        self._thread = None

    def __enter__(self) -> DemoLab:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _running(self) -> _Server:
        if self._server is None:
            raise RuntimeError("the demo lab is not started; use `with DemoLab() as lab:`")
        return self._server

    @property
    def host(self) -> str:
        """The loopback address it listens on."""
        return self._running().server_name

    @property
    def port(self) -> int:
        """The port it listens on (chosen by the OS for port 0)."""
        return self._running().server_port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        """The full URL of ``path`` on the lab."""
        return self.base_url + path

    def urls(self) -> list[tuple[str, str]]:
        """``(url, method)`` of every endpoint, in table order."""
        return [(self.url(endpoint.path), endpoint.method) for endpoint in self.endpoints]

    def expected(self, *, policy: bool = True) -> dict[str, frozenset[str]]:
        """Endpoint URL → the rule ids a correct scan reports for it, with the demo policy or
        (``policy=False``) without one."""
        return {
            self.url(endpoint.path): (
                endpoint.expected if policy else endpoint.expected_without_policy
            )
            for endpoint in self.endpoints
        }

    @property
    def request_count(self) -> int:
        """Requests answered so far (every path, including unknown ones)."""
        server = self._running()
        with server.lock:
            return sum(server.counts.values())

    def requests_to(self, path: str) -> int:
        """Requests answered so far for ``path``."""
        server = self._running()
        with server.lock:
            return server.counts[path]

    @property
    def errors(self) -> tuple[str, ...]:
        """Tracebacks of handler failures (each was answered with a 500)."""
        server = self._running()
        with server.lock:
            return tuple(server.errors)


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    stop: threading.Event | None = None,
    out: TextIO | None = None,
) -> None:
    """Run the lab until Ctrl-C (or until ``stop`` is set), printing its URL first."""
    with DemoLab(host, port) as lab:
        print(
            f"cors-audit demo lab on {lab.base_url} (judged as {DEMO_SITE_ORIGIN}); Ctrl-C stops",
            file=out if out is not None else sys.stdout,
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            (stop if stop is not None else threading.Event()).wait()


if __name__ == "__main__":  # pragma: no cover - `python -m cors_audit.demo.lab`
    serve_forever()
