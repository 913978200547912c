"""Tests for the engine: request construction, secrecy, recording, limits, retries, errors.

Mocked transports (httpx.MockTransport, respx) pin the logic; live servers on 127.0.0.1:0 prove
that the same holds on a real socket. No test sleeps to wait for timing.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import gzip
import hashlib
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import respx

from cors_audit.core.errors import UsageError
from cors_audit.core.models import (
    ErrorKind,
    Exchange,
    OriginClass,
    Probe,
    ProbeKind,
    ProbeOrigin,
    ScanError,
)
from cors_audit.sending import engine as engine_mod
from cors_audit.sending.engine import (
    REDACTED,
    Engine,
    EngineOptions,
    TokenBucket,
    backoff_delay,
    classify_error,
    send_all,
)

SECRET_TOKEN = "Bearer s3cr3t-T0KEN-4242"
SECRET_KEY = "k3y-V4LUE-9191"
SECRET_COOKIE = "sid=c00kie-S3CRET-77"
SECRETS = (SECRET_TOKEN, SECRET_KEY, SECRET_COOKIE, "s3cr3t-T0KEN-4242", "c00kie-S3CRET-77")
USER_HEADERS = (("Authorization", SECRET_TOKEN), ("X-Api-Key", SECRET_KEY))
ATTACKER = ProbeOrigin("https://x1.attacker.net", OriginClass.ARBITRARY, "https://{label}.net")
URL = "http://api.test/things/1"


def actual(url: str = URL, *, credentialed: bool = True, method: str = "GET") -> Probe:
    return Probe(ProbeKind.ACTUAL, url, ATTACKER, method, method, credentialed=credentialed)


def preflight(url: str = URL, *, kind: ProbeKind = ProbeKind.PREFLIGHT) -> Probe:
    # credentialed=True on purpose: the engine must still leave credentials off (§3.2).
    return Probe(kind, url, ATTACKER, "OPTIONS", "PATCH", ("x-api-key",), credentialed=True)


def secret_options(**overrides: Any) -> EngineOptions:
    values: dict[str, Any] = {"headers": USER_HEADERS, "cookie": SECRET_COOKIE, "backoff": 0.0}
    values.update(overrides)
    return EngineOptions(**values)


def names(headers: Any) -> list[str]:
    return [name.lower() for name, _ in headers]


def assert_no_secret(exchanges: list[Exchange]) -> None:
    text = repr(exchanges)
    for secret in SECRETS:
        assert secret not in text


Handler = Callable[[httpx.Request], Any]


def mock(handler: Handler) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


# ---- request construction and secrecy --------------------------------------------------------


@pytest.mark.parametrize(
    "kind", [pytest.param(k, id=k.value) for k in (ProbeKind.PREFLIGHT, ProbeKind.PRIVATE_NETWORK)]
)
def test_preflight_never_carries_user_credentials(kind: ProbeKind) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    [exchange] = send_all([preflight(kind=kind)], secret_options(), transport=mock(handler))

    sent = seen[0].headers
    assert "authorization" not in sent
    assert "x-api-key" not in sent
    assert "cookie" not in sent
    assert sent["origin"] == ATTACKER.value
    assert sent["access-control-request-method"] == "PATCH"
    assert sent["access-control-request-headers"] == "x-api-key"
    assert sent["accept-encoding"] == "identity"
    assert sent["user-agent"].startswith("cors-audit/")
    assert seen[0].method == "OPTIONS"
    assert ("access-control-request-private-network" in sent) is (kind is ProbeKind.PRIVATE_NETWORK)
    assert REDACTED not in repr(exchange.request)
    assert exchange.request.headers == tuple(
        (k.decode(), v.decode()) for k, v in seen[0].headers.raw
    )


def test_credentialed_actual_sends_secrets_and_records_them_redacted() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"Access-Control-Allow-Origin": ATTACKER.value})

    [exchange] = send_all([actual()], secret_options(), transport=mock(handler))

    sent = seen[0].headers
    assert sent["authorization"] == SECRET_TOKEN
    assert sent["x-api-key"] == SECRET_KEY
    assert sent["cookie"] == SECRET_COOKIE
    assert sent["origin"] == ATTACKER.value
    recorded = dict(exchange.request.headers)
    assert recorded["Authorization"] == REDACTED
    assert recorded["X-Api-Key"] == REDACTED
    assert recorded["Cookie"] == REDACTED
    assert recorded["Origin"] == ATTACKER.value
    assert names(exchange.request.headers) == names(sent.multi_items())
    assert exchange.request.method == "GET"
    assert exchange.request.url == URL
    assert_no_secret([exchange])


def test_uncredentialed_actual_carries_no_user_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    send_all([actual(credentialed=False)], secret_options(), transport=mock(handler))

    assert {"authorization", "x-api-key", "cookie"}.isdisjoint(seen[0].headers.keys())


def test_user_headers_cannot_replace_the_probe_origin_and_cookies_merge() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    options = EngineOptions(
        headers=(("Origin", "https://mine.example"), ("Cookie", "a=1")), cookie="b=2"
    )
    [exchange] = send_all([actual()], options, transport=mock(handler))

    assert seen[0].headers.get_list("origin") == [ATTACKER.value]
    assert seen[0].headers.get_list("cookie") == ["a=1; b=2"]
    assert dict(exchange.request.headers)["Origin"] == ATTACKER.value


def test_user_may_override_user_agent_and_it_is_then_redacted() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    options = EngineOptions(headers=(("User-Agent", "scanner-of-acme"),), user_agent="ua/1")
    [cred, plain] = send_all(
        [actual(), actual(credentialed=False)], options, transport=mock(handler)
    )

    agents = sorted(request.headers.get_list("user-agent")[0] for request in seen)
    assert agents == ["scanner-of-acme", "ua/1"]
    assert dict(cred.request.headers)["User-Agent"] == REDACTED
    assert dict(plain.request.headers)["User-Agent"] == "ua/1"


def test_secret_quoted_in_an_error_message_is_scrubbed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        value = request.headers["authorization"].encode()
        raise httpx.LocalProtocolError(f"Illegal header value {value!r}")

    [exchange] = send_all([actual()], secret_options(), transport=mock(handler))

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.PROTOCOL
    assert REDACTED in exchange.error.message
    assert_no_secret([exchange])


def test_message_quoting_part_of_a_secret_is_withheld() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("server echoed: s3cr3t-T0KEN-4242 is bad")

    [exchange] = send_all([actual()], secret_options(), transport=mock(handler))

    assert exchange.error is not None
    assert "withheld" in exchange.error.message
    assert_no_secret([exchange])


def test_no_secret_anywhere_in_a_mixed_scan() -> None:
    router = respx.Router()
    router.get(URL).mock(
        return_value=httpx.Response(
            302, headers={"Location": "/login", "Set-Cookie": "x=1"}, content=b"moved"
        )
    )
    router.options(URL).mock(return_value=httpx.Response(204))
    router.get("http://down.test/").mock(side_effect=httpx.ConnectError("Connection refused"))
    probes = [actual(), preflight(), actual(credentialed=False), actual("http://down.test/")]

    exchanges = send_all(probes, secret_options(), transport=mock(router.async_handler))

    assert [e.ok for e in exchanges] == [True, True, True, False]
    assert_no_secret(exchanges)


def test_set_cookie_never_reaches_a_later_request() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"Set-Cookie": "leak=1; Path=/"})

    async def scenario() -> None:
        async with Engine(EngineOptions(), transport=mock(handler)) as engine:
            await engine.send(actual(credentialed=False))
            await engine.send(actual(credentialed=False))
            await engine.send(actual())

    asyncio.run(scenario())

    assert len(seen) == 3
    assert all("cookie" not in request.headers for request in seen)


# ---- what is recorded of the response --------------------------------------------------------


def test_redirect_is_recorded_not_followed() -> None:
    router = respx.Router()
    route = router.get(URL).mock(
        return_value=httpx.Response(302, headers={"Location": "https://sso.test/login"})
    )
    followed = router.get("https://sso.test/login").mock(return_value=httpx.Response(200))

    [exchange] = send_all([actual()], EngineOptions(), transport=mock(router.async_handler))

    assert exchange.response is not None
    assert exchange.response.status == 302
    assert ("Location", "https://sso.test/login") in exchange.response.headers
    assert route.call_count == 1
    assert followed.call_count == 0


def test_repeated_headers_keep_order_case_and_latin1_bytes() -> None:
    raw = [
        (b"Access-Control-Allow-Origin", b"https://a.test"),
        (b"vary", b"Origin"),
        (b"access-control-allow-origin", b"https://b.test"),
        (b"X-Caf\xc3\xa9", b"caf\xe9"),
        (b"Vary", b"Accept"),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers=raw,
            extensions={"reason_phrase": b"Fine \xa7", "http_version": b"HTTP/1.0"},
        )

    [exchange] = send_all([actual()], EngineOptions(), transport=mock(handler))

    assert exchange.response is not None
    assert exchange.response.headers[: len(raw)] == (
        ("Access-Control-Allow-Origin", "https://a.test"),
        ("vary", "Origin"),
        ("access-control-allow-origin", "https://b.test"),
        ("X-Caf\xc3\xa9", "café"),
        ("Vary", "Accept"),
    )
    assert exchange.response.reason == "Fine §"
    assert exchange.response.http_version == "HTTP/1.0"


@pytest.mark.parametrize(
    ("size", "cap", "kept", "truncated"),
    [
        pytest.param(0, 100, 0, False, id="empty"),
        pytest.param(10, 100, 10, False, id="under-cap"),
        pytest.param(100, 100, 100, False, id="exactly-cap"),
        pytest.param(101, 100, 100, True, id="one-over"),
        pytest.param(50_000, 1000, 1000, True, id="far-over"),
        pytest.param(10, 0, 0, True, id="cap-zero"),
    ],
)
def test_body_cap_truncation_and_digest(size: int, cap: int, kept: int, truncated: bool) -> None:
    body = bytes(i % 251 for i in range(size))

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    [exchange] = send_all([actual()], EngineOptions(body_cap=cap), transport=mock(handler))

    assert exchange.response is not None
    assert exchange.response.body_bytes == kept
    assert exchange.response.body_truncated is truncated
    assert exchange.response.body_sha256 == hashlib.sha256(body[:kept]).hexdigest()


def test_body_cap_stops_reading_the_stream() -> None:
    pulled: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(100):
            pulled.append(i)
            yield b"z" * 1000

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks())

    [exchange] = send_all([actual()], EngineOptions(body_cap=2500), transport=mock(handler))

    assert exchange.response is not None
    assert exchange.response.body_bytes == 2500
    assert exchange.response.body_truncated
    assert len(pulled) == 3


def test_body_is_raw_bytes_never_decompressed() -> None:
    compressed = gzip.compress(b"A" * 100_000)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=compressed)

    [exchange] = send_all([actual()], EngineOptions(), transport=mock(handler))

    assert exchange.response is not None
    assert exchange.response.body_bytes == len(compressed)
    assert not exchange.response.body_truncated
    assert exchange.response.body_sha256 == hashlib.sha256(compressed).hexdigest()


def test_already_consumed_stream_falls_back_to_what_was_read() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"abc"
        yield b"def"

    async def handler(request: httpx.Request) -> httpx.Response:
        response = httpx.Response(200, content=chunks())
        await response.aread()
        return response

    [exchange] = send_all([actual()], EngineOptions(body_cap=5), transport=mock(handler))

    assert exchange.response is not None
    assert (exchange.response.body_bytes, exchange.response.body_truncated) == (5, True)
    assert exchange.error is None


def test_header_values_outside_latin1_go_out_as_utf8() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    options = EngineOptions(headers=(("X-Team", "café ✓"),))
    [exchange] = send_all([actual()], options, transport=mock(handler))

    assert dict(seen[0].headers.raw)[b"X-Team"] == "café ✓".encode()
    assert dict(exchange.request.headers)["X-Team"] == REDACTED


def test_preread_response_from_respx_is_capped() -> None:
    router = respx.Router()
    router.get(URL).mock(return_value=httpx.Response(200, content=b"0123456789"))

    [exchange] = send_all(
        [actual()], EngineOptions(body_cap=4), transport=mock(router.async_handler)
    )

    assert exchange.response is not None
    assert (exchange.response.body_bytes, exchange.response.body_truncated) == (4, True)
    assert exchange.response.body_sha256 == hashlib.sha256(b"0123").hexdigest()


def test_failure_while_reading_the_body_keeps_the_head() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"part"
        raise httpx.ReadTimeout("timed out")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Access-Control-Allow-Origin": "*"}, content=chunks())

    [exchange] = send_all([actual()], EngineOptions(timeout=3), transport=mock(handler))

    assert exchange.response is not None
    assert ("Access-Control-Allow-Origin", "*") in exchange.response.headers
    assert exchange.response.body_bytes == 4
    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.TIMEOUT
    assert "read timeout" in exchange.error.message
    assert "3 s" in exchange.error.message


# ---- error mapping ---------------------------------------------------------------------------


def caused(outer: BaseException, inner: BaseException) -> BaseException:
    outer.__cause__ = inner
    return outer


def cert_error() -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify")
    error.verify_message = "self-signed certificate"
    return error


ERROR_TABLE = [
    pytest.param(
        caused(
            httpx.ConnectError("[Errno -2] Name or service not known"),
            socket.gaierror(-2, "Name or service not known"),
        ),
        ErrorKind.DNS,
        ("DNS lookup failed for api.test", "Name or service not known"),
        id="dns-gaierror",
    ),
    pytest.param(
        httpx.ConnectError("[Errno -3] Temporary failure in name resolution"),
        ErrorKind.DNS,
        ("DNS lookup failed for api.test",),
        id="dns-text",
    ),
    pytest.param(
        caused(httpx.ConnectError("All connection attempts failed"), ConnectionRefusedError()),
        ErrorKind.CONNECT,
        ("connection refused by api.test:80",),
        id="refused",
    ),
    pytest.param(
        caused(
            httpx.ConnectError("All connection attempts failed"),
            ExceptionGroup("all", [ConnectionRefusedError(), ConnectionRefusedError()]),
        ),
        ErrorKind.CONNECT,
        ("connection refused",),
        id="refused-group",
    ),
    pytest.param(
        caused(
            httpx.ConnectError("[Errno 101] Network is unreachable"),
            OSError(errno.ENETUNREACH, "Network is unreachable"),
        ),
        ErrorKind.CONNECT,
        ("api.test:80 is unreachable: Network is unreachable",),
        id="unreachable",
    ),
    pytest.param(
        httpx.ConnectError("something odd"),
        ErrorKind.CONNECT,
        ("could not connect to api.test:80: something odd",),
        id="connect-other",
    ),
    pytest.param(
        caused(httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]"), cert_error()),
        ErrorKind.TLS,
        ("certificate verify failed", "self-signed certificate", "use --insecure"),
        id="tls-cert-chain",
    ),
    pytest.param(
        cert_error(),
        ErrorKind.TLS,
        ("certificate verify failed", "use --insecure"),
        id="tls-cert-raw",
    ),
    pytest.param(
        httpx.ConnectError(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
            "unable to get local issuer certificate (_ssl.c:1006)"
        ),
        ErrorKind.TLS,
        ("certificate verify failed", "use --insecure"),
        id="tls-cert-text",
    ),
    pytest.param(
        httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)"),
        ErrorKind.TLS,
        ("TLS handshake with api.test:80 failed", "plain HTTP"),
        id="tls-text",
    ),
    pytest.param(
        caused(httpx.ConnectError("handshake"), ssl.SSLError(1, "[SSL] tlsv1 alert")),
        ErrorKind.TLS,
        ("TLS handshake with api.test:80 failed",),
        id="tls-chain",
    ),
    pytest.param(
        httpx.ConnectTimeout("timed out"),
        ErrorKind.TIMEOUT,
        ("connect timeout", "api.test:80", "7 s"),
        id="connect-timeout",
    ),
    pytest.param(
        httpx.ReadTimeout("timed out"),
        ErrorKind.TIMEOUT,
        ("read timeout", "7 s"),
        id="read-timeout",
    ),
    pytest.param(
        httpx.WriteTimeout("timed out"),
        ErrorKind.TIMEOUT,
        ("write timeout", "7 s"),
        id="write-timeout",
    ),
    pytest.param(
        httpx.PoolTimeout("timed out"),
        ErrorKind.TIMEOUT,
        ("pool timeout", "7 s"),
        id="pool-timeout",
    ),
    pytest.param(TimeoutError(), ErrorKind.TIMEOUT, ("request timeout",), id="builtin-timeout"),
    pytest.param(
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        ErrorKind.RESET,
        ("closed or reset the connection", "Server disconnected"),
        id="disconnected",
    ),
    pytest.param(
        caused(httpx.ReadError("[Errno 104] reset"), ConnectionResetError(104, "reset")),
        ErrorKind.RESET,
        ("api.test:80 closed or reset",),
        id="reset",
    ),
    pytest.param(OSError(errno.EPIPE, "pipe"), ErrorKind.RESET, ("closed or reset",), id="epipe"),
    pytest.param(
        httpx.ReadError(""), ErrorKind.RESET, ("connection to api.test:80 broke",), id="read-error"
    ),
    pytest.param(
        httpx.RemoteProtocolError("illegal header line: bytearray(b'\\x00')"),
        ErrorKind.PROTOCOL,
        ("malformed HTTP exchange with api.test:80", "illegal header line"),
        id="protocol",
    ),
    pytest.param(
        httpx.LocalProtocolError("Illegal header name b'a b'"),
        ErrorKind.PROTOCOL,
        ("malformed HTTP exchange",),
        id="local-protocol",
    ),
    pytest.param(
        httpx.RemoteProtocolError("Receive buffer too long"),
        ErrorKind.TOO_LARGE,
        ("response head from api.test:80 is too large",),
        id="too-large",
    ),
    pytest.param(
        httpx.DecodingError("bad gzip"),
        ErrorKind.PROTOCOL,
        ("undecodable response",),
        id="decoding",
    ),
    pytest.param(
        httpx.ProxyError("502 Bad Gateway"),
        ErrorKind.PROXY,
        ("proxy error while reaching api.test:80: 502 Bad Gateway",),
        id="proxy",
    ),
    pytest.param(
        httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'."),
        ErrorKind.OTHER,
        ("UnsupportedProtocol: Request URL has an unsupported protocol",),
        id="unsupported",
    ),
    pytest.param(RuntimeError(), ErrorKind.OTHER, ("RuntimeError: RuntimeError",), id="other"),
]


@pytest.mark.parametrize(("exc", "kind", "fragments"), ERROR_TABLE)
def test_every_failure_becomes_a_scan_error(
    exc: BaseException, kind: ErrorKind, fragments: tuple[str, ...]
) -> None:
    # A plain handler, not respx: respx re-raises with a new __cause__, and the cause chain is
    # exactly what httpx builds (`raise ConnectError(...) from OSError(...)`).
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    [exchange] = send_all([actual()], EngineOptions(timeout=7, retries=0), transport=mock(handler))

    assert exchange.response is None
    assert exchange.error is not None
    assert exchange.error.kind is kind
    for fragment in fragments:
        assert fragment in exchange.error.message
    assert exchange.elapsed_ms > 0


@pytest.mark.parametrize(
    ("effect", "kind"),
    [
        pytest.param(httpx.ConnectTimeout, ErrorKind.TIMEOUT, id="class"),
        pytest.param(httpx.ProxyError("403 Forbidden"), ErrorKind.PROXY, id="instance"),
    ],
)
def test_respx_side_effects_become_scan_errors(effect: Any, kind: ErrorKind) -> None:
    router = respx.Router()
    router.get(URL).mock(side_effect=effect)

    [exchange] = send_all(
        [actual()], EngineOptions(retries=0), transport=mock(router.async_handler)
    )

    assert exchange.error is not None
    assert exchange.error.kind is kind


def test_connect_failure_through_a_proxy_says_so() -> None:
    error = classify_error(
        caused(httpx.ConnectError("x"), ConnectionRefusedError()),
        url="https://api.test/",
        timeout=1,
        proxied=True,
    )
    assert error.message == (
        "connection refused by api.test:443 (through the proxy): nothing is listening there"
    )
    other = classify_error(httpx.ConnectError("x"), url="not a url\x00", timeout=1, proxied=True)
    assert other == ScanError(
        ErrorKind.CONNECT, "could not connect to not a url\x00 through the proxy: x"
    )


def test_malformed_url_is_an_error_not_a_request() -> None:
    calls: list[httpx.Request] = []

    async def scenario() -> tuple[Exchange, int]:
        def handler(request: httpx.Request) -> httpx.Response:
            calls.append(request)
            return httpx.Response(200)

        async with Engine(secret_options(), transport=mock(handler)) as engine:
            exchange = await engine.send(actual("http://\x00bad/"))
            return exchange, engine.requests_sent

    exchange, sent = asyncio.run(scenario())

    assert (sent, calls) == (0, [])
    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.OTHER
    assert "InvalidURL" in exchange.error.message
    assert exchange.elapsed_ms > 0
    assert dict(exchange.request.headers)["Cookie"] == REDACTED
    assert_no_secret([exchange])


# ---- retries ---------------------------------------------------------------------------------


def refused() -> httpx.ConnectError:
    error = httpx.ConnectError("All connection attempts failed")
    error.__cause__ = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    return error


@pytest.mark.parametrize(
    ("failure", "attempts"),
    [
        pytest.param(refused, 3, id="refused-retried"),
        pytest.param(lambda: httpx.ConnectTimeout("t"), 3, id="connect-timeout-retried"),
        pytest.param(lambda: httpx.ReadTimeout("t"), 1, id="read-timeout-not-retried"),
        pytest.param(lambda: httpx.WriteTimeout("t"), 1, id="write-timeout-not-retried"),
        pytest.param(
            lambda: httpx.RemoteProtocolError("Server disconnected without sending a response."),
            1,
            id="reset-not-retried",
        ),
        pytest.param(
            lambda: httpx.ConnectError("[Errno -2] Name or service not known"), 1, id="dns"
        ),
        pytest.param(lambda: httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] x"), 1, id="tls"),
        pytest.param(lambda: httpx.ProxyError("407"), 1, id="proxy"),
        pytest.param(lambda: httpx.Response(503), 1, id="http-503-not-retried"),
    ],
)
def test_only_connect_failures_are_retried(
    failure: Callable[[], Any], attempts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    delays: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(engine_mod, "_sleep", fake_sleep)
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        result = failure()
        if isinstance(result, BaseException):
            raise result
        return result  # type: ignore[no-any-return]

    async def scenario() -> int:
        options = EngineOptions(retries=2, backoff=0.25)
        async with Engine(options, transport=mock(handler)) as engine:
            await engine.send(actual())
            return engine.requests_sent

    sent = asyncio.run(scenario())

    assert len(calls) == attempts
    assert sent == attempts
    assert delays == [0.25, 0.5][: attempts - 1]


def test_retry_recovers_after_a_refused_connect() -> None:
    outcomes: list[Any] = [refused(), httpx.Response(200)]
    router = respx.Router()
    route = router.get(URL).mock(side_effect=outcomes)

    [exchange] = send_all(
        [actual()], EngineOptions(retries=1, backoff=0), transport=mock(router.async_handler)
    )

    assert exchange.response is not None
    assert exchange.response.status == 200
    assert exchange.error is None
    assert route.call_count == 2


def test_backoff_doubles() -> None:
    assert [backoff_delay(0.2, n) for n in (1, 2, 3)] == pytest.approx([0.2, 0.4, 0.8])


# ---- rate limit (token bucket) ---------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_spaces_reservations_without_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(4.0, clock=clock)

    assert [bucket.reserve() for _ in range(3)] == pytest.approx([0.0, 0.25, 0.5])
    clock.now += 10.0  # a long idle spell must not bank more than one token
    assert [bucket.reserve() for _ in range(3)] == pytest.approx([0.0, 0.25, 0.5])
    clock.now += 0.1  # the next slot is at +0.75, 0.65 s from now
    assert bucket.reserve() == pytest.approx(0.65)


def test_token_bucket_acquire_sleeps_for_the_reserved_delay() -> None:
    clock = FakeClock()
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    bucket = TokenBucket(2.0, clock=clock, sleep=fake_sleep)

    async def take(n: int) -> None:
        for _ in range(n):
            await bucket.acquire()

    asyncio.run(take(4))

    assert slept == pytest.approx([0.5, 0.5, 0.5])
    assert clock.now == pytest.approx(101.5)


@pytest.mark.parametrize("rate", [pytest.param(0.0, id="zero"), pytest.param(-1.0, id="negative")])
def test_token_bucket_rejects_non_positive_rate(rate: float) -> None:
    with pytest.raises(ValueError, match="rate must be positive"):
        TokenBucket(rate)


def test_engine_rate_limits_every_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0)

    monkeypatch.setattr(
        engine_mod, "TokenBucket", functools.partial(TokenBucket, clock=clock, sleep=fake_sleep)
    )
    probes = [actual(f"http://api.test/{i}") for i in range(5)]

    send_all(probes, EngineOptions(rate=2.0), transport=mock(lambda r: httpx.Response(200)))

    assert sorted(slept) == pytest.approx([0.5, 1.0, 1.5, 2.0])


# ---- concurrency -----------------------------------------------------------------------------


class GateTransport(httpx.AsyncBaseTransport):
    """Holds every request until released; records in-flight counts overall and per host."""

    def __init__(self, expect: int) -> None:
        self.expect = expect
        self.in_flight = 0
        self.max_in_flight = 0
        self.per_host: dict[str, int] = {}
        self.max_per_host: dict[str, int] = {}
        self.full = asyncio.Event()
        self.release = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        self.in_flight += 1
        self.per_host[host] = self.per_host.get(host, 0) + 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.max_per_host[host] = max(self.max_per_host.get(host, 0), self.per_host[host])
        if self.in_flight >= self.expect:
            self.full.set()
        await self.release.wait()
        self.in_flight -= 1
        self.per_host[host] -= 1
        return httpx.Response(200)


@pytest.mark.parametrize(
    ("hosts", "concurrency", "per_host", "total", "each"),
    [
        pytest.param(["a.test"], 20, 3, 3, 3, id="per-host-cap"),
        pytest.param(["a.test", "b.test", "c.test"], 5, 2, 5, 2, id="global-cap"),
        pytest.param(["a.test", "b.test"], 50, 4, 8, 4, id="per-host-cap-on-each-host"),
    ],
)
def test_in_flight_requests_respect_both_caps(
    hosts: list[str], concurrency: int, per_host: int, total: int, each: int
) -> None:
    probes = [actual(f"http://{host}/{i}") for i in range(12) for host in hosts]

    async def scenario() -> tuple[GateTransport, list[Exchange], int]:
        gate = GateTransport(expect=total)
        options = EngineOptions(concurrency=concurrency, per_host=per_host)
        async with Engine(options, transport=gate) as engine:
            task = asyncio.create_task(engine.send_many(probes))
            await gate.full.wait()
            for _ in range(50):  # let any request that ignores the caps get in
                await asyncio.sleep(0)
            at_peak = gate.in_flight
            gate.release.set()
            exchanges = await task
        return gate, exchanges, at_peak

    gate, exchanges, at_peak = asyncio.run(scenario())

    assert at_peak == total
    assert gate.max_in_flight == total
    assert max(gate.max_per_host.values()) == each
    assert all(e.ok for e in exchanges)


def test_send_many_keeps_input_order_and_tells_the_observer() -> None:
    last_done = asyncio.Event()
    paths = [f"/{i}" for i in range(6)]

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == paths[0]:
            await last_done.wait()  # the first probe finishes last
        if request.url.path == paths[-1]:
            last_done.set()
        return httpx.Response(200, headers={"X-Path": request.url.path})

    class Recorder:
        def __init__(self) -> None:
            self.seen: list[Exchange] = []

        def on_exchange(self, exchange: Exchange) -> None:
            self.seen.append(exchange)

    recorder = Recorder()
    probes = [actual(f"http://api.test{p}") for p in paths]

    exchanges = send_all(probes, EngineOptions(), transport=mock(handler), observer=recorder)

    assert [e.probe for e in exchanges] == probes
    assert [dict(e.response.headers)["X-Path"] for e in exchanges if e.response] == paths
    assert recorder.seen[-1] is exchanges[0]
    assert sorted(map(id, recorder.seen)) == sorted(map(id, exchanges))


def test_send_outside_the_context_manager_is_a_programming_error() -> None:
    engine = Engine(EngineOptions())
    with pytest.raises(RuntimeError, match="outside 'async with"):
        asyncio.run(engine.send(actual()))
    asyncio.run(engine.__aexit__(None, None, None))  # closing an unopened engine is harmless


def test_a_classifier_bug_still_does_not_raise_out_of_send(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("bug")

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("t")

    monkeypatch.setattr(engine_mod, "classify_error", broken)

    [exchange] = send_all([actual()], EngineOptions(), transport=mock(handler))

    assert exchange.error == ScanError(ErrorKind.OTHER, "ReadTimeout (unclassified)")


# ---- options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"concurrency": 0}, "--concurrency must be at least 1", id="concurrency"),
        pytest.param({"per_host": 0}, "--per-host must be at least 1", id="per-host"),
        pytest.param({"timeout": 0}, "--timeout must be a positive", id="timeout"),
        pytest.param({"retries": -1}, "--retries must be 0 or more", id="retries"),
        pytest.param({"backoff": -0.1}, "backoff must be 0 or more", id="backoff"),
        pytest.param({"rate": 0.0}, "--rate must be a positive", id="rate"),
        pytest.param({"body_cap": -1}, "body cap must be 0 or more", id="body-cap"),
        pytest.param({"headers": (("Bad Name", "v"),)}, "-H 'Bad Name'", id="header-name"),
        pytest.param(
            {"headers": (("Authorization", SECRET_TOKEN + "\r\nX: y"),)},
            "-H Authorization: the value contains a line break",
            id="header-value",
        ),
        pytest.param({"cookie": SECRET_COOKIE + "\n"}, "--cookie: the value", id="cookie"),
        pytest.param({"user_agent": "a\x00"}, "user agent", id="user-agent"),
    ],
)
def test_options_reject_bad_values_without_echoing_secrets(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        EngineOptions(**overrides)
    assert message in str(caught.value)
    assert all(secret not in str(caught.value) for secret in SECRETS)


def test_options_repr_hides_secrets_and_proxy() -> None:
    options = secret_options(proxy="http://user:pa55word@proxy.test:3128")
    text = repr(options)
    assert all(secret not in text for secret in SECRETS)
    assert "pa55word" not in text
    assert "concurrency=20" in text


@pytest.mark.parametrize(
    ("overrides", "module", "message"),
    [
        pytest.param({"http2": True}, "h2", "--http2 needs the 'h2' package", id="http2"),
        pytest.param(
            {"proxy": "socks5://127.0.0.1:1"}, "socksio", "SOCKS proxies need", id="socks"
        ),
    ],
)
def test_missing_optional_packages_are_usage_errors(
    overrides: dict[str, Any], module: str, message: str
) -> None:
    async def scenario() -> None:
        async with Engine(EngineOptions(**overrides)):
            pass

    try:
        __import__(module)
    except ImportError:
        with pytest.raises(UsageError, match=message):
            asyncio.run(scenario())
    else:  # installed: the engine must start with it
        asyncio.run(scenario())


def test_unusable_proxy_url_is_a_usage_error_that_hides_the_url() -> None:
    async def scenario() -> None:
        async with Engine(EngineOptions(proxy="ftp://user:pa55word@proxy.test/")):
            pass

    with pytest.raises(UsageError, match="--proxy: not a usable proxy URL") as caught:
        asyncio.run(scenario())
    assert "pa55word" not in str(caught.value)


# ---- live loopback servers -------------------------------------------------------------------


class LabHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status, "Fine Thanks" if status == 200 else None)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        server: LabServer = self.server  # type: ignore[assignment]
        server.hits.append((self.command, self.path))
        server.received.append({k.lower(): v for k, v in self.headers.items()})
        if self.path == "/dup":
            self._send(
                200,
                b"ok",
                [
                    ("Access-Control-Allow-Origin", "https://a.test"),
                    ("access-control-allow-origin", "https://b.test"),
                    ("Vary", "Origin"),
                    ("VARY", "Accept"),
                ],
            )
        elif self.path == "/redirect":
            self._send(302, b"", [("Location", "/elsewhere")])
        elif self.path == "/large":
            self._send(200, b"x" * 2_000_000, [])
        elif self.path == "/set-cookie":
            self._send(200, b"", [("Set-Cookie", "leak=1; Path=/")])
        else:
            self._send(200, b"hello", [])

    do_OPTIONS = do_GET


class LabServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), LabHandler)
        self.hits: list[tuple[str, str]] = []
        self.received: list[dict[str, str]] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client hangs up after its body cap: a broken pipe here is expected

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def lab() -> Iterator[LabServer]:
    server = LabServer()
    with serving(server):
        yield server


@contextmanager
def raw_server(behaviour: Callable[[socket.socket], None]) -> Iterator[int]:
    """A TCP server on loopback that runs ``behaviour`` on each accepted connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.05)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                behaviour(conn)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


def live(path: str, base: str, **options: Any) -> Exchange:
    [exchange] = send_all([actual(base + path)], secret_options(**options))
    return exchange


def test_live_repeated_headers_keep_order_and_case(lab: LabServer) -> None:
    exchange = live("/dup", lab.base)

    assert exchange.response is not None
    headers = exchange.response.headers
    cors = [(k, v) for k, v in headers if k.lower() in {"access-control-allow-origin", "vary"}]
    assert cors == [
        ("Access-Control-Allow-Origin", "https://a.test"),
        ("access-control-allow-origin", "https://b.test"),
        ("Vary", "Origin"),
        ("VARY", "Accept"),
    ]
    assert exchange.response.reason == "Fine Thanks"
    assert exchange.response.http_version == "HTTP/1.1"


def test_live_redirect_is_not_followed(lab: LabServer) -> None:
    exchange = live("/redirect", lab.base)

    assert exchange.response is not None
    assert exchange.response.status == 302
    assert ("Location", "/elsewhere") in exchange.response.headers
    assert lab.hits == [("GET", "/redirect")]


def test_live_large_body_is_capped(lab: LabServer) -> None:
    exchange = live("/large", lab.base, body_cap=1000)

    assert exchange.response is not None
    assert exchange.response.body_bytes == 1000
    assert exchange.response.body_truncated
    assert exchange.response.body_sha256 == hashlib.sha256(b"x" * 1000).hexdigest()


def test_live_headers_on_the_wire(lab: LabServer) -> None:
    probes = [actual(lab.base + "/echo"), preflight(lab.base + "/echo")]

    exchanges = send_all(probes, secret_options(concurrency=1))

    on_wire = dict(zip([method for method, _ in lab.hits], lab.received, strict=True))
    assert on_wire["GET"]["cookie"] == SECRET_COOKIE
    assert on_wire["GET"]["authorization"] == SECRET_TOKEN
    assert on_wire["GET"]["accept-encoding"] == "identity"
    assert on_wire["GET"]["origin"] == ATTACKER.value
    assert "cookie" not in on_wire["OPTIONS"]
    assert "authorization" not in on_wire["OPTIONS"]
    assert on_wire["OPTIONS"]["access-control-request-method"] == "PATCH"
    assert all(e.response is not None and e.response.status == 200 for e in exchanges)
    assert_no_secret(exchanges)


def test_live_set_cookie_does_not_leak(lab: LabServer) -> None:
    async def scenario() -> None:
        async with Engine(EngineOptions()) as engine:
            await engine.send(actual(lab.base + "/set-cookie", credentialed=False))
            await engine.send(actual(lab.base + "/echo", credentialed=False))

    asyncio.run(scenario())

    assert [path for _, path in lab.hits] == ["/set-cookie", "/echo"]
    assert "cookie" not in lab.received[1]


def test_live_closed_port_is_a_connect_error_and_is_retried() -> None:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]  # closed again before the request

    async def scenario() -> tuple[Exchange, int]:
        async with Engine(EngineOptions(retries=2, backoff=0)) as engine:
            exchange = await engine.send(actual(f"http://127.0.0.1:{port}/"))
            return exchange, engine.requests_sent

    exchange, sent = asyncio.run(scenario())

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.CONNECT
    assert f"connection refused by 127.0.0.1:{port}" in exchange.error.message
    assert sent == 3


def test_live_server_closing_without_answer_is_a_reset() -> None:
    def hang_up(conn: socket.socket) -> None:
        conn.recv(65536)

    with raw_server(hang_up) as port:
        exchange = live("/", f"http://127.0.0.1:{port}", retries=3)

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.RESET
    assert "closed or reset the connection" in exchange.error.message


def test_live_garbage_reply_is_a_protocol_error() -> None:
    def garbage(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HELLO THERE\r\n\r\n")

    with raw_server(garbage) as port:
        exchange = live("/", f"http://127.0.0.1:{port}")

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.PROTOCOL


def test_live_silent_server_is_a_read_timeout() -> None:
    release = threading.Event()

    def silent(conn: socket.socket) -> None:
        conn.recv(65536)
        release.wait(10)

    with raw_server(silent) as port:
        try:
            exchange = live("/", f"http://127.0.0.1:{port}", timeout=0.3, retries=3)
        finally:
            release.set()

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.TIMEOUT
    assert (
        exchange.error.message
        == f"read timeout: no response data from 127.0.0.1:{port} within 0.3 s"
    )
    assert 300 <= exchange.elapsed_ms < 5000


def test_live_https_to_a_plain_http_port_is_a_tls_error(lab: LabServer) -> None:
    exchange = live("/echo", lab.base.replace("http://", "https://"))

    assert exchange.error is not None
    assert exchange.error.kind is ErrorKind.TLS
    assert "plain HTTP" in exchange.error.message


@pytest.fixture
def tls_lab() -> Iterator[LabServer]:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = LabServer()
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server):
        yield server


def test_live_untrusted_certificate(tls_lab: LabServer) -> None:
    base = tls_lab.base.replace("http://", "https://")

    refused_exchange = live("/dup", base)
    insecure_exchange = live("/dup", base, insecure=True)

    assert refused_exchange.error is not None
    assert refused_exchange.error.kind is ErrorKind.TLS
    assert "certificate verify failed" in refused_exchange.error.message
    assert refused_exchange.error.message.endswith("use --insecure to skip verification")
    assert insecure_exchange.response is not None
    assert insecure_exchange.response.status == 200


def test_live_proxy_is_used_and_environment_proxies_are_not(
    lab: LabServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = LabServer()
    with serving(proxy):
        # An explicit proxy gets the request in absolute form; no DNS lookup of api.test happens.
        via_proxy = send_all([actual("http://api.test/echo")], EngineOptions(proxy=proxy.base))
        # Environment proxies are ignored without --proxy.
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.base)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        direct = send_all([actual(lab.base + "/echo")], EngineOptions())

    assert via_proxy[0].response is not None
    assert proxy.hits == [("GET", "http://api.test/echo")]
    assert direct[0].response is not None
    assert lab.hits == [("GET", "/echo")]
