"""The demo lab's behaviour table: one `Endpoint` per real-world CORS bug (its comment names the
middleware or configuration it mimics), plus correct ones.

How ``Endpoint.expected`` is decided: each rule names the lab paths it must be reported for
(``RuleSpec.demo`` in its module under ``judging/rules``), and `_endpoint` collects them from the
rule registry, so the table keeps no rule list of its own. A rule names a path when its condition
holds there for the scan ``cors-audit demo`` runs: ``DEMO_POLICY_TOML`` and ``--site-origin
DEMO_SITE_ORIGIN`` (an https site), so its probe origins are those ``origins`` derives from the
policy's trusted origins and ``https://api.example.com``, as Chromium judges them. The one
folding is README's ("Rules"): when ``reflected-origin`` holds, the narrower origin rules are
folded into it and not named. ``Access-Control-Allow-Origin: *`` is the wildcard rules' business,
never ``reflected-origin`` (nothing is reflected). Every misconfigured endpoint still serves the
trusted origins correctly (exact ACAO, credentials, ``Vary: Origin``, a 204 preflight listing the
policy's methods and headers with ``Max-Age: 600``) unless that is the bug it shows.

How ``Endpoint.expected_policy_free`` is decided: the same scan without a policy (the site origin
is still given). The only trusted origin is then the site's own, the request judged is the
endpoint's method without extra headers (so a GET endpoint is never preflighted), and first-party
origins the server admits are discovered, not reported; rules that compare with a stated policy
name no path then.

``tests/demo`` checks every expectation against what the server really does, and that every path
a rule names is in this table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cors_audit.core.wire import ACAC, ACAO
from cors_audit.demo.handlers import (
    CATALOG,
    FEED,
    ME,
    POST_BODY,
    Endpoint,
    Handler,
    Reply,
    RequestView,
    dynamic,
    not_found,
    static,
    without_origin,
)
from cors_audit.demo.policy import TRUSTED_ORIGINS
from cors_audit.judging.rules.registry import DEMO_WITH_POLICY, DEMO_WITHOUT_POLICY

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


def _endpoint(path: str, title: str, method: str, handler: Handler) -> Endpoint:
    """An endpoint of the table, with the rules that name its path (``RuleSpec.demo``)."""
    return Endpoint(
        path,
        title,
        method,
        DEMO_WITH_POLICY.get(path, frozenset()),
        handler,
        DEMO_WITHOUT_POLICY.get(path, frozenset()),
    )


ENDPOINTS: tuple[Endpoint, ...] = (
    # django-cors-headers done right: CORS_ALLOWED_ORIGINS = the two trusted origins,
    # CORS_ALLOW_CREDENTIALS = True, CORS_PREFLIGHT_MAX_AGE = 600, explicit methods and headers.
    _endpoint(
        "/strict",
        "Correct: exact allowlist with credentials and Vary: Origin",
        "GET",
        dynamic(_exact),
    ),
    # nginx `add_header Access-Control-Allow-Origin * always;` on a CDN-cached catalogue that the
    # policy marks public: `*`, no credentials, preflight for GET only.
    _endpoint(
        "/public/catalog",
        "Correct public API: `*` without credentials (policy: public)",
        "GET",
        static(((ACAO, "*"),), body=CATALOG, allow_methods="GET"),
    ),
    # Starlette CORSMiddleware(allow_origins=[…], allow_credentials=True, allow_methods=[GET, POST,
    # PATCH], allow_headers=[…], max_age=600) on a JSON API that is written with PATCH.
    _endpoint(
        "/posts/20",
        "Correct preflighted write: PATCH with exact allowlist",
        "PATCH",
        dynamic(_exact, method="PATCH", body=POST_BODY),
    ),
    # nginx: `add_header Access-Control-Allow-Origin $http_origin always;`
    #        `add_header Access-Control-Allow-Credentials true always;` (C04, the PortSwigger
    # "basic origin reflection" lab). Narrower origin rules fold into reflected-origin.
    _endpoint(
        "/reflect-credentials",
        "nginx reflects every Origin, with credentials",
        "GET",
        dynamic(_anything),
    ),
    # A hand-written Node middleware `res.setHeader("Access-Control-Allow-Origin",
    # req.headers.origin)` on a cookie-less status feed behind a CDN (`Cache-Control: public`),
    # without Vary (C03 + C14).
    _endpoint(
        "/anon/reflect-no-vary",
        "Reflects every Origin without Vary: Origin on a cacheable reply",
        "GET",
        dynamic(
            _anything,
            body=FEED,
            credentials=False,
            vary=False,
            extra=(("Cache-Control", "public, max-age=300"),),
        ),
    ),
    # django-cors-headers CORS_ALLOWED_ORIGINS = [..., "null"] (kept for file:// testing) (C05).
    _endpoint(
        "/null",
        "Allowlist that also trusts the `null` origin, with credentials",
        "GET",
        dynamic(_exact_or_null),
    ),
    # nginx `add_header Access-Control-Allow-Origin null always;` and `add_header
    # Access-Control-Allow-Credentials true always;`, copied from the server block of a desktop
    # (file://) client into the API's: every reply, with or without Origin, says `null`. Any page
    # can send `Origin: null` from a sandboxed iframe and read with cookies, while the trusted
    # origins are refused. The value never depends on the origin, so no Vary is needed.
    _endpoint(
        "/static-null",
        "Static `Access-Control-Allow-Origin: null` with credentials on every reply",
        "GET",
        static(((ACAO, "null"), (ACAC, "true")), body=ME),
    ),
    _endpoint(
        "/prefix",
        "Origin checked with startsWith(trusted origin)",
        "GET",
        dynamic(_starts_with_trusted),
    ),
    # Start-anchored only, around an origin the policy does not list: discovery finds the
    # dashboard (origin-beyond-policy with a policy, "trusted" without), and the variants derived
    # from it show the prefix bug, plus the `_`/`-` parser-confusion forms that also start with it.
    _endpoint(
        "/regex-start",
        "Regex `^https://dashboard\\.example\\.com` without `$`: any origin starting with it",
        "GET",
        dynamic(_exact_or_dashboard_start),
    ),
    # End-anchored only: every name that ends in dashboard.example.com is under example.com (no
    # attacker can register one), but the scheme is free: http://dashboard.example.com passes.
    _endpoint(
        "/regex-end",
        "Regex `dashboard\\.example\\.com$` without `^https://`: http:// passes too",
        "GET",
        dynamic(_exact_or_dashboard_end),
    ),
    # The unescaped-dot and subdomain probes also end in "example.com", so a correct scan
    # reports them too (only reflected-origin folds other origin rules); so does the apex
    # https://example.com, which discovery finds and the policy does not list.
    _endpoint(
        "/suffix",
        "Regex `^https://.*example\\.com$`: any name ending in example.com",
        "GET",
        dynamic(_suffix),
    ),
    _endpoint(
        "/regex-dot",
        "Regex `^https://(app|admin).example.com$` with unescaped dots",
        "GET",
        dynamic(_unescaped_dot),
    ),
    # `([a-z0-9-]+\.)*` also matches nothing: the apex https://example.com is let in as well
    # (origin-beyond-policy); named subdomains fold into arbitrary-subdomain.
    _endpoint(
        "/subdomains",
        "Every subdomain of example.com (and the apex) is trusted",
        "GET",
        dynamic(_any_subdomain),
    ),
    _endpoint(
        "/insecure-scheme",
        "http:// forms of the trusted origins are trusted (PortSwigger 'insecure protocols')",
        "GET",
        dynamic(_either_scheme),
    ),
    _endpoint(
        "/third-party",
        "Trusts *.github.io, *.vercel.app and http://localhost:3000",
        "GET",
        dynamic(_with_platforms),
    ),
    # Only the `_` probe passes: the `-` probe keeps the `-` in the parsed host, the prefix probe
    # keeps the attacker labels, the http:// probe fails the scheme.
    _endpoint(
        "/special-chars",
        "Host parsed up to the first character outside [a-z0-9.-]: `app.example.com_.x` passes",
        "GET",
        dynamic(_host_run_trusted),
    ),
    # nginx `add_header Access-Control-Allow-Origin *;` on an internal, cookie-less stats API
    # that is protected only by being on the VPN (C01). The policy says anonymous, not public.
    _endpoint(
        "/anon/wildcard",
        "`Access-Control-Allow-Origin: *` on a non-public endpoint",
        "GET",
        static(((ACAO, "*"),), body=ME),
    ),
    # Express `cors({ origin: "*", credentials: true })` (C02). Browsers refuse every
    # credentialed read, so the trusted origins — which the policy says need cookies — are
    # denied too; cookie-less reads by anyone still pass (wildcard-origin).
    _endpoint(
        "/wildcard-credentials",
        "`*` together with Access-Control-Allow-Credentials: true",
        "GET",
        static(((ACAO, "*"), (ACAC, "true")), body=ME),
    ),
    # Modelled on sanic-ext's CORS_ALWAYS_SEND: a request without Origin gets a fallback
    # Access-Control-Allow-Origin (`*` here) and, with CORS_SUPPORTS_CREDENTIALS, the credentials
    # header it adds to every reply; requests with an Origin are matched against the exact
    # allowlist. Browsers only ever see the latter (a cross-origin request always carries
    # Origin), so this is correct.
    _endpoint(
        "/no-origin-wildcard",
        "Correct: `*` with credentials only when no Origin is sent, exact allowlist otherwise",
        "GET",
        without_origin(dynamic(_exact), ((ACAO, "*"), (ACAC, "true"))),
    ),
    # A hand-written Koa middleware `ctx.set("Access-Control-Allow-Origin", ctx.get("Origin"))`
    # with credentials: `ctx.get` gives "" for a missing header, so a request without Origin gets
    # an empty Access-Control-Allow-Origin (no browser ever sees it), while every real origin is
    # reflected.
    _endpoint(
        "/empty-origin",
        "Reflects every Origin; an empty Access-Control-Allow-Origin when none is sent",
        "GET",
        without_origin(dynamic(_anything), ((ACAO, ""),)),
    ),
    # nginx `add_header Access-Control-Allow-Origin "https://app.example.com
    # https://admin.example.com" always;` — one value listing both origins (C13).
    _endpoint(
        "/two-origins",
        "One Access-Control-Allow-Origin value listing two origins",
        "GET",
        static(((ACAO, " ".join(TRUSTED_ORIGINS)), (ACAC, "true")), body=ME),
    ),
    # The reverse proxy still adds `Access-Control-Allow-Origin: https://app.example.com` (left
    # from when only the SPA used the API) and the application adds its own line (C13): trusted
    # origins get two ACAO lines and are blocked; everyone else gets the proxy's single line.
    _endpoint(
        "/double-header",
        "Proxy and application both add Access-Control-Allow-Origin",
        "GET",
        dynamic(_exact, proxy_lines=((ACAO, TRUSTED_ORIGINS[0]),)),
    ),
    # Flask-CORS and Express cors send no Max-Age unless configured (C15): 5 s preflight cache.
    _endpoint(
        "/no-max-age",
        "Preflight without Access-Control-Max-Age",
        "GET",
        dynamic(_exact, max_age=None),
    ),
    _endpoint(
        "/short-max-age",
        "Access-Control-Max-Age: 30, below the policy's 600",
        "GET",
        dynamic(_exact, max_age="30"),
    ),
    # The copy-pasted nginx snippet `add_header Access-Control-Allow-Methods 'GET, POST, PUT,
    # PATCH, DELETE, OPTIONS';` (C16).
    _endpoint(
        "/methods-broad",
        "Preflight allows PUT and DELETE, which the policy does not",
        "GET",
        dynamic(_exact, allow_methods="GET, POST, PUT, PATCH, DELETE, OPTIONS"),
    ),
    # Express cors without `allowedHeaders`: it echoes Access-Control-Request-Headers (C16).
    _endpoint(
        "/headers-reflect",
        "Preflight echoes Access-Control-Request-Headers",
        "GET",
        dynamic(_exact, allow_headers=None),
    ),
    # `exposedHeaders: ["Authorization", "X-Auth-Token"]` so the SPA can pick up a refreshed
    # token (C19). A finding even for trusted origins: the token becomes script-readable.
    _endpoint(
        "/expose-token",
        "Access-Control-Expose-Headers lists Authorization and X-Auth-Token",
        "GET",
        dynamic(
            _exact,
            expose="Authorization, X-Auth-Token",
            extra=(("X-Auth-Token", "eyJhbGciOiJIUzI1NiJ9.demo.signature"),),
        ),
    ),
    # A local device or developer agent (router UI, printer, IDE helper) that reflects every
    # origin and grants private-network access to whoever asks (C04 + C20).
    _endpoint(
        "/pna",
        "Reflects every Origin and grants Access-Control-Allow-Private-Network",
        "GET",
        dynamic(_anything, private_network=True),
    ),
    # AWS API Gateway "Enable CORS": the OPTIONS mock integration answers the preflight, but the
    # Lambda proxy integration behind PATCH returns no CORS headers (C18 a).
    _endpoint(
        "/preflight-only",
        "Preflight allows the trusted origins but the PATCH reply has no CORS headers",
        "PATCH",
        dynamic(_exact, method="PATCH", body=POST_BODY, actual_cors=False),
    ),
    # Express `cors({ origin: allowlist, credentials: true })` copy-pasted onto an anonymous
    # link-preview endpoint whose policy says no credentials.
    _endpoint(
        "/anon/credentials",
        "Access-Control-Allow-Credentials: true where the policy says no credentials",
        "GET",
        dynamic(_exact, body=FEED),
    ),
)
"""The lab's behaviour table."""


def respond(request: RequestView, endpoints: Sequence[Endpoint] = ENDPOINTS) -> Reply:
    """The lab's reply to ``request``: the matching endpoint's handler, else 404. Pure."""
    for endpoint in endpoints:
        if endpoint.path == request.path:
            return endpoint.handler(request)
    return not_found()
