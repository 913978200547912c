"""What the engine builds once and shares (issue 18, "nearer the wire"): request heads and their
records, by what they are made of, and the aiohttp form of each head. Sharing must not change
a byte on the wire or in a record: every method's head reaches the server as httpx sends it,
and a credentialed probe never shares the record of an anonymous one."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from support.head_server import HeadServer

from cors_audit.core.models import OriginClass, Probe, ProbeKind, ProbeOrigin
from cors_audit.sending.engine import REDACTED, Engine, EngineOptions, send_all

pytest.importorskip("aiohttp", reason="the fast path needs aiohttp")

ORIGIN = ProbeOrigin("https://evil.example", OriginClass.ARBITRARY, "https://evil.example")
SECRET = "s3cr3t-session-token-value"
METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "post")
"""Methods aiohttp and httpx send alike. (aiohttp adds ``Content-Length: 0`` to a DELETE or an
unknown method without a body, which httpx does not: a difference older than the shared heads,
left out here.)"""


def Server() -> HeadServer:
    """A keep-alive server answering every request with an empty 200 (no body, so a HEAD reply
    is well formed too)."""
    return HeadServer(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", keep_alive=True)


def test_every_method_reaches_the_wire_as_httpx_sends_it() -> None:
    # ASCII heads only, so that aiohttp carries them all (a body method included: aiohttp must
    # add no Content-Type, and no Accept or User-Agent of its own to any request).
    server = Server()
    try:
        probes = [
            Probe(ProbeKind.ACTUAL, server.url(), ORIGIN, method, method, purpose="test")
            for method in METHODS
        ]
        options = EngineOptions(concurrency=1)
        fast = send_all(probes, replace(options, fast_transport=True))
        slow = send_all(probes, replace(options, fast_transport=False))
    finally:
        server.close()
    assert all(e.error is None for e in fast + slow)
    assert [e.request for e in fast] == [e.request for e in slow]
    half = len(server.heads) // 2
    assert half == len(METHODS)
    assert server.heads[:half] == server.heads[half:]
    assert not any(b"content-type" in head.lower() for head in server.heads)


def test_a_shared_head_keeps_each_probe_its_own_record() -> None:
    # The same probe twice shares one record; its credentialed twin has the secret redacted
    # and the preflight never carries it (one engine, one head cache).
    server = Server()
    url = server.url()
    anonymous = Probe(ProbeKind.ACTUAL, url, ORIGIN, "GET", "GET", purpose="test")
    credentialed = replace(anonymous, credentialed=True)
    preflight = Probe(
        ProbeKind.PREFLIGHT,
        url,
        ORIGIN,
        "OPTIONS",
        "GET",
        credentialed=True,
        purpose="test",
    )

    async def scenario() -> list[list[tuple[str, str]]]:
        async with Engine(EngineOptions(cookie=f"sid={SECRET}", concurrency=1)) as engine:
            sent = [
                await engine.send(p)
                for p in (anonymous, credentialed, anonymous, credentialed, preflight)
            ]
        return [list(e.request.headers) for e in sent]

    try:
        records = asyncio.run(scenario())
    finally:
        server.close()
    assert records[0] == records[2]
    assert records[1] == records[3]
    assert ("Cookie", REDACTED) in records[1]
    assert all(name != "Cookie" for name, _ in records[0] + records[4])
    assert all(SECRET not in value for record in records for _, value in record)
    cookies = [head for head in server.heads if b"cookie:" in head.lower()]
    assert len(cookies) == 2
    assert all(SECRET.encode() in head for head in cookies)
