"""Stack detection (`cors_audit.fixes.stack`) on real replies.

Starlette, flask-cors and django-cors-headers are the REAL middlewares on loopback
(``middleware_servers.py``); nginx is the real binary when installed; express ``cors``, nginx,
Spring, ASP.NET Core and Go ``rs/cors`` are also covered by RECORDED CONVENTION FIXTURES
(``stack_servers.py``) that reproduce their documented header conventions. Each is scanned by
the real scan; the guess must name the stack, and the hand-written demo and nginx-style
handlers must stay ``unknown``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corsheaders.defaults import default_headers, default_methods
from support import middleware_servers as ms
from support import stack_servers as ss
from support.stack_servers import Serve, django, flask, starlette

from cors_audit.app.scan import ScanOptions, scan
from cors_audit.core.models import (
    ErrorKind,
    Exchange,
    OriginClass,
    Probe,
    ProbeKind,
    ProbeOrigin,
    RequestRecord,
    ResponseRecord,
    ScanError,
    Target,
    TargetResult,
)
from cors_audit.demo.lab import DEMO_POLICY_TOML, DEMO_SITE_ORIGIN, DemoLab
from cors_audit.fixes.stack import (
    GUESS_THRESHOLD,
    SIGNALS,
    UNKNOWN,
    Stack,
    StackGuess,
    detect_stack,
)
from cors_audit.inputs.policy import Policy
from cors_audit.sending.engine import EngineOptions

SITE_ORIGIN = "https://api.example.com"
APP = "https://app.example.com"
LABEL = "st4ck"
POLICY = (
    f'trusted_origins = ["{APP}"]\n'
    "allow_credentials = true\n"
    'allowed_methods = ["GET", "POST", "PATCH"]\n'
    'allowed_headers = ["Content-Type", "Authorization"]\n'
    "max_age = { min = 600, max = 86400 }\n"
)
METHODS = ["GET", "POST", "PATCH"]
HEADERS = ["Content-Type", "Authorization"]


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    result: Policy = ss.write_policy(tmp_path_factory.mktemp("policy"), "stack", POLICY)
    return result


def run(serve: Serve, policy: Policy | None, method: str = "PATCH") -> TargetResult:
    with serve() as base:
        target = Target(base + ss.API_PATH, method, SITE_ORIGIN)
        options = ScanOptions(
            engine=EngineOptions(timeout=5, retries=0), label=LABEL, keep_exchanges=True
        )
        (result,) = scan([target], policy, options)
    assert result.error is None, result.error
    return result


def fixture(stack: str, config: ss.Config) -> Serve:
    return lambda: ss.serve_convention(ss.FIXTURES[stack](config))


DEFAULTS = ss.Config(methods=None, headers=None, max_age=None)
"""The middleware's own defaults for methods, headers and Max-Age."""

REAL = [
    pytest.param(
        starlette(
            allow_origins=[APP],
            allow_credentials=True,
            allow_methods=METHODS,
            allow_headers=HEADERS,
        ),
        Stack.STARLETTE,
        id="starlette-allowlist",
    ),
    pytest.param(
        starlette(allow_origins=["*"], allow_methods=METHODS, allow_headers=HEADERS),
        Stack.STARLETTE,
        id="starlette-wildcard",
    ),
    pytest.param(starlette(allow_origins=[APP]), Stack.STARLETTE, id="starlette-defaults"),
    pytest.param(flask(), Stack.FLASK_CORS, id="flask-cors-defaults"),
    pytest.param(
        flask(origins=[APP], supports_credentials=True, methods=METHODS, allow_headers=HEADERS),
        Stack.FLASK_CORS,
        id="flask-cors-allowlist",
    ),
    pytest.param(
        django(
            CORS_ALLOWED_ORIGINS=[APP],
            CORS_ALLOW_CREDENTIALS=True,
            CORS_ALLOW_HEADERS=default_headers,
            CORS_ALLOW_METHODS=default_methods,
            CORS_PREFLIGHT_MAX_AGE=86400,
        ),
        Stack.DJANGO,
        id="django-cors-headers-defaults",
    ),
    pytest.param(django(**ss.DJANGO_BASE), Stack.DJANGO, id="django-cors-headers-allowlist"),
    pytest.param(
        django(CORS_ALLOW_ALL_ORIGINS=True, CORS_ALLOW_CREDENTIALS=True),
        Stack.DJANGO,
        id="django-cors-headers-allow-all",
    ),
]

CONVENTIONS = [
    pytest.param(fixture(name, config), Stack(name), id=f"{name}-{variant}")
    for name in ss.FIXTURES
    for variant, config in (("configured", ss.Config()), ("defaults", DEFAULTS))
]


@pytest.mark.parametrize(("serve", "expected"), REAL)
def test_real_middleware_is_recognised(serve: Serve, expected: Stack, policy: Policy) -> None:
    guess = detect_stack(run(serve, policy).exchanges)
    assert guess.name is expected, guess
    assert GUESS_THRESHOLD <= guess.confidence <= 1
    assert len(guess.evidence) >= 2  # independent signals, not one banner


@pytest.mark.parametrize(("serve", "expected"), CONVENTIONS)
def test_recorded_conventions_are_recognised(serve: Serve, expected: Stack, policy: Policy) -> None:
    guess = detect_stack(run(serve, policy).exchanges)
    assert guess.name is expected, guess
    assert guess.confidence >= GUESS_THRESHOLD


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_real_nginx_is_recognised(method: str, policy: Policy, tmp_path: Path) -> None:
    if ss.nginx_binary() is None:
        pytest.skip("nginx is not installed")
    site = ss.NginxSite(
        location="add_header Access-Control-Allow-Origin $http_origin always;\n"
        "add_header Access-Control-Allow-Credentials true always;\n"
    )
    guess = detect_stack(run(lambda: ss.serve_nginx(site, tmp_path), policy, method).exchanges)
    assert guess.name is Stack.NGINX, guess
    assert any(line.startswith("Server: nginx") for line in guess.evidence)


def test_demo_lab_handlers_are_unknown(tmp_path: Path) -> None:
    """The lab's hand-written handlers follow no framework's conventions."""
    demo_policy = ss.write_policy(tmp_path, "demo", DEMO_POLICY_TOML)
    with DemoLab() as lab:
        targets = [Target(url, method, DEMO_SITE_ORIGIN) for url, method in lab.urls()]
        options = ScanOptions(
            engine=EngineOptions(timeout=5, retries=0), label=LABEL, keep_exchanges=True
        )
        results = scan(targets, demo_policy, options)
    assert len(results) == len(lab.endpoints)
    for result in results:
        guess = detect_stack(result.exchanges)
        assert guess.name is Stack.UNKNOWN, (result.target.url, guess)
        assert guess.confidence == 0


@pytest.mark.parametrize(
    "handler",
    [ms.NginxReflectHandler, ms.NginxMapHandler, ms.NginxStaticHandler],
    ids=["reflect", "map", "static"],
)
def test_hand_written_nginx_style_handlers_are_unknown(
    handler: type[ms.NginxHandler], policy: Policy
) -> None:
    """Without nginx's own head (Server banner, layout) the add_header shape is not enough."""
    guess = detect_stack(run(lambda: ms.serve_handler(handler), policy).exchanges)
    assert guess.name is Stack.UNKNOWN, guess


# -- pure cases -----------------------------------------------------------------------------------


def _exchange(
    headers: list[tuple[str, str]],
    *,
    kind: ProbeKind = ProbeKind.PREFLIGHT,
    status: int = 200,
    body: bytes = b"",
    truncated: bool = False,
    origin: str | None = "https://x.invalid-attacker.net",
) -> Exchange:
    import hashlib

    probe_origin = ProbeOrigin(origin, OriginClass.ARBITRARY, origin) if origin else None
    probe = Probe(
        kind=kind,
        url="https://api.example.com/x",
        origin=probe_origin,
        method="OPTIONS" if kind is not ProbeKind.ACTUAL else "GET",
        request_method="PATCH",
    )
    response = ResponseRecord(
        status=status,
        reason="",
        http_version="HTTP/1.1",
        headers=tuple(headers),
        body_bytes=len(body),
        body_truncated=truncated,
        body_sha256=hashlib.sha256(body).hexdigest(),
    )
    return Exchange(probe, RequestRecord(probe.method, probe.url, ()), response)


def test_no_reply_is_unknown() -> None:
    failed = Exchange(
        Probe(ProbeKind.ACTUAL, "https://a.example/", None, "GET", "GET"),
        RequestRecord("GET", "https://a.example/", ()),
        None,
        ScanError(ErrorKind.CONNECT, "refused"),
    )
    assert detect_stack([]) == UNKNOWN
    assert detect_stack([failed]) == UNKNOWN


def test_a_banner_alone_is_not_enough() -> None:
    guess = detect_stack([_exchange([("Server", "nginx/1.25.0")], kind=ProbeKind.ACTUAL)])
    assert guess == StackGuess(Stack.UNKNOWN, 0.0, ("nginx 0.40: Server: nginx/1.25.0",))


def test_more_independent_signals_give_more_confidence() -> None:
    refusal = _exchange([("server", "uvicorn")], status=400, body=b"Disallowed CORS origin")
    ok = _exchange([("server", "uvicorn")], body=b"OK", origin=APP)
    one = detect_stack([refusal])
    two = detect_stack([refusal, ok])
    assert one.name is two.name is Stack.STARLETTE
    assert GUESS_THRESHOLD <= one.confidence < two.confidence < 1
    assert len(two.evidence) == len(one.evidence) + 1


def test_a_tie_is_unknown_and_lists_both() -> None:
    # Server: Kestrel (ASP.NET Core, 0.5) and Starlette's "OK" preflight body (0.5).
    guess = detect_stack([_exchange([("Server", "Kestrel")], body=b"OK", origin=APP)])
    assert guess.name is Stack.UNKNOWN
    assert {line.split(" ", 1)[0] for line in guess.evidence} == {"aspnetcore", "starlette"}


def test_a_truncated_body_is_not_recognised() -> None:
    body = b"Invalid CORS request"
    assert detect_stack([_exchange([], status=403, body=body)]).name is Stack.SPRING
    assert detect_stack([_exchange([], status=403, body=body, truncated=True)]) == UNKNOWN


def test_every_stack_has_signals_with_sane_weights() -> None:
    stacks = {signal.stack for signal in SIGNALS}
    assert stacks == set(Stack) - {Stack.UNKNOWN}
    assert all(0 < signal.weight < 1 for signal in SIGNALS)
