"""Hostile loopback servers for the robustness suite (imported by name from tests/hostile).

`RawServer` listens on 127.0.0.1 (or ``::1``) port 0 and runs a behaviour on every accepted
connection in its own thread, writing raw bytes so it can break HTTP in ways no framework will:
trickling, oversized heads, malformed status lines, resets, endless bodies, plain HTTP on a TLS
port. Optional TLS wraps each accepted socket with a given server context.

Servers here must never talk to anything but the client that connected to them, must stop by
themselves when the test ends (``close()``) and must not leave a thread blocked for long.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import ssl
import struct
import threading
import traceback
from collections.abc import Callable, Iterator
from types import TracebackType

Behaviour = Callable[[socket.socket, threading.Event], None]
"""What a server does with one accepted connection; it returns early once the event is set."""

HEAD_LIMIT = 65536
"""Most request-head bytes a behaviour reads."""


class RawServer:
    """A threaded TCP server on loopback port 0 running ``behaviour`` per connection."""

    def __init__(
        self, behaviour: Behaviour, *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
    ) -> None:
        self._behaviour = behaviour
        self._tls = tls
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.bind((host, 0))
        self._listener.listen(64)
        self._listener.settimeout(0.05)
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, name="hostile-accept", daemon=True)

    def __enter__(self) -> RawServer:
        self._acceptor.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def url(self, path: str = "/api", scheme: str | None = None) -> str:
        scheme = scheme or ("https" if self._tls is not None else "http")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # the listener was closed
            conn.settimeout(10.0)  # a behaviour blocked on a silent client ends by itself
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self.connections += 1
                self._open.add(conn)
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        raw = conn
        try:
            if self._tls is not None:
                conn = self._tls.wrap_socket(conn, server_side=True)
            self._behaviour(conn, self.stop)
        except OSError:  # includes ssl.SSLError: the client hung up or refused our certificate
            pass
        except Exception:  # a bug in a behaviour: kept for the test to fail on
            with self._lock:
                self.errors.append(traceback.format_exc())
        finally:
            with self._lock:
                self._open.discard(raw)
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        """Stop accepting, wake every behaviour, close every connection, join the threads."""
        self.stop.set()
        self._listener.close()
        if self._acceptor.is_alive():
            self._acceptor.join()
        with self._lock:
            connections = list(self._open)
            threads = list(self._threads)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(timeout=5)


# -- request side ----------------------------------------------------------------------------


def read_head(conn: socket.socket) -> bytes | None:
    """The request head (up to the blank line), or ``None`` when the client sent nothing."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < HEAD_LIMIT:
        chunk = conn.recv(4096)
        if not chunk:
            return data or None
        data += chunk
    return data


def request_origin(head: bytes) -> str | None:
    """The ``Origin`` header of a raw request head."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"origin":
            return value.strip().decode("latin-1")
    return None


def request_method(head: bytes) -> str:
    return head.split(b" ", 1)[0].decode("latin-1")


def cors_lines(head: bytes) -> bytes:
    """nginx-style reflection: the request's Origin with credentials (a misconfiguration)."""
    origin = request_origin(head)
    lines = b"Vary: Origin\r\nAccess-Control-Allow-Credentials: true\r\n"
    if origin is not None:
        lines += b"Access-Control-Allow-Origin: " + origin.encode("latin-1") + b"\r\n"
    if request_method(head) == "OPTIONS":
        lines += b"Access-Control-Allow-Methods: GET, POST\r\nAccess-Control-Max-Age: 600\r\n"
    return lines


def reflect_reply(head: bytes, body: bytes = b'{"user":"alice"}') -> bytes:
    """A complete ``Connection: close`` reply reflecting the request's origin."""
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        + cors_lines(head)
        + b"Content-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


# -- behaviours ------------------------------------------------------------------------------


def reflecting(conn: socket.socket, stop: threading.Event) -> None:
    """A well-formed (misconfigured) server: reflects the Origin with credentials."""
    head = read_head(conn)
    if head is not None:
        conn.sendall(reflect_reply(head))


def trickle_head(interval: float) -> Behaviour:
    """Send a valid reflecting reply one byte every ``interval`` seconds."""

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        head = read_head(conn)
        if head is None:
            return
        for byte in reflect_reply(head):
            conn.sendall(bytes([byte]))
            if stop.wait(interval):
                return

    return behaviour


def trickle_body(interval: float) -> Behaviour:
    """A complete head at once, then a 1000-byte body one byte every ``interval`` seconds."""

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        head = read_head(conn)
        if head is None:
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\n" + cors_lines(head) + b"Content-Length: 1000\r\n\r\n")
        for _ in range(1000):
            conn.sendall(b"x")
            if stop.wait(interval):
                return

    return behaviour


def huge_header(size: int) -> Behaviour:
    """One header line of ``size`` bytes."""

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        head = read_head(conn)
        if head is None:
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\n" + cors_lines(head) + b"X-Big: ")
        block = b"a" * 65536
        for _ in range(size // len(block)):
            if stop.is_set():
                return
            conn.sendall(block)
        conn.sendall(b"\r\nContent-Length: 0\r\n\r\n")

    return behaviour


def many_headers(count: int) -> Behaviour:
    """``count`` short header lines (together well under h11's 100 KiB head buffer)."""

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        head = read_head(conn)
        if head is None:
            return
        conn.sendall(
            b"HTTP/1.1 200 OK\r\n"
            + cors_lines(head)
            + b"X:1\r\n" * count
            + b"Content-Length: 0\r\nConnection: close\r\n\r\n"
        )

    return behaviour


def replies_with(data: bytes) -> Behaviour:
    """Read the request, send ``data`` verbatim, close."""

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        if read_head(conn) is not None:
            conn.sendall(data)

    return behaviour


def answers_at_once(data: bytes) -> Behaviour:
    """Send ``data`` as soon as the client sends anything (a TLS ClientHello included)."""

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        if conn.recv(4096):
            conn.sendall(data)

    return behaviour


def hang_up(conn: socket.socket, stop: threading.Event) -> None:
    """Read the request and close without a word."""
    read_head(conn)


def reset_mid_response(conn: socket.socket, stop: threading.Event) -> None:
    """A head promising 1000 body bytes, 10 of them, then a TCP reset (SO_LINGER 0)."""
    head = read_head(conn)
    if head is None:
        return
    conn.sendall(
        b"HTTP/1.1 200 OK\r\n" + cors_lines(head) + b"Content-Length: 1000\r\n\r\n" + b"x" * 10
    )
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def endless_chunked(conn: socket.socket, stop: threading.Event) -> None:
    """A chunked body that never ends (until the client hangs up or the test stops)."""
    head = read_head(conn)
    if head is None:
        return
    conn.sendall(b"HTTP/1.1 200 OK\r\n" + cors_lines(head) + b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"1000\r\n" + b"z" * 0x1000 + b"\r\n"
    while not stop.is_set():
        conn.sendall(chunk)


def gzip_bomb(inflated: int) -> bytes:
    """``inflated`` zero bytes, gzip-compressed (about 1000:1)."""
    return gzip.compress(b"\0" * inflated, compresslevel=9, mtime=0)


def serves_gzip(body: bytes) -> Behaviour:
    """A reflecting reply whose body is ``body`` sent as ``Content-Encoding: gzip``."""

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        head = read_head(conn)
        if head is None:
            return
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n"
            + cors_lines(head)
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        view = memoryview(body)
        for start in range(0, len(body), 65536):
            if stop.is_set():
                return
            conn.sendall(view[start : start + 65536])

    return behaviour


def redirects_to(location: Callable[[bytes], str]) -> Behaviour:
    """A 302 to ``location(head)``, with the reflecting CORS lines on the redirect itself."""

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        head = read_head(conn)
        if head is None:
            return
        conn.sendall(
            b"HTTP/1.1 302 Found\r\nLocation: "
            + location(head).encode("latin-1")
            + b"\r\n"
            + cors_lines(head)
            + b"Content-Length: 0\r\nConnection: close\r\n\r\n"
        )

    return behaviour


def request_path(head: bytes) -> str:
    return head.split(b" ", 2)[1].decode("latin-1")


# -- one connection, many requests -------------------------------------------------------------

REPLY_TO = "X-Reply-To"
"""The header a `keep_alive_pairs` server names the request it answers in (``METHOD /path``);
an unsolicited reply says ``unsolicited``."""


def forged_reply(lengths: int = 1) -> bytes:
    """A complete reply no request asked for, granting a forged origin with credentials."""
    return (
        b"HTTP/1.1 200 OK\r\n" + REPLY_TO.encode() + b": unsolicited\r\n"
        b"Access-Control-Allow-Origin: https://forged.example\r\n"
        b"Access-Control-Allow-Credentials: true\r\n" + b"Content-Length: 0\r\n" * lengths + b"\r\n"
    )


def keep_alive_pairs(extra: str, *, lengths: int = 1) -> Behaviour:
    """Answer every request on a keep-alive connection honestly, plus bytes nobody asked for.

    Honestly: a path starting with ``/reflect`` reflects the Origin with credentials, any other
    path has no CORS header; every reply names the request it answers in `REPLY_TO`. ``extra``:
    ``"idle"`` pushes a `forged_reply` onto the connection once it has been idle for 20 ms
    (the client must leave more than that between its requests, e.g. ``--rate``);
    ``"same-write"`` sends a `forged_reply` in the same write as every reply; ``"head-body"``
    gives the replies a body that is a `forged_reply`, sent even in reply to HEAD. ``lengths``
    repeats every ``Content-Length`` line (two equal ones make aiohttp refuse a reply).
    """

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        buffer = b""
        while not stop.is_set():
            while b"\r\n\r\n" not in buffer:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            buffer = buffer[_body_length(head) :]  # the client's (empty) body
            method = request_method(head)
            body = forged_reply(lengths) if extra == "head-body" else b"{}"
            answer = f"{method} {request_path(head)}".encode("latin-1")
            cors = cors_lines(head) if request_path(head).startswith("/reflect") else b""
            reply = (
                b"HTTP/1.1 200 OK\r\n"
                + REPLY_TO.encode()
                + b": "
                + answer
                + b"\r\n"
                + cors
                + f"Content-Length: {len(body)}\r\n".encode() * lengths
                + b"\r\n"
                + body
            )
            if extra == "same-write":
                reply += forged_reply(lengths)
            conn.sendall(reply)
            if extra == "idle" and not buffer:
                conn.settimeout(0.02)
                try:
                    buffer = conn.recv(4096)
                except TimeoutError:
                    conn.sendall(forged_reply(lengths))
                else:
                    if not buffer:
                        return
                finally:
                    conn.settimeout(10.0)

    return behaviour


def _body_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


@contextlib.contextmanager
def serving(behaviour: Behaviour, **kwargs: object) -> Iterator[RawServer]:
    """``with serving(behaviour) as server:`` and the server is closed afterwards."""
    with RawServer(behaviour, **kwargs) as server:  # type: ignore[arg-type]
        yield server


def own_origin_reply(head: bytes) -> bytes:
    """A correct backend's reply: it admits only the server's own origin (``http://`` + Host),
    with credentials; any other origin gets no CORS header at all."""
    host = next(
        (
            line.partition(b":")[2].strip()
            for line in head.split(b"\r\n")[1:]
            if line.partition(b":")[0].strip().lower() == b"host"
        ),
        b"",
    )
    origin = request_origin(head)
    lines = b"Vary: Origin\r\n"
    if origin is not None and origin.encode("latin-1") == b"http://" + host:
        lines += b"Access-Control-Allow-Credentials: true\r\nAccess-Control-Allow-Origin: "
        lines += origin.encode("latin-1") + b"\r\n"
    body = b'{"user":"alice"}'
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        + lines
        + b"Content-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


def round_robin(*backends: Callable[[bytes], bytes]) -> Behaviour:
    """A load balancer handing request ``n`` (in arrival order) to backend ``n % len``; each
    backend turns a request head into a complete ``Connection: close`` reply."""
    lock = threading.Lock()
    count = [0]

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        head = read_head(conn)
        if head is None:
            return
        with lock:
            backend = backends[count[0] % len(backends)]
            count[0] += 1
        conn.sendall(backend(head))

    return behaviour
