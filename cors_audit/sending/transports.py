"""The transports under the engine's one attempt path (``engine.Engine._attempt``).

A transport (`Wire`) turns an `Outgoing` request, whose head the engine has already built, into a
`Prepared` request once per probe (retries reuse it); each ``open()`` sends it and gives the
`Reply` head, whose body the engine reads. A transport never follows a redirect, keeps no
cookie, decodes nothing and adds no header: what the engine recorded is what goes out, and what
came in is what is recorded. Its failures are httpx's exception types, so the engine classifies
every transport's failures the same way (``failures.classify_error``).

* `HttpxWire`: httpx's transport (``httpx.AsyncHTTPTransport`` through ``--proxy`` and with
  ``--http2`` if asked, or one injected by a test: ``httpx.MockTransport``, respx), called
  directly, without httpx's client machinery (URL merging, cookies, auth and redirect hooks).
  Its own pool is wrapped in `FreshConnections`.
* ``fast.AiohttpWire``: aiohttp's connection pool (the default, see ``fast.py``).
* `Fallback`: a transport that wraps two: requests the first cannot carry go to the second, and a
  reply whose head the first's parser refuses (`ReplyRefused`) is sent once more through the
  second, within the same attempt and deadline (counted, and under ``--rate``).

Environment proxies: `httpx_transport` builds httpx's transport with ``trust_env=False`` unless
``--proxy`` is given, and no client ever reads ``HTTP(S)_PROXY``/``ALL_PROXY``, so scan traffic
(with the user's credentials) never goes through a machine nobody chose.

TLS trust: both transports verify with the one context of ``EngineOptions.tls_context``
(``sending/trust.py``): certifi's CAs plus ``SSL_CERT_FILE``/``SSL_CERT_DIR`` and
``--ca-bundle`` (so an intercepting proxy's or a staging server's internal CA can be trusted
without ``--insecure``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import httpx

from cors_audit.core.errors import UsageError
from cors_audit.sending.options import EngineOptions
from cors_audit.sending.recording import RawHead, ReplyHead


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A request as every transport takes it: the head is final (``recording.request_head``)."""

    method: str
    url: httpx.URL
    text: str
    """The URL as text, for messages."""
    head: RawHead


class Reply(ReplyHead, Protocol):
    """A reply whose head has arrived; the engine reads the body and then closes it."""

    async def read(self) -> bytes:
        """The next body bytes as received (never decoded); ``b""`` at the end."""
        ...

    async def aclose(self) -> None:
        """Release the connection (closed when the body was not read to its end)."""
        ...


class Prepared(Protocol):
    """A request ready to go, once or more (a retry sends it again)."""

    @property
    def resent(self) -> bool:
        """Whether the last ``open()`` sent the request a second time after the server had
        answered the first (`Fallback`): a failure then came after the server was reached."""
        ...

    async def open(self) -> Reply:
        """Send the request; the reply once its head is in. Raises httpx's exceptions."""
        ...


class Wire(Protocol):
    """A transport."""

    def prepare(self, request: Outgoing) -> Prepared:
        """The request in this transport's terms (built once per probe)."""
        ...

    async def aclose(self) -> None:
        """Close every connection."""
        ...


class SelectiveWire(Wire, Protocol):
    """A transport that cannot carry every request."""

    def accepts(self, request: Outgoing) -> bool:
        """Whether this transport can send ``request`` exactly as its head says."""
        ...


class ReplyRefused(httpx.RemoteProtocolError):
    """The transport's parser refused the reply's head; another parser may still read it."""


# ---- httpx --------------------------------------------------------------------------------------


def httpx_transport(
    options: EngineOptions, injected: httpx.AsyncBaseTransport | None
) -> httpx.AsyncBaseTransport:
    """``injected``, else httpx's own transport (through ``--proxy``, if any) wrapped so that it
    never reuses a connection holding unread bytes. Raises ``UsageError`` for a missing optional
    package or an unusable proxy URL (never quoting the URL: it may hold a password)."""
    if injected is not None:
        return injected
    o = options
    if o.http2 and importlib.util.find_spec("h2") is None:
        raise UsageError("--http2 needs the 'h2' package (pip install 'httpx[http2]')")
    trust_env = o.proxy is not None  # see the module docstring
    try:
        return FreshConnections(
            httpx.AsyncHTTPTransport(
                verify=o.tls_context(),
                http2=o.http2,
                trust_env=trust_env,
                limits=httpx.Limits(
                    max_connections=o.concurrency, max_keepalive_connections=o.concurrency
                ),
                proxy=o.proxy,
            )
        )
    except ImportError as exc:
        if "socksio" in str(exc):
            raise UsageError(
                "--proxy: SOCKS proxies need the 'socksio' package (pip install 'httpx[socks]')"
            ) from None
        raise
    except (ValueError, httpx.InvalidURL):
        raise UsageError(
            "--proxy: not a usable proxy URL (expected http://, https:// or socks5:// and a host)"
        ) from None


class HttpxWire:
    """Sends through an httpx transport (``handle_async_request``), with the per-phase timeouts
    of ``timeout`` seconds (connect, read, write, pool) that httpx's client would set."""

    def __init__(self, transport: httpx.AsyncBaseTransport, timeout: float) -> None:
        self._transport = transport
        self._timeout = httpx.Timeout(timeout).as_dict()

    def prepare(self, request: Outgoing) -> _HttpxRequest:
        """An ``httpx.Request`` with exactly ``request.head`` (httpx adds nothing to a head that
        has ``Host`` and, for a method with a body, ``Content-Length``)."""
        built = httpx.Request(
            request.method,
            request.url,
            headers=request.head,
            extensions={"timeout": self._timeout},
        )
        return _HttpxRequest(self._transport, built)

    async def aclose(self) -> None:
        """Close the transport's pool."""
        await self._transport.aclose()


class _HttpxRequest:
    __slots__ = ("_request", "_transport")
    resent = False

    def __init__(self, transport: httpx.AsyncBaseTransport, request: httpx.Request) -> None:
        self._transport = transport
        self._request = request

    async def open(self) -> _HttpxReply:
        response = await self._transport.handle_async_request(self._request)
        stream = response.stream
        if not isinstance(stream, httpx.AsyncByteStream):
            if isinstance(stream, httpx.SyncByteStream):
                stream.close()
            raise RuntimeError("the transport returned a response without an async stream")
        return _HttpxReply(response, stream)


class _HttpxReply:
    __slots__ = ("_chunks", "_done", "_response", "_stream", "raw_headers")

    def __init__(self, response: httpx.Response, stream: httpx.AsyncByteStream) -> None:
        self._response = response
        self._stream = stream
        self._chunks: AsyncIterator[bytes] = aiter(stream)
        self._done = False
        self.raw_headers: Sequence[tuple[bytes, bytes]] = response.headers.raw

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def reason(self) -> str:
        reason = self._response.extensions.get("reason_phrase", b"")
        return reason.decode("latin-1") if isinstance(reason, bytes) else ""

    @property
    def http_version(self) -> str:
        return self._response.http_version

    async def read(self) -> bytes:
        """The raw stream, not ``aiter_raw()``: responses built in memory (mock transports)
        arrive already read, and only their stream still holds the bytes as they were sent
        (``content`` would be decompressed)."""
        while not self._done:
            try:
                chunk = await anext(self._chunks)
            except StopAsyncIteration:
                break
            except httpx.StreamConsumed:
                # A one-shot stream some transport (respx) has already read: all that is left.
                self._done = True
                return self._response.content
            if chunk:
                return chunk
        self._done = True
        return b""

    async def aclose(self) -> None:
        close = getattr(self._chunks, "aclose", None)
        try:
            if close is not None:
                await close()
        finally:
            await self._stream.aclose()


class FreshConnections(httpx.AsyncBaseTransport):
    """httpx's transport, except that it never reuses a connection holding bytes its last reply
    did not account for: h11 keeps bytes read past the end of a reply (more bytes in the same
    write, a body after a HEAD reply) and parses them as the reply to the connection's next
    request. Before each request every idle pooled connection with such bytes is closed.
    (httpcore itself closes an idle connection whose socket is readable, so a reply pushed
    onto an idle connection is not reused either.)

    Checked before a request enters the pool: a request that had to queue for a connection
    would be handed one as another reply closes, unchecked, but the engine never has more
    requests in flight than the pool has connections (``concurrency``)."""

    def __init__(self, inner: httpx.AsyncHTTPTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pool = getattr(self._inner, "_pool", None)
        for connection in getattr(pool, "connections", ()):
            if connection.is_idle() and _h11_unread(connection):
                await connection.aclose()
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _h11_unread(connection: object) -> bool:
    """Whether the HTTP/1.1 connection under an httpcore pool connection (directly or through
    a proxy connection) holds received bytes h11 has not parsed yet (or saw the stream end)."""
    for _ in range(4):
        state = getattr(connection, "_h11_state", None)
        if state is not None:
            data, closed = state.trailing_data
            return bool(data) or bool(closed)
        connection = getattr(connection, "_connection", None)
        if connection is None:
            return False
    return False


# ---- composition --------------------------------------------------------------------------------


class Fallback:
    """``primary`` for the requests it accepts, ``secondary`` for the others and, once more, for
    a request whose reply ``primary``'s parser refused (`ReplyRefused`): a second request on
    the wire, announced to ``before_resend`` (the engine counts it and takes a rate token), in
    the same attempt and so within the first one's deadline."""

    def __init__(
        self,
        primary: SelectiveWire,
        secondary: Wire,
        before_resend: Callable[[], Awaitable[None]],
    ) -> None:
        self.primary = primary
        self.secondary = secondary
        self.before_resend = before_resend

    def prepare(self, request: Outgoing) -> Prepared:
        if not self.primary.accepts(request):
            return self.secondary.prepare(request)
        return _Resendable(self, self.primary.prepare(request), request)

    async def aclose(self) -> None:
        try:
            await self.primary.aclose()
        finally:
            await self.secondary.aclose()


class _Resendable:
    __slots__ = ("_fallback", "_first", "_request", "resent")

    def __init__(self, fallback: Fallback, first: Prepared, request: Outgoing) -> None:
        self._fallback = fallback
        self._first = first
        self._request = request
        self.resent = False

    async def open(self) -> Reply:
        self.resent = False
        try:
            return await self._first.open()
        except ReplyRefused:
            pass  # sent again below, outside this handler: the refusal is not the new failure
        fallback = self._fallback
        await fallback.before_resend()
        self.resent = True
        return await fallback.secondary.prepare(self._request).open()
