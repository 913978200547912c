"""Fixtures of the hostile-server suite: the well-behaved (misconfigured) companion target, a
factory for hostile servers that closes them and checks them at teardown, TLS material.

Every server listens on loopback only. Nothing here starts a server at import time.
"""

from __future__ import annotations

import contextlib
import datetime
import socket
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.hostile_servers import Behaviour, RawServer

from cors_audit.demo.lab import DemoLab


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here runs against real sockets and waits on deadlines: mark it slow."""
    here = __file__.rsplit("/", 1)[0]
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="module")
def lab() -> Iterator[DemoLab]:
    """The demo lab: its ``/reflect-credentials`` endpoint is the normal misconfigured target
    scanned together with every hostile one."""
    with DemoLab() as running:
        yield running
        assert running.errors == ()


@pytest.fixture
def hostile() -> Iterator[Callable[..., RawServer]]:
    """Start a `RawServer` with a behaviour; every one is closed and checked at teardown."""
    started: list[RawServer] = []

    def start(behaviour: Behaviour, **kwargs: Any) -> RawServer:
        server = RawServer(behaviour, **kwargs).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
    for server in started:
        assert server.errors == [], server.errors[0]


@pytest.fixture(scope="module")
def ca() -> Any:
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


def server_context(ca: Any, **issue: Any) -> ssl.SSLContext:
    """A server TLS context with a certificate for 127.0.0.1 issued by ``ca``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", **issue).configure_cert(context)
    return context


@pytest.fixture(scope="module")
def tls_context(ca: Any) -> ssl.SSLContext:
    """A valid certificate from a CA the scanner does not know (self-signed as far as it sees)."""
    return server_context(ca)


@pytest.fixture(scope="module")
def expired_tls_context(ca: Any) -> ssl.SSLContext:
    """A certificate that expired yesterday."""
    now = datetime.datetime.now(datetime.UTC)
    return server_context(
        ca,
        not_before=now - datetime.timedelta(days=30),
        not_after=now - datetime.timedelta(days=1),
    )


@pytest.fixture(scope="module")
def client_trusting(ca: Any) -> ssl.SSLContext:
    """A client context that trusts ``ca`` (so an expired certificate fails for expiry)."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture(scope="session")
def ipv6_loopback() -> None:
    """Skip when this machine has no IPv6 loopback."""
    if not socket.has_ipv6:
        pytest.skip("Python was built without IPv6")
    with contextlib.ExitStack() as stack:
        try:
            sock = stack.enter_context(socket.socket(socket.AF_INET6, socket.SOCK_STREAM))
            sock.bind(("::1", 0))
        except OSError as error:
            pytest.skip(f"no IPv6 loopback here: {error}")
