"""The fast transport: aiohttp's connection pool under the engine's attempt path (the default).

Why: httpx's own pool costs more CPU per request the more connections it holds
(encode/httpx#3215), and this transport sends the head the engine built (the one httpx would
build, ``recording.request_head``) without any client machinery, so the records are the same
either way (tests/sending/test_engine_fast.py). aiohttp's errors are mapped onto httpx's for
``failures.classify_error``, keeping the original in the exception chain; a reply head aiohttp's
parser refuses (say two ``Content-Length`` lines) raises ``transports.ReplyRefused``, so that
``transports.Fallback`` sends it once more through httpx, whose h11 parser keeps more malformed
replies as evidence and words its refusals the way the rest of the engine expects. aiohttp is
laxer than h11 on a few replies (whitespace before the first header line, a
``Transfer-Encoding`` other than chunked): those are kept as evidence.

Imported only when the engine uses it (aiohttp costs start-up time). It must not follow
redirects, keep cookies, decompress or add headers, and must never reuse a connection that
received bytes while idle (`FreshConnector`).
"""

from __future__ import annotations

import asyncio
import functools
import select
import weakref
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import aiohttp
import httpx
from aiohttp import http_exceptions
from aiohttp.client_proto import ResponseHandler
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from cors_audit.sending.failures import describe, exception_chain
from cors_audit.sending.limits import MAX_HEAD_BYTES, MAX_HEADER_LINE
from cors_audit.sending.options import EngineOptions
from cors_audit.sending.recording import RawHead
from cors_audit.sending.transports import Outgoing, ReplyRefused

if TYPE_CHECKING:
    from aiohttp.client_reqrep import ClientRequest
    from aiohttp.tracing import Trace

SKIPPED_HEADERS: Final = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")
"""Headers aiohttp would add of its own, which it must not: the head is the engine's."""

_NO_AUTO_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
"""Methods to which aiohttp adds no Content-Type (it adds one to PATCH, POST and PUT)."""

_AUTOMATIC: Final = SKIPPED_HEADERS[:3]
"""What aiohttp adds to any request that lacks it."""


class _Head(NamedTuple):
    proxy: CIMultiDictProxy[str]
    complete: bool
    """Every header of `_AUTOMATIC` is there."""


URL_CACHE: Final = 4096
"""Most parsed URLs (and request heads) the transport keeps (cleared when full)."""


class AiohttpWire:
    """Sends requests over one aiohttp session (created lazily, inside the event loop).

    The session keeps no cookies, never decompresses, never follows redirects and adds no
    headers of its own. It accepts as many header lines as fit in h11's `MAX_HEAD_BYTES`, so the
    engine's own count (``MAX_RESPONSE_HEADERS``) still decides, and lines of up to
    `MAX_HEADER_LINE` bytes. The pool holds at most ``concurrency`` busy connections,
    ``per_host`` to one host; idle ones are closed after a few seconds so that a scan of many
    hosts does not keep thousands of sockets open.
    """

    KEEPALIVE_SECONDS: Final = 5.0

    def __init__(self, options: EngineOptions) -> None:
        self._options = options
        self._ssl = options.tls_context()  # the same context as httpx's (``sending/trust.py``)
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, URL] = {}
        self._heads: dict[RawHead, _Head | None] = {}
        """Each head the engine built, in aiohttp's terms (``None``: not ASCII). The engine
        shares one head among the requests that have it, so this is mostly a lookup."""
        self._timeout = aiohttp.ClientTimeout(
            total=None,
            connect=options.timeout,
            sock_connect=options.timeout,
            sock_read=options.timeout,
        )

    def accepts(self, request: Outgoing) -> bool:
        """An http(s) URL with a host and an ASCII head: aiohttp writes header values as UTF-8,
        so a latin-1 byte would change on the way (httpx sends those)."""
        url = request.url
        return (
            bool(url.host)
            and url.scheme in ("http", "https")
            and self._headers(request.head) is not None
        )

    def _headers(self, head: RawHead) -> _Head | None:
        """``head`` as aiohttp takes it, read-only (shared by every request with this head);
        ``None`` when a value is not ASCII."""
        keep = True
        try:
            return self._heads[head]
        except KeyError:
            pass
        except TypeError:  # a head given as a list: converted, not kept
            keep = False
        headers = None
        if all(value.isascii() for _, value in head):
            proxy = CIMultiDictProxy(
                CIMultiDict((k.decode("ascii"), v.decode("ascii")) for k, v in head)
            )
            headers = _Head(proxy, all(name in proxy for name in _AUTOMATIC))
        if keep:
            if len(self._heads) >= URL_CACHE:
                self._heads.clear()
            self._heads[head] = headers
        return headers

    def prepare(self, request: Outgoing) -> _AiohttpRequest:
        """The request in aiohttp's terms; the wire sees exactly what the record shows."""
        headers = self._headers(request.head)
        if headers is None:
            raise ValueError("aiohttp cannot send a header value that is not ASCII")
        text = request.text
        parsed = self._urls.get(text)
        if parsed is None:
            if len(self._urls) >= URL_CACHE:
                self._urls.clear()
            parsed = self._urls[text] = URL(text, encoded=True)
        # aiohttp adds Accept, Accept-Encoding and User-Agent only when absent, and a
        # Content-Type only to a body method: when none of that can happen, the request asks
        # for no skipping (aiohttp then skips building a skip list for every request).
        automatic = not headers.complete or request.method.upper() not in _NO_AUTO_METHODS
        skip = SKIPPED_HEADERS if automatic else None
        return _AiohttpRequest(self, request.method, parsed, headers.proxy, skip)

    def session(self) -> aiohttp.ClientSession:
        """The session, made on first use."""
        if self._session is None:
            o = self._options
            connector = FreshConnector(
                limit=o.concurrency,
                limit_per_host=o.per_host,
                ssl=self._ssl,
                keepalive_timeout=self.KEEPALIVE_SECONDS,
                ttl_dns_cache=60,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),
                max_line_size=MAX_HEADER_LINE,
                max_field_size=MAX_HEADER_LINE,
                max_headers=MAX_HEAD_BYTES // 4,  # "a:" CRLF is the shortest header line
            )
        return self._session

    @property
    def timeout(self) -> aiohttp.ClientTimeout:
        """Per-phase timeouts (connect, and each read), as httpx's transport has them."""
        return self._timeout

    async def aclose(self) -> None:
        """Close the session and its connections."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()


class _AiohttpRequest:
    __slots__ = ("_headers", "_method", "_skip", "_url", "_wire")
    resent = False

    def __init__(
        self,
        wire: AiohttpWire,
        method: str,
        url: URL,
        headers: CIMultiDictProxy[str],
        skip: tuple[str, ...] | None,
    ) -> None:
        self._wire = wire
        self._method = method
        self._url = url
        self._headers = headers
        self._skip = skip

    async def open(self) -> _AiohttpReply:
        failure: httpx.HTTPError
        try:
            response = await self._wire.session().request(
                self._method,
                self._url,
                headers=self._headers,
                skip_auto_headers=self._skip,
                allow_redirects=False,
                timeout=self._wire.timeout,
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            failure = _httpx_error(exc, reading=False)
            if isinstance(exc, aiohttp.ClientResponseError):  # the parser refused the head
                refused = ReplyRefused(str(failure))
                refused.__cause__ = failure.__cause__
                failure = refused
        else:
            return _AiohttpReply(response)
        raise failure  # outside the handler: see `_httpx_error`


class _AiohttpReply:
    __slots__ = ("_content", "_response", "raw_headers", "status")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self._content = response.content
        self.status = response.status
        self.raw_headers = response.raw_headers

    @property
    def reason(self) -> str:
        # aiohttp decodes the reason as UTF-8 with surrogate escapes: back to the bytes
        # received, shown as latin-1 like every other received byte.
        reason = self._response.reason or ""
        return reason.encode("utf-8", "surrogateescape").decode("latin-1")

    @property
    def http_version(self) -> str:
        version = self._response.version
        return f"HTTP/{version.major}.{version.minor}" if version is not None else "HTTP/1.1"

    async def read(self) -> bytes:
        content = self._content
        if content.at_eof():
            return b""
        failure: httpx.HTTPError
        try:
            return await content.readany()
        except (aiohttp.ClientError, TimeoutError) as exc:
            failure = _httpx_error(exc, reading=True)
        raise failure  # outside the handler: see `_httpx_error`

    async def aclose(self) -> None:
        """Give the connection back, or close it: a body left unread (the cap, a deadline)
        takes its connection with it, since it cannot be reused with bytes still in flight."""
        response = self._response
        if self._content.at_eof():
            response.release()
        else:
            response.close()


class LazyReadTimeout(ResponseHandler):
    """aiohttp's protocol, whose read timeout (``sock_read``) keeps one timer while it waits.

    aiohttp restarts the read timeout on every chunk received by cancelling its timer and
    making another; a reply in two reads cost two timers, with each request's attempt deadline
    and the target's clock beside them in the loop's heap. Here a chunk only moves the due time
    forward, and the timer, when it fires, waits again for what is left if bytes came since. The
    read timeout fires at the same moment (``timeout`` after the last byte) with the same error
    (aiohttp's own `_on_read_timeout`); everything else is aiohttp's.
    """

    _read_due = 0.0
    """When the read timeout passes: ``timeout`` after the last restart."""
    _armed_due = 0.0
    """The due time the timer was set for."""

    def _reschedule_timeout(self) -> None:
        timeout = self._read_timeout
        if not timeout:
            self._drop_timeout()
            return
        self._read_due = self._loop.time() + timeout
        if self._read_timeout_handle is None:
            self._armed_due = self._read_due
            self._read_timeout_handle = self._loop.call_at(self._read_due, self._on_read_due)

    def _on_read_due(self) -> None:
        if self._read_due != self._armed_due:  # bytes came since: wait for what is left
            self._armed_due = self._read_due
            self._read_timeout_handle = self._loop.call_at(self._read_due, self._on_read_due)
            return
        self._read_timeout_handle = None  # a later restart sets a new timer, as aiohttp's does
        self._on_read_timeout()


class FreshConnector(aiohttp.TCPConnector):
    """aiohttp's connector, except that it never reuses a connection that received bytes while
    idle in the pool: an unsolicited reply would be handed to the next request as its own (a
    complete one waits in the protocol's queue, later ones in the socket). Such a connection is
    closed and another one taken, as Chromium does (it checks an idle socket is not readable
    before reusing it). A connection first used is taken as it is. Extra bytes that came with a
    reply (after its body, or a body after a HEAD reply) already keep aiohttp from pooling the
    connection, and a partial message left in the parser is dropped with the parser when the
    next request starts (aiohttp makes a new one per request)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The protocol every new connection gets (aiohttp makes it with this factory).
        protocol: type[ResponseHandler] = LazyReadTimeout
        self._factory = functools.partial(protocol, loop=self._loop)
        self.served: weakref.WeakSet[ResponseHandler] = weakref.WeakSet()
        """Every connection handed out once: any later hand-out is a reuse."""

    async def connect(
        self,
        req: ClientRequest,
        traces: list[Trace],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 - aiohttp's signature
    ) -> aiohttp.connector.Connection:
        while True:
            connection = await super().connect(req, traces, timeout)
            protocol = connection.protocol
            if protocol is None:
                return connection
            if protocol not in self.served:
                self.served.add(protocol)
                return connection
            if not (protocol.should_close or idle_socket_readable(protocol.transport)):
                return connection
            connection.close()


def idle_socket_readable(transport: asyncio.BaseTransport | None) -> bool:
    """Whether an idle connection's socket has bytes (or an end of stream) waiting to be read:
    a zero-timeout poll, no read. A transport already closing counts as readable (not
    reusable); one without a socket cannot be asked and does not."""
    if transport is None or transport.is_closing():
        return True
    sock = transport.get_extra_info("socket")
    if sock is None:
        return False
    fd = sock.fileno()
    if fd < 0:
        return True
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])  # pragma: no cover - Windows


def _httpx_error(exc: BaseException, reading: bool) -> httpx.HTTPError:
    """aiohttp's exception as the httpx one ``classify_error`` knows, caused by the exception
    that says what happened (the OS or SSL error under a connect failure, else aiohttp's own).

    The caller raises it outside its ``except`` block: aiohttp's wrapper must not become the
    implicit context, whose text ("ssl:default") would mislead the classifier.
    """
    cause: BaseException = exc
    text = describe(exc)
    error: httpx.HTTPError
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        cause = exc.certificate_error
        error = httpx.ConnectError(describe(cause))
    elif isinstance(exc, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        error = httpx.ProxyError(text)
    elif isinstance(exc, aiohttp.ClientConnectorError):
        cause = exc.os_error
        error = httpx.ConnectError(describe(cause))
    elif isinstance(exc, aiohttp.ConnectionTimeoutError):
        error = httpx.ConnectTimeout(text)
    elif isinstance(exc, aiohttp.ServerTimeoutError):
        error = httpx.ReadTimeout(text)
    elif isinstance(exc, TimeoutError):
        error = (httpx.ReadTimeout if reading else httpx.ConnectTimeout)(text)
    elif any(isinstance(e, http_exceptions.LineTooLong) for e in exception_chain(exc)):
        error = httpx.RemoteProtocolError(f"a response header line is too long: {text}")
    elif isinstance(exc, aiohttp.ServerDisconnectedError):
        error = httpx.RemoteProtocolError(
            f"Server disconnected without a complete response ({text})"
        )
    elif isinstance(exc, aiohttp.ClientPayloadError):
        error = httpx.RemoteProtocolError(f"peer closed connection mid-body ({text})")
    elif isinstance(exc, aiohttp.ClientResponseError):  # the parser refused the reply
        error = httpx.RemoteProtocolError(exc.message or text)
    elif isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        error = httpx.UnsupportedProtocol(text)
    elif isinstance(exc, aiohttp.ClientOSError):
        error = (httpx.ReadError if reading else httpx.ConnectError)(text)
    else:
        error = httpx.NetworkError(text)
    error.__cause__ = cause
    return error
