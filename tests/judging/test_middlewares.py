"""Scans of real CORS middlewares (Starlette, flask-cors, django-cors-headers, nginx-style
handlers) running on loopback, judged against the policy their configuration intends.

The product promise is "judged like Chromium, never noisy on a correct config": for each
correctly configured middleware ANY finding is a false positive of the rules. For each
misconfiguration the expected rule ids are what Chromium really lets through, reasoned from the
middleware's own source (quoted in the case comments) and BROWSER-MODEL.md. The correct
configurations, and the bypasses whose preflight matters, are scanned both as a safelisted (GET)
and as a preflighted (PATCH) target of the same resource, with the same expectation.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support import middleware_servers as ms

from cors_audit.app.scan import ScanOptions, scan
from cors_audit.browser import header_get
from cors_audit.core.models import OriginClass, Severity, Target, TargetResult
from cors_audit.inputs.policy import Policy, load_policy
from cors_audit.sending.engine import EngineOptions

SITE_ORIGIN = "https://api.example.com"
"""The origin browsers attribute to the API (probe origins derive from it and the policy)."""
APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
LABEL = "m1ddleware"
METHODS = ["GET", "POST", "PATCH"]
HEADERS = ["Content-Type", "Authorization"]

CRITICAL, HIGH, MEDIUM, LOW = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW


def policy_toml(origins: tuple[str, ...], *, credentials: bool) -> str:
    """The intended policy: the apps' methods and headers, 10 min to 1 day of preflight cache."""
    listed = ", ".join(f'"{o}"' for o in origins)
    return (
        f"trusted_origins = [{listed}]\n"
        f"allow_credentials = {'true' if credentials else 'false'}\n"
        'allowed_methods = ["GET", "POST", "PATCH"]\n'
        'allowed_headers = ["Content-Type", "Authorization"]\n'
        "max_age = { min = 600, max = 86400 }\n"
        "public = false\n"
    )


POLICIES = {
    "credentialed": policy_toml((APP,), credentials=True),
    "anonymous": policy_toml((APP,), credentials=False),
    "two-origins": policy_toml((APP, ADMIN), credentials=True),
}

# Keyword arguments shared by the middlewares' "correct" configurations.
STARLETTE_OK = {
    "allow_credentials": True,
    "allow_methods": METHODS,
    "allow_headers": HEADERS,
    "max_age": 600,
}
FLASK_OK = {
    "supports_credentials": True,
    "methods": METHODS,
    "allow_headers": HEADERS,
    "max_age": 600,
}


BOTH = ("GET", "PATCH")
"""Scan the resource as a safelisted and as a preflighted target."""

Expected = dict[str, tuple[Severity, bool]]
"""rule id → (severity, credentialed) for every finding of a target."""


@dataclass(frozen=True)
class Case:
    serve: Callable[[], contextlib.AbstractContextManager[str]]
    policy: str
    expected: Expected = field(default_factory=dict)
    methods: tuple[str, ...] = ("GET",)
    """Target methods to scan the resource as: PATCH adds the preflighted-read path."""
    needs: tuple[str, ...] = ()
    """Optional modules the case needs (skipped without them)."""


def starlette(**cors: object) -> Callable[[], contextlib.AbstractContextManager[str]]:
    return lambda: ms.serve_asgi(ms.starlette_app(**cors))


def flask(**cors: object) -> Callable[[], contextlib.AbstractContextManager[str]]:
    return lambda: ms.serve_wsgi(ms.flask_app(**cors))


def django(**settings: object) -> Callable[[], contextlib.AbstractContextManager[str]]:
    return lambda: ms.serve_wsgi(ms.django_app(**settings))


def nginx(handler: type[ms.NginxHandler]) -> Callable[[], contextlib.AbstractContextManager[str]]:
    return lambda: ms.serve_handler(handler)


CORRECT = [
    pytest.param(
        Case(starlette(allow_origins=[APP], **STARLETTE_OK), "credentialed", methods=BOTH),
        id="starlette-allowlist",
    ),
    # flask-cors adds `Vary: Origin` only "if more than one origin (or a regex) could have
    # matched" (flask_cors/core.py get_cors_headers), so the correct two-origin setup is clean.
    pytest.param(
        Case(flask(origins=[APP, ADMIN], **FLASK_OK), "two-origins", methods=BOTH),
        id="flask-cors-allowlist",
    ),
    pytest.param(
        Case(
            django(
                CORS_ALLOWED_ORIGINS=[APP],
                CORS_ALLOW_CREDENTIALS=True,
                CORS_ALLOW_METHODS=METHODS,
                CORS_ALLOW_HEADERS=[h.lower() for h in HEADERS],
                CORS_PREFLIGHT_MAX_AGE=600,
            ),
            "credentialed",
            methods=BOTH,
            needs=("django", "corsheaders"),
        ),
        id="django-cors-headers-allowlist",
    ),
    pytest.param(
        Case(nginx(ms.NginxMapHandler), "credentialed", methods=BOTH), id="nginx-map-allowlist"
    ),
    # A static ACAO sent on every reply: Fetch "CORS protocol and HTTP caches" recommends it
    # without `Vary`, so `missing-vary-origin` must stay quiet.
    pytest.param(
        Case(nginx(ms.NginxStaticHandler), "credentialed", methods=BOTH),
        id="nginx-static-origin",
    ),
]

MISCONFIGURED = [
    # BROWSER-MODEL.md §6.2 C01: `*` without credentials on an anonymous, non-public API.
    pytest.param(
        Case(
            starlette(allow_origins=["*"], allow_methods=METHODS, allow_headers=HEADERS),
            "anonymous",
            {"wildcard-origin": (MEDIUM, False)},
        ),
        id="starlette-wildcard",
    ),
    # Starlette's `allow_origin_regex` uses `re.fullmatch`, so `https://.*\.example\.com` is
    # anchored: no prefix/suffix/look-alike/http origin passes, but every https subdomain does
    # (C10), with credentials.
    pytest.param(
        Case(
            starlette(allow_origin_regex=r"https://.*\.example\.com", **STARLETTE_OK),
            "credentialed",
            {"arbitrary-subdomain": (HIGH, True)},
        ),
        id="starlette-subdomain-regex",
    ),
    # `allow_origins=["*"]` + `allow_credentials=True`: Starlette never sends `*` then; it echoes
    # every request Origin with `Allow-Credentials: true` on actual replies and preflights
    # (`allow_explicit_origin`, `preflight_explicit_allow_origin`) — C04, not C02.
    pytest.param(
        Case(
            starlette(allow_origins=["*"], **STARLETTE_OK),
            "credentialed",
            {"reflected-origin": (CRITICAL, True)},
            methods=BOTH,
        ),
        id="starlette-wildcard-credentials",
    ),
    # flask-cors with one literal origin omits `Vary: Origin` (see flask-cors-allowlist) yet
    # answers other origins without ACAO while sending `ACAO: https://app.example.com` to
    # requests without Origin (`always_send`). The reply depends on the Origin, so Fetch "CORS
    # protocol and HTTP caches" asks for `Vary: Origin`: a shared cache can hand the ACAO-less
    # reply made for another origin to the trusted one (the express `cors` issue #106 bug).
    pytest.param(
        Case(
            flask(origins=[APP], **FLASK_OK),
            "credentialed",
            {"missing-vary-origin": (MEDIUM, True)},
        ),
        id="flask-cors-single-origin",
    ),
    # `CORS(app)`: origins "*" becomes the regex `.*` and `send_wildcard` is False, so flask-cors
    # echoes every Origin (no `*`, no credentials: C03), allows every method, echoes every
    # requested header and sends no Max-Age.
    pytest.param(
        Case(
            flask(),
            "anonymous",
            {
                "reflected-origin": (MEDIUM, False),
                "methods-beyond-policy": (MEDIUM, False),
                "headers-beyond-policy": (LOW, False),
                "missing-max-age": (LOW, False),
            },
        ),
        id="flask-cors-default",
    ),
    # `origins=r".*example.com"` is compiled (it contains `*`) and tried with `re.match`: anchored
    # at the start only, unescaped dot. Every origin containing `example<any>com` passes with
    # credentials: prefix, suffix, look-alike, `_`/`-` tricks, subdomains and http:// — but not
    # an unrelated domain, so there is no reflected-origin to fold them into.
    pytest.param(
        Case(
            flask(origins=r".*example.com", **FLASK_OK),
            "credentialed",
            {
                "prefix-match": (CRITICAL, True),
                "suffix-match": (CRITICAL, True),
                "unescaped-dot": (CRITICAL, True),
                "special-chars": (HIGH, True),
                "arbitrary-subdomain": (HIGH, True),
                "insecure-scheme": (HIGH, True),
                # Discovery: the apex https://example.com matches too and the policy does not
                # list it (its named subdomains fold into arbitrary-subdomain).
                "origin-beyond-policy": (MEDIUM, True),
            },
            methods=BOTH,
        ),
        id="flask-cors-unanchored-regex",
    ),
    # nginx `add_header Access-Control-Allow-Origin $http_origin always;` with credentials and no
    # Vary (C04 + C14).
    pytest.param(
        Case(
            nginx(ms.NginxReflectHandler),
            "credentialed",
            {"reflected-origin": (CRITICAL, True), "missing-vary-origin": (MEDIUM, True)},
        ),
        id="nginx-reflect-origin",
    ),
]


# -- helpers ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Policy]:
    folder: Path = tmp_path_factory.mktemp("policies")
    loaded: dict[str, Policy] = {}
    for name, text in POLICIES.items():
        path = folder / f"{name}.toml"
        path.write_text(text, encoding="utf-8")
        loaded[name] = load_policy(path)
    return loaded


def run(case: Case, policy: Policy) -> list[TargetResult]:
    """Serve the case's app, scan its resource once per method in ``case.methods``, stop it."""
    for module in case.needs:
        pytest.importorskip(module)
    with case.serve() as base:
        targets = [Target(base + ms.API_PATH, method, SITE_ORIGIN) for method in case.methods]
        options = ScanOptions(
            engine=EngineOptions(timeout=5, retries=0), label=LABEL, keep_exchanges=True
        )
        return scan(targets, policy, options)


def describe(result: TargetResult) -> str:
    """Every finding with its proof, for assertion messages."""
    lines = [f"{result.target.method} {result.target.url}:"]
    for finding in result.findings:
        lines.append(f"  {finding.rule} {finding.severity} {finding.detail}")
        for exchange in finding.evidence[:3]:
            probe, response = exchange.probe, exchange.response
            origin = probe.origin.value if probe.origin else "-"
            head = (response.status, response.headers) if response else exchange.error
            lines.append(f"    {probe.kind} {probe.request_method} Origin={origin}: {head}")
    return "\n".join(lines)


def found(result: TargetResult) -> Expected:
    return {f.rule: (f.severity, f.credentialed) for f in result.findings}


def check(results: list[TargetResult], case: Case) -> None:
    """Every probe got a reply, and each target has exactly the expected findings."""
    assert tuple(r.target.method for r in results) == case.methods
    for result in results:
        assert result.error is None, result.error
        failed = [e for e in result.exchanges if e.error is not None]
        assert failed == [], failed
        assert found(result) == case.expected, describe(result)
        # Not vacuous: the trusted and attacker origins were judged, and the narrower bypass
        # origins too, unless the scan rightly skipped them (two unrelated origins already read
        # with credentials: probes._reflection_settled).
        classes = {e.probe.origin.cls for e in result.exchanges if e.probe.origin is not None}
        assert {OriginClass.TRUSTED, OriginClass.ARBITRARY} <= classes
        skipped = case.expected.get("reflected-origin", (None, False))[1] is True
        round2 = {OriginClass.PREFIX, OriginClass.NULL, OriginClass.SUBDOMAIN} <= classes
        assert round2 is not skipped, result.notes


# -- tests --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CORRECT)
def test_correct_configuration_has_no_finding(case: Case, policies: dict[str, Policy]) -> None:
    results = run(case, policies[case.policy])
    assert case.expected == {}
    check(results, case)
    assert all(result.grade == "A" for result in results)


@pytest.mark.parametrize("case", MISCONFIGURED)
def test_misconfiguration_gives_what_chromium_allows(
    case: Case, policies: dict[str, Policy]
) -> None:
    check(run(case, policies[case.policy]), case)


def test_starlette_wildcard_with_credentials_reflects_the_attacker_origin(
    policies: dict[str, Policy],
) -> None:
    """The proof of the critical finding is the attacker origin echoed with credentials."""
    case = Case(starlette(allow_origins=["*"], **STARLETTE_OK), "credentialed")
    result = run(case, policies["credentialed"])[0]
    (finding,) = result.findings
    assert finding.origin is not None
    assert finding.origin.endswith(("invalid-attacker.net", "-attacker.com"))
    assert finding.evidence
    for exchange in finding.evidence:
        assert exchange.probe.origin is not None
        assert exchange.response is not None
        headers = exchange.response.headers
        assert header_get(headers, "Access-Control-Allow-Origin") == exchange.probe.origin.value
        assert header_get(headers, "Access-Control-Allow-Credentials") == "true"


def test_servers_stop_cleanly() -> None:
    """Each server refuses connections once its context exits (no leaked listener)."""
    for serve in (
        starlette(allow_origins=[APP]),
        flask(origins=[APP]),
        nginx(ms.NginxMapHandler),
    ):
        with serve() as base:
            port = int(base.rsplit(":", 1)[1])
            with socket.create_connection((ms.HOST, port), timeout=2):
                pass
        with pytest.raises(OSError), socket.create_connection((ms.HOST, port), timeout=2):
            pass
