"""The demo lab: a deliberately misconfigured CORS server on loopback.

``cors-audit demo`` starts it and scans it; the test-suite uses it as a realistic live target
(and, through the pure `respond`, as a respx side effect). What it serves is the behaviour table
of ``endpoints.py`` (its policy in ``policy.py``, its handlers built with ``handlers.py``); this
module is the server: it writes exactly the header list a handler returns and only adds
``Content-Length``. Standard library only. It must never listen on anything but loopback, and it
knows nothing of probes or the browser model.

The table's names are re-exported here, so ``from cors_audit.demo.lab import ...`` gives the
whole lab.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import socketserver
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TextIO
from urllib.parse import urlsplit

from cors_audit.core.errors import UsageError
from cors_audit.demo.endpoints import DASHBOARD_ORIGIN, ENDPOINTS, respond
from cors_audit.demo.handlers import Endpoint, Reply, RequestView, not_found
from cors_audit.demo.policy import DEMO_POLICY_TOML, DEMO_SITE_ORIGIN, TRUSTED_ORIGINS

__all__ = [
    "DASHBOARD_ORIGIN",
    "DEMO_POLICY_TOML",
    "DEMO_SITE_ORIGIN",
    "ENDPOINTS",
    "TRUSTED_ORIGINS",
    "DemoLab",
    "Endpoint",
    "Reply",
    "RequestView",
    "not_found",
    "respond",
    "serve_forever",
]

_MAX_BODY = 1 << 20
"""Request bodies above this are refused (413): the lab only drains bodies, never reads them."""


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
