"""The engine's fast transport (aiohttp, the default) against httpx's own transport.

The engine builds each request head itself (``recording.request_head``, the head
``AsyncClient.build_request`` would build) and both transports send exactly that head; the fast
one reads replies through aiohttp, and a reply aiohttp refuses is sent again through httpx's
transport (``transports.Fallback``). These tests pin that the records are the same either way:
the request head (checked against httpx itself), what reaches the wire, and the exchange
recorded for well-formed and malformed replies, all against loopback servers started here.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from support.head_server import HeadServer

from cors_audit.core.models import ErrorKind, Exchange, OriginClass, Probe, ProbeKind, ProbeOrigin
from cors_audit.sending.engine import REDACTED, Engine, EngineOptions, send_all
from cors_audit.sending.recording import client_headers, request_head

pytest.importorskip("aiohttp", reason="the fast path needs aiohttp")

ORIGIN = ProbeOrigin("https://evil.example", OriginClass.ARBITRARY, "https://evil.example")
SECRET = "s3cr3t-session-token-value"


Server = HeadServer


@pytest.fixture
def serve() -> Iterator[type[Server]]:
    started: list[Server] = []

    class Started(Server):
        def __init__(self, reply: bytes, **kwargs: Any) -> None:
            super().__init__(reply, **kwargs)
            started.append(self)

    yield Started
    for server in started:
        server.close()


def probes(url: str) -> list[Probe]:
    return [
        Probe(ProbeKind.ACTUAL, url, ORIGIN, "GET", "GET", purpose="test"),
        Probe(ProbeKind.ACTUAL, url, ORIGIN, "PATCH", "PATCH", credentialed=True, purpose="test"),
        Probe(
            ProbeKind.PREFLIGHT,
            url,
            ORIGIN,
            "OPTIONS",
            "PUT",
            request_headers=("authorization", "x-custom"),
            purpose="test",
        ),
    ]


def both(probe_list: list[Probe], options: EngineOptions) -> tuple[list[Exchange], list[Exchange]]:
    fast = send_all(probe_list, replace(options, fast_transport=True))
    slow = send_all(probe_list, replace(options, fast_transport=False))
    return fast, slow


def same(exchange: Exchange) -> tuple[object, ...]:
    """An exchange without its timing."""
    return (exchange.probe, exchange.request, exchange.response, exchange.error)


# -- the request head ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        pytest.param("GET", "http://a.example/x", [], id="get"),
        pytest.param("OPTIONS", "https://a.example/x", [(b"Origin", b"https://e")], id="options"),
        pytest.param("POST", "http://a.example:8080/x", [], id="post-gets-content-length"),
        pytest.param("PUT", "http://a.example/x", [], id="put"),
        pytest.param("PATCH", "http://a.example/x", [], id="patch"),
        pytest.param("post", "http://a.example/x", [], id="lowercase-post"),
        pytest.param("DELETE", "http://a.example:80/x", [], id="delete-default-port"),
        pytest.param("GET", "https://a.example:443/x", [], id="https-default-port"),
        pytest.param("GET", "http://[::1]:8000/x", [], id="ipv6"),
        pytest.param("GET", "http://bücher.example/x", [], id="idn"),
        pytest.param(
            "GET",
            "http://a.example/x",
            [(b"accept", b"text/html"), (b"User-Agent", b"other")],
            id="request-header-replaces-client-header",
        ),
        pytest.param("GET", "http://a.example/x", [(b"Host", b"b.example")], id="explicit-host"),
        pytest.param(
            "POST", "http://a.example/x", [(b"Content-Length", b"3")], id="explicit-length"
        ),
        pytest.param(
            "POST", "http://a.example/x", [(b"Transfer-Encoding", b"chunked")], id="chunked"
        ),
        pytest.param(
            "GET",
            "http://a.example/x",
            [(b"X-A", b"1"), (b"x-a", b"2"), (b"Cookie", b"a=\xe9")],
            id="repeated-and-latin-1",
        ),
    ],
)
def test_request_head_is_what_httpx_builds(
    method: str, url: str, headers: list[tuple[bytes, bytes]]
) -> None:
    # The client an engine used to build its requests with: its defaults and merging rules.
    client = httpx.AsyncClient(headers={"User-Agent": "ua/1", "Accept-Encoding": "identity"})
    parsed = httpx.URL(url)
    expected = client.build_request(method, parsed, headers=headers).headers.raw
    head = request_head(client_headers("ua/1"), parsed.netloc, method, headers)
    assert head == expected
    # httpx's transport is handed exactly that head (httpx.Request adds nothing to it).
    assert httpx.Request(method, parsed, headers=head).headers.raw == head


def test_wire_and_records_match_httpx(serve: type[Server]) -> None:
    server = serve(
        b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: https://evil.example\r\n"
        b"X-Odd: caf\xe9\r\nContent-Length: 5\r\n\r\nhello",
        keep_alive=True,
    )
    options = EngineOptions(
        cookie=f"sid={SECRET}", headers=(("X-Team", "café ✓"), ("X-Latin", "Zürich-team"))
    )

    fast, slow = both(probes(server.url()), options)

    assert [same(e) for e in fast] == [same(e) for e in slow]
    assert fast[0].response is not None
    assert fast[0].response.body_bytes == 5
    assert ("X-Odd", "caf\xe9") in fast[0].response.headers
    assert dict(fast[1].request.headers)["Cookie"] == REDACTED
    # Every request reached the server with the same head both ways.
    half = len(server.heads) // 2
    assert half == 3
    assert sorted(server.heads[:half]) == sorted(server.heads[half:])


def test_echoed_secret_is_recorded_as_received(serve: type[Server]) -> None:
    # Replies are judged as received: an echoed secret is redacted only when outputs are
    # written (tests/test_secrets.py), never in the record the rules read.
    server = serve(b"HTTP/1.1 204 No Content\r\n\r\n", keep_alive=True, echo=True)
    options = EngineOptions(cookie=f"sid={SECRET}")

    fast, slow = both(probes(server.url())[1:2], options)

    assert [same(e) for e in fast] == [same(e) for e in slow]
    assert fast[0].response is not None
    assert ("X-Echo-Cookie", f"sid={SECRET}") in fast[0].response.headers
    assert dict(fast[0].request.headers)["Cookie"] == REDACTED


# -- replies aiohttp refuses -----------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(
            b"HTTP/1.1 200 OK\r\nX-Folded: one\r\n two\r\nContent-Length: 0\r\n\r\n",
            id="obs-fold",
        ),
        pytest.param(b"HTTP/1.1 200 OK\nX-A: 1\nContent-Length: 0\n\n", id="bare-lf"),
        pytest.param(b"HTTP/1.1 OK 200\r\nContent-Length: 0\r\n\r\n", id="bad-status-line"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nX-A : 1\r\nContent-Length: 0\r\n\r\n", id="space-before-colon"
        ),
        pytest.param(b"HTTP/1.1 200 \xe9t\xe9\r\nContent-Length: 0\r\n\r\n", id="obs-text-reason"),
        pytest.param(b"HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n", id="control-in-reason"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n", id="nul-in-value"
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            id="conflicting-lengths",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
            id="repeated-length",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
            b"3\r\nabc\r\n0\r\n\r\n",
            id="chunked-and-length",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
            id="bad-chunk-keeps-the-head",
        ),
        pytest.param(b"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\nabc", id="204-body"),
        pytest.param(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n",
            id="informational-first",
        ),
        pytest.param(b"HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nuntil-close", id="body-until-close"),
    ],
)
def test_malformed_replies_are_recorded_as_httpx_records_them(
    serve: type[Server], reply: bytes
) -> None:
    server = serve(reply)
    options = EngineOptions(retries=0, timeout=2)

    fast, slow = both(probes(server.url())[:1], options)

    assert [same(e) for e in fast] == [same(e) for e in slow]


def test_a_body_cut_short_keeps_the_head_either_way(serve: type[Server]) -> None:
    server = serve(b"HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 9\r\n\r\nabc")

    fast, slow = both(probes(server.url())[:1], EngineOptions(retries=0, timeout=2))

    # The wording of the error is each library's own; what was received and the kind match.
    assert fast[0].response == slow[0].response
    assert fast[0].response is not None
    assert fast[0].response.body_bytes == 3
    assert fast[0].error is not None
    assert slow[0].error is not None
    assert fast[0].error.kind is slow[0].error.kind is ErrorKind.RESET


def test_a_refused_reply_is_sent_again_through_httpx(serve: type[Server]) -> None:
    # Two equal Content-Length lines: aiohttp refuses the reply, h11 takes it.
    server = serve(b"HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n")

    async def run() -> tuple[Exchange, int]:
        async with Engine(EngineOptions(retries=0, rate=1000.0)) as engine:
            exchange = await engine.send(probes(server.url())[0])
            return exchange, engine.requests_sent

    exchange, sent = asyncio.run(run())

    assert exchange.error is None
    assert exchange.response is not None
    assert ("X-A", "1") in exchange.response.headers
    assert sent == 2
    assert len(server.heads) == 2


# -- requests the fast path leaves to httpx ---------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        pytest.param("ftp://127.0.0.1/x", ErrorKind.OTHER, id="other-scheme"),
        pytest.param("http://[::1/x", ErrorKind.OTHER, id="malformed-url"),
    ],
)
def test_urls_aiohttp_cannot_take_fail_as_with_httpx(url: str, kind: ErrorKind) -> None:
    probe = [Probe(ProbeKind.ACTUAL, url, ORIGIN, "GET", "GET", purpose="test")]

    fast, slow = both(probe, EngineOptions(retries=0))

    assert [same(e) for e in fast] == [same(e) for e in slow]
    assert fast[0].error is not None
    assert fast[0].error.kind is kind


def test_connect_failure_is_retried_and_classified_like_httpx() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed on exit: nothing listens there
    probe = probes(f"http://127.0.0.1:{port}/x")[:1]

    async def run(fast: bool) -> tuple[Exchange, int]:
        options = EngineOptions(retries=2, backoff=0, fast_transport=fast)
        async with Engine(options) as engine:
            return await engine.send(probe[0]), engine.requests_sent

    (fast, fast_sent), (slow, slow_sent) = asyncio.run(run(True)), asyncio.run(run(False))

    assert (fast.error, fast_sent) == (slow.error, slow_sent)
    assert fast.error is not None
    assert fast.error.kind is ErrorKind.CONNECT
    assert fast_sent == 3


def test_truncated_body_and_cap(serve: type[Server]) -> None:
    server = serve(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", keep_alive=True)

    fast, slow = both(probes(server.url())[:1], EngineOptions(body_cap=4))

    assert [same(e) for e in fast] == [same(e) for e in slow]
    assert fast[0].response is not None
    assert (fast[0].response.body_bytes, fast[0].response.body_truncated) == (4, True)


# -- hostile replies, both ways ------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "trickle_from", "kind", "needle"),
    [
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            5,
            ErrorKind.TIMEOUT,
            "request deadline",
            id="trickled-head",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 40\r\n\r\n" + b"x" * 40,
            42,
            ErrorKind.TIMEOUT,
            "request deadline",
            id="trickled-body-keeps-the-head",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\n" + b"X-A: 1\r\n" * 1001 + b"Content-Length: 0\r\n\r\n",
            None,
            ErrorKind.TOO_LARGE,
            "1002 header lines",
            id="too-many-header-lines",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 20000 + b"\r\nContent-Length: 0\r\n\r\n",
            None,
            None,
            "",
            id="long-header-line-goes-to-h11",
        ),
        pytest.param(
            b"HTTP/1.1 302 Found\r\nLocation: http://[bad\r\nContent-Length: 0\r\n\r\n",
            None,
            None,
            "",
            id="unparsable-location",
        ),
    ],
)
def test_hostile_replies_are_recorded_alike(
    serve: type[Server],
    reply: bytes,
    trickle_from: int | None,
    kind: ErrorKind | None,
    needle: str,
) -> None:
    server = serve(reply, trickle_from=trickle_from)
    options = EngineOptions(retries=0, timeout=5, request_deadline=0.6)

    fast, slow = both(probes(server.url())[:1], options)

    assert [same(e) for e in fast] == [same(e) for e in slow]
    error = fast[0].error
    if kind is None:
        assert error is None
        assert fast[0].response is not None
    else:
        assert error is not None
        assert error.kind is kind
        assert needle in error.message


@pytest.mark.parametrize(
    ("timeout", "kind", "needle"),
    [
        # A byte every 0.2 s restarts a 0.5 s read timeout each time: only the deadline ends it.
        pytest.param(0.5, ErrorKind.TIMEOUT, "request deadline", id="read-timeout-restarted"),
        # A 0.2 s pause after the first bytes is longer than a 0.15 s read timeout.
        pytest.param(0.15, ErrorKind.TIMEOUT, "read timeout", id="read-timeout-after-a-pause"),
    ],
)
def test_the_read_timeout_runs_from_the_last_byte(
    serve: type[Server], timeout: float, kind: ErrorKind, needle: str
) -> None:
    # aiohttp's protocol keeps one timer while it waits (`fast.LazyReadTimeout`): the read
    # timeout must still pass exactly `timeout` after the last byte, as httpx's does.
    server = serve(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", trickle_from=5)
    options = EngineOptions(retries=0, timeout=timeout, request_deadline=1.3)

    fast, slow = both(probes(server.url())[:1], options)

    assert [same(e) for e in fast] == [same(e) for e in slow]
    assert fast[0].error is not None
    assert fast[0].error.kind is kind
    assert needle in fast[0].error.message


def test_every_connection_gets_the_lazy_read_timeout() -> None:
    # The connector makes its protocols through aiohttp's factory attribute: if a new aiohttp
    # stopped using it, this fails (the timeouts would still work, with aiohttp's own timers).
    from cors_audit.sending.fast import AiohttpWire, FreshConnector, LazyReadTimeout

    async def run() -> list[type[Any]]:
        server = HeadServer(b"HTTP/1.1 204 No Content\r\n\r\n", keep_alive=True)
        wire = AiohttpWire(EngineOptions())
        try:
            session = wire.session()
            async with session.get(server.url()) as response:
                await response.read()
            connector = session.connector
            assert isinstance(connector, FreshConnector)
            return [type(protocol) for protocol in connector.served]
        finally:
            await wire.aclose()
            server.close()

    assert asyncio.run(run()) == [LazyReadTimeout]


# -- connection reuse --------------------------------------------------------------------------


def test_an_idle_socket_with_bytes_waiting_is_not_reusable() -> None:
    # Bytes the event loop has not read yet are seen by a zero-timeout poll (the aiohttp
    # connector's check before reusing a pooled connection).
    from cors_audit.sending import fast

    async def run() -> list[bool]:
        ours, theirs = socket.socketpair()
        with theirs:
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_connection(asyncio.Protocol, sock=ours)
            seen = [fast.idle_socket_readable(transport)]
            theirs.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
            seen.append(fast.idle_socket_readable(transport))
            transport.close()
            seen.append(fast.idle_socket_readable(transport))
            return seen

    assert asyncio.run(run()) == [False, True, True]
