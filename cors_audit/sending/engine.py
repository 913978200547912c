"""The sender: turns planned probes into recorded exchanges, over HTTP with httpx and aiohttp.

This is the one stage that touches the network and the only module that imports httpx (or
aiohttp). It sends
each ``Probe`` exactly as planned, under a global and a per-host concurrency cap and an optional
rate limit, and records what went out and what came back as ``Exchange`` data.

It must not judge responses (the browser model and the rules do), must not follow redirects (a
3xx and its ``Location`` are evidence), must not carry cookies from one response into another
request, must never put the user's credentials on a preflight (BROWSER-MODEL.md §3.2) and must never
record their values on the request side (they are replaced by ``<redacted>``). Replies are
recorded exactly as received, also when a server echoes a secret back: the rules must judge
what the server said (a ``-H 'X-Debug: true'`` must not turn ``Access-Control-Allow-Credentials:
true`` into something else), so echoed secrets are redacted only when outputs are written
(``core/redaction.py``). It never raises on a network failure: every failure becomes a ``ScanError``
on the exchange.

Hostile servers: every attempt has an overall deadline (``request_deadline``) on top of httpx's
per-phase timeouts, whose read timeout restarts with every byte, so a server trickling its reply
cannot hold a request open for ever. The body is read raw (``Accept-Encoding: identity``, no
decoding) and never past ``body_cap``, so a gzip bomb is never inflated. A response head over
h11's 100 KiB buffer or with more than `MAX_RESPONSE_HEADERS` lines is a ``too-large`` error.

Transport: without ``--proxy``, ``--http2`` or an injected transport, requests go over
aiohttp's connection pool (`_AiohttpSender`) when aiohttp is installed (``fast_transport``, on
by default): httpx's own pool costs more CPU per request the more connections it holds
(encode/httpx#3215), and httpx's client machinery (URL merging, cookies, auth and redirect
hooks) cost about a third of the scan's CPU time per request (tests/benchmarks/). The engine
builds the request head exactly as ``AsyncClient.build_request`` would (`_request_head`, pinned
against httpx by tests/test_engine_fast.py), so the records are the same, and maps aiohttp's
errors onto httpx's for `classify_error`, keeping the original in the exception chain. A reply
aiohttp's parser refuses (say two ``Content-Length`` lines) is sent once more through httpx's
default transport, whose h11 parser keeps more malformed replies as evidence and words its
refusals the way the rest of the engine expects. aiohttp is laxer than h11 on a few replies
(whitespace before the first header line, a ``Transfer-Encoding`` other than chunked): those
are kept as evidence. A proxy, HTTP/2 or an injected transport (``httpx.MockTransport``, respx)
uses httpx for everything.

Environment proxies: the client is built with ``trust_env=False`` unless ``--proxy`` is given, so
``HTTP(S)_PROXY``/``ALL_PROXY`` in the environment can never silently send scan traffic (with
the user's credentials) through a machine nobody chose. With an explicit proxy httpx ignores
the environment's proxy variables anyway; ``trust_env`` is then on only so that
``SSL_CERT_FILE``/``SSL_CERT_DIR`` can name an intercepting proxy's CA.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import re
import select
import socket
import ssl
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Protocol, Self, cast
from urllib.request import Request as UrllibRequest

import httpx

from cors_audit import __version__
from cors_audit.core.errors import UsageError
from cors_audit.core.models import (
    ErrorKind,
    Exchange,
    Headers,
    Probe,
    RequestRecord,
    ResponseRecord,
    ScanError,
)

if TYPE_CHECKING:
    import aiohttp
    import yarl
    from aiohttp.client_proto import ResponseHandler
    from aiohttp.client_reqrep import ClientRequest
    from aiohttp.tracing import Trace
    from multidict import CIMultiDict

Transport = httpx.AsyncBaseTransport
"""The transport type tests may inject (``httpx.MockTransport``, respx); re-exported so no other
module needs to import httpx."""

REDACTED = "<redacted>"
"""What the request record shows instead of the value of a user ``-H`` header or the cookie."""

DEFAULT_USER_AGENT = f"cors-audit/{__version__}"

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
"""An RFC 9110 field name (``token``)."""

_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
"""The retry backoff's sleep; a module attribute so tests can record the delays."""

MAX_RESPONSE_HEADERS: Final = 1000
"""Most header lines a response may have. Beyond it the response is a ``too-large`` error: no
real CORS reply needs that many, and every line is kept in every report."""

MAX_HEAD_BYTES: Final = 100 * 1024
"""The response-head size at which h11 (httpx's HTTP/1.1 parser, as set by httpcore) gives up;
named in the ``too-large`` message."""

MAX_HEADER_LINE: Final = 16 * 1024
"""Longest response header line the aiohttp sender accepts (h11 only limits the whole head;
aiohttp only single lines and their number, see `_AiohttpSender`); a longer one is refused by
aiohttp and the request goes again through h11."""

DEADLINE_FACTOR: Final = 3
"""``request_deadline`` defaults to this many times ``timeout``: connect, send and wait."""


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """How the engine sends. ``headers``, ``cookie`` and ``proxy`` are kept out of ``repr``
    because they can hold secrets."""

    concurrency: int = 20
    """Most requests in flight at once, over all hosts."""
    per_host: int = 6
    """Most requests in flight at once to one (scheme, host, port)."""
    timeout: float = 10.0
    """Seconds, for each of connect, read, write and waiting for a pooled connection."""
    retries: int = 1
    """Extra attempts after a connect failure (refused, unreachable, connect timeout) — never
    after the request may have reached the server, never on an HTTP status."""
    backoff: float = 0.2
    """Seconds before the first retry; doubled for each further retry."""
    rate: float | None = None
    """Requests per second over the whole scan (``None``: no limit)."""
    proxy: str | None = field(default=None, repr=False)
    """Proxy URL for all requests (``http://``, ``https://``, ``socks5://``)."""
    insecure: bool = False
    """Skip TLS certificate verification."""
    body_cap: int = 65536
    """Most response-body bytes ever read; reading stops there and the body is marked truncated."""
    headers: Headers = field(default=(), repr=False)
    """The user's ``-H`` headers. Secret: sent only on credentialed actual requests, recorded
    as ``<redacted>``."""
    cookie: str | None = field(default=None, repr=False)
    """The user's ``--cookie`` value. Secret, like ``headers``."""
    user_agent: str = DEFAULT_USER_AGENT
    http2: bool = False
    """Offer HTTP/2 (needs the ``h2`` package)."""
    fast_transport: bool = True
    """Send over aiohttp's connection pool when aiohttp is installed and neither ``proxy`` nor
    ``http2`` is set: more than three times the request rate of httpx's own pool
    (tests/benchmarks/README.md), with the same records. A reply aiohttp's stricter parser
    refuses is sent once more through httpx's default transport and recorded from there (see
    the module docstring). ``False``: httpx's transport for everything."""
    request_deadline: float | None = None
    """Seconds one attempt may take in total, from connecting to the last body byte read
    (``None``: ``DEADLINE_FACTOR * timeout``). httpx's read timeout restarts with every byte
    received; this does not, so a server that trickles its reply is cut off."""

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise UsageError(f"--concurrency must be at least 1 (got {self.concurrency})")
        if self.per_host < 1:
            raise UsageError(f"--per-host must be at least 1 (got {self.per_host})")
        if not self.timeout > 0:
            raise UsageError(f"--timeout must be a positive number of seconds (got {self.timeout})")
        if self.retries < 0:
            raise UsageError(f"--retries must be 0 or more (got {self.retries})")
        if not self.backoff >= 0:
            raise UsageError(f"retry backoff must be 0 or more seconds (got {self.backoff})")
        if self.rate is not None and not self.rate > 0:
            raise UsageError(f"--rate must be a positive number of requests/s (got {self.rate})")
        if self.body_cap < 0:
            raise UsageError(f"body cap must be 0 or more bytes (got {self.body_cap})")
        if self.request_deadline is not None and not self.request_deadline > 0:
            raise UsageError(
                f"request deadline must be a positive number of seconds "
                f"(got {self.request_deadline})"
            )
        for name, value in self.headers:
            if not _TOKEN.match(name):
                raise UsageError(f"-H {name!r}: not a valid header name (expected a token)")
            # The value itself is a secret: the message names the header only.
            if _has_control(value):
                raise UsageError(f"-H {name}: the value contains a line break or control byte")
        if self.cookie is not None and _has_control(self.cookie):
            raise UsageError("--cookie: the value contains a line break or control byte")
        if _has_control(self.user_agent):
            raise UsageError("user agent: contains a line break or control byte")

    @property
    def attempt_deadline(self) -> float:
        """The overall deadline of one attempt in seconds (``request_deadline`` or its default)."""
        if self.request_deadline is not None:
            return self.request_deadline
        return DEADLINE_FACTOR * self.timeout

    def secret_values(self) -> tuple[str, ...]:
        """Every secret value that must never appear in a record or a message."""
        values = [value for _, value in self.headers]
        if self.cookie is not None:
            values.append(self.cookie)
        return tuple(v for v in values if v.strip())


def _has_control(value: str) -> bool:
    return any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in value)


class ProgressObserver(Protocol):
    """Told about every finished exchange (e.g. the CLI's progress bar)."""

    def on_exchange(self, exchange: Exchange) -> None:
        """Called once per probe, after its exchange is complete (response or error)."""


class WireMeter(Protocol):
    """Told when a request starts waiting for a slot and when it goes on and off the wire, so
    a caller (the scan's per-target deadline) can tell waiting behind others from working."""

    def update(self, queued: int, on_wire: int) -> None:
        """Add ``queued`` to the waiting and ``on_wire`` to the sending count (±1 or 0)."""


class TokenBucket:
    """A token bucket of capacity one, refilled at ``rate`` tokens per second, shared by all
    requests of an engine.

    Capacity one means no burst: after an idle spell only one request goes at once, the next
    one ``1/rate`` s later, so "N per second" holds over every window. It is kept in the
    reservation form (each caller books the next free slot and sleeps until it), which needs no
    lock in asyncio and is checkable with an injected clock and sleep.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self._interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next_free: float | None = None

    def reserve(self) -> float:
        """Book the next token; return how many seconds to wait before using it."""
        now = self._clock()
        start = now if self._next_free is None else max(now, self._next_free)
        self._next_free = start + self._interval
        return start - now

    async def acquire(self) -> None:
        """Wait until a token is available and take it."""
        delay = self.reserve()
        if delay > 0:
            await self._sleep(delay)


def backoff_delay(base: float, retry: int) -> float:
    """Seconds to wait before retry number ``retry`` (1-based): ``base``, ``2·base``, …"""
    return float(base * 2 ** (retry - 1))


class _NoCookies(DefaultCookiePolicy):
    """Refuse every cookie: a ``Set-Cookie`` from one probe must never reach another request.
    The user's cookie is sent as an explicit header instead."""

    def set_ok(self, cookie: Cookie, request: UrllibRequest) -> bool:
        return False


class _NoCookieJar(CookieJar):
    """A jar that never looks at a response: httpx hands it every response, and parsing the
    ``Set-Cookie`` headers only for `_NoCookies` to refuse them cost about a tenth of the
    scan's CPU time."""

    def extract_cookies(self, response: object, request: UrllibRequest) -> None:
        return None


class _FreshConnections(httpx.AsyncBaseTransport):
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


_Consumed = tuple[bytes, bool, ScanError | None] | ScanError
"""A read response: (capped body, truncated, error while reading), or why it was refused."""


@dataclass(frozen=True, slots=True)
class _Attempt:
    response: ResponseRecord | None
    error: ScanError | None
    elapsed_ms: float
    retryable: bool = False


class Engine:
    """Sends probes and records exchanges. Use as ``async with Engine(options) as engine``.

    ``transport`` replaces httpx's network transport (tests pass ``httpx.MockTransport``; a
    faster transport can be plugged in here). With a transport given, ``proxy`` is not applied:
    httpx would route around the transport through the proxy.
    """

    def __init__(
        self,
        options: EngineOptions,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: ProgressObserver | None = None,
    ) -> None:
        self._options = options
        self._transport = transport
        self._observer = observer
        self._client: httpx.AsyncClient | None = None
        self._global: asyncio.Semaphore | None = None
        self._hosts: dict[tuple[str, str, int], asyncio.Semaphore] = {}
        self._bucket = TokenBucket(options.rate) if options.rate is not None else None
        self._secrets = options.secret_values()
        self._sent = 0
        self._deadlines: dict[int, float] = {}
        """Loop-time deadline of each request on the wire, by ``id(request)``."""
        self._early: dict[int, tuple[httpx.Response, _Consumed]] = {}
        """Redirects read by the response hook, by ``id(request)``."""
        self._fast: _AiohttpSender | None = None
        """The aiohttp sender when the fast path is on (see `_fast_path`)."""
        self._defaults: list[tuple[bytes, bytes]] = []
        """The client's own headers (Accept, Accept-Encoding, Connection, User-Agent)."""
        self._urls: dict[str, httpx.URL] = {}
        """Parsed probe URLs: every probe of a target goes to the same one."""

    @property
    def requests_sent(self) -> int:
        """Attempts put on the wire so far, retries included."""
        return self._sent

    async def __aenter__(self) -> Self:
        self._client = self._make_client()
        self._defaults = list(self._client.headers.raw)
        self._global = asyncio.Semaphore(self._options.concurrency)
        if self._fast_path():
            self._fast = _AiohttpSender(self._options)
        return self

    def _fast_path(self) -> bool:
        """Whether requests go over aiohttp: asked for, nothing injected, no proxy, no HTTP/2,
        and aiohttp installed (imported here, not at the top, so ``--help`` does not pay)."""
        o = self._options
        if not o.fast_transport or self._transport is not None or o.proxy or o.http2:
            return False
        try:
            import aiohttp  # noqa: F401  (only whether it is there)
        except ImportError:  # pragma: no cover - aiohttp is a dependency of the test setup
            return False
        return True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        fast, self._fast = self._fast, None
        try:
            if fast is not None:
                await fast.aclose()
        finally:
            if client is not None:
                await client.aclose()

    def _make_client(self) -> httpx.AsyncClient:
        o = self._options
        proxy = o.proxy if self._transport is None else None
        trust_env = proxy is not None  # see the module docstring
        try:
            # httpx's own transport (through the proxy, if any), as AsyncClient would build it,
            # wrapped so that it never reuses a connection holding unread bytes.
            transport = self._transport or _FreshConnections(
                httpx.AsyncHTTPTransport(
                    verify=not o.insecure,
                    http2=o.http2,
                    trust_env=trust_env,
                    limits=httpx.Limits(
                        max_connections=o.concurrency, max_keepalive_connections=o.concurrency
                    ),
                    proxy=proxy,
                )
            )
            return httpx.AsyncClient(
                transport=transport,
                http2=o.http2,  # only for its check that h2 is installed
                trust_env=trust_env,
                timeout=httpx.Timeout(o.timeout),
                follow_redirects=False,
                cookies=_NoCookieJar(policy=_NoCookies()),
                # identity: the body cap counts raw bytes and a gzip bomb cannot expand.
                headers={"User-Agent": o.user_agent, "Accept-Encoding": "identity"},
                event_hooks={"response": [self._on_response]},
            )
        except ImportError as exc:
            if "socksio" in str(exc):
                raise UsageError(
                    "--proxy: SOCKS proxies need the 'socksio' package (pip install 'httpx[socks]')"
                ) from None
            raise UsageError(
                "--http2 needs the 'h2' package (pip install 'httpx[http2]')"
            ) from None
        except (ValueError, httpx.InvalidURL):
            # The proxy URL may hold a password: do not echo it.
            raise UsageError(
                "--proxy: not a usable proxy URL "
                "(expected http://, https:// or socks5:// and a host)"
            ) from None

    async def send_many(
        self, probes: Sequence[Probe], *, meter: WireMeter | None = None
    ) -> list[Exchange]:
        """Send all probes concurrently under the limits; exchanges in the order of ``probes``."""
        return list(await asyncio.gather(*(self.send(probe, meter=meter) for probe in probes)))

    async def send(self, probe: Probe, *, meter: WireMeter | None = None) -> Exchange:
        """Send one probe (retrying connect failures) and record the exchange. Never raises
        on a network failure. ``meter`` is told when each attempt waits and sends."""
        client = self._client
        if client is None or self._global is None:
            raise RuntimeError("Engine.send() used outside 'async with Engine(...)'")
        started = time.perf_counter()
        headers, secret_names = self._headers_for(probe)
        fast = self._fast
        try:
            url = self._url(probe.url)
            if (
                fast is not None
                and url.host
                and url.scheme in ("http", "https")
                # aiohttp writes header values as UTF-8: a latin-1 byte would change on the way.
                and all(value.isascii() for _, value in headers)
            ):
                # The head httpx would build, without building an httpx request (a third of
                # the CPU time per request went into httpx's client machinery).
                raw = _request_head(self._defaults, url.netloc, probe.method, headers)
                wire: _Wire | None = fast.prepare(probe.method, url, raw)
                request: httpx.Request | None = None
            else:
                request = client.build_request(probe.method, url, headers=headers)
                raw = request.headers.raw
                wire = None
        except Exception as exc:  # a malformed URL: data, like any other failure
            sent = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers)
            record = RequestRecord(probe.method, probe.url, _redact(sent, secret_names))
            error = self._error(exc, probe.url)
            return self._finish(Exchange(probe, record, None, error, _ms_since(started)))
        sent = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw)
        record = RequestRecord(
            probe.method, probe.url, _redact(sent, secret_names) if secret_names else sent
        )
        if wire is not None:
            fast_wire = wire

            def attempt() -> Awaitable[_Attempt]:
                return self._on_wire_fast(fast_wire, url, probe, headers)

        else:
            assert request is not None
            httpx_request = request

            def attempt() -> Awaitable[_Attempt]:
                return self._on_wire(client, httpx_request)

        host = self._host_semaphore(url)
        result = await self._attempt(host, attempt, meter)
        for retry in range(1, self._options.retries + 1):
            if not result.retryable:
                break
            await _sleep(backoff_delay(self._options.backoff, retry))
            result = await self._attempt(host, attempt, meter)
        return self._finish(
            Exchange(probe, record, result.response, result.error, result.elapsed_ms)
        )

    def _url(self, text: str) -> httpx.URL:
        url = self._urls.get(text)
        if url is None:
            if len(self._urls) >= _URL_CACHE:
                self._urls.clear()
            url = self._urls[text] = httpx.URL(text)
        return url

    def _finish(self, exchange: Exchange) -> Exchange:
        if self._observer is not None:
            self._observer.on_exchange(exchange)
        return exchange

    def _headers_for(self, probe: Probe) -> tuple[list[tuple[bytes, bytes]], frozenset[str]]:
        """The probe's request headers, and the lowercased names whose values are secrets.

        User-Agent and ``Accept-Encoding: identity`` come from the client's defaults.
        """
        headers = list(probe.wire_headers())
        user: list[tuple[str, str]] = []
        # BROWSER-MODEL.md §3.2: a preflight never carries credentials, whatever the probe says.
        if probe.credentialed and not probe.is_preflight:
            # The probe's own CORS headers are the experiment: a user header cannot replace them.
            taken = {name.lower() for name, _ in headers}
            cookies: list[str] = []
            for name, value in self._options.headers:
                if name.lower() in taken:
                    continue
                if name.lower() == "cookie":
                    cookies.append(value)  # one Cookie header (RFC 6265 §5.4)
                else:
                    user.append((name, value))
            if self._options.cookie is not None:
                cookies.append(self._options.cookie)
            if cookies:
                user.append(("Cookie", "; ".join(cookies)))
        encoded = [(name.encode("ascii"), _encode(value)) for name, value in headers + user]
        return encoded, frozenset(name.lower() for name, _ in user)

    def _host_semaphore(self, url: httpx.URL) -> asyncio.Semaphore:
        port = url.port or {"http": 80, "https": 443}.get(url.scheme, 0)
        key = (url.scheme, url.host, port)
        semaphore = self._hosts.get(key)
        if semaphore is None:
            semaphore = self._hosts[key] = asyncio.Semaphore(self._options.per_host)
        return semaphore

    async def _attempt(
        self,
        host: asyncio.Semaphore,
        wire: Callable[[], Awaitable[_Attempt]],
        meter: WireMeter | None,
    ) -> _Attempt:
        assert self._global is not None
        if meter is None:
            async with host, self._global:
                if self._bucket is not None:
                    await self._bucket.acquire()
                return await wire()
        waiting = True
        meter.update(1, 0)
        try:
            # Per-host first: a request waiting for its busy host must not hold a global slot
            # that a request to an idle host could use.
            async with host, self._global:
                if self._bucket is not None:
                    await self._bucket.acquire()
                waiting = False
                meter.update(-1, 1)
                return await wire()
        finally:
            meter.update(-1, 0) if waiting else meter.update(0, -1)

    async def _on_wire_fast(
        self,
        wire: _Wire,
        url: httpx.URL,
        probe: Probe,
        headers: list[tuple[bytes, bytes]],
    ) -> _Attempt:
        """One attempt over aiohttp. A reply aiohttp's parser refuses is sent once more through
        httpx's own transport (h11 keeps more malformed replies as evidence, and its verdict
        is the one the default transport gives); the two count as one attempt."""
        import aiohttp

        assert self._fast is not None
        self._sent += 1
        started = time.perf_counter()
        # One deadline for the whole attempt (head and body), fixed now: see the docstring.
        when = asyncio.get_running_loop().time() + self._options.attempt_deadline
        cap = self._options.body_cap
        text = wire.text
        response: aiohttp.ClientResponse | None = None
        body = bytearray()
        truncated = False
        failure: BaseException | None = None
        try:
            async with asyncio.timeout_at(when) as deadline:
                response = await self._fast.request(wire)
                if len(response.raw_headers) > MAX_RESPONSE_HEADERS:
                    too_many = self._too_many(text, len(response.raw_headers))
                    return _Attempt(None, too_many, _ms_since(started))
                content = response.content
                while not content.at_eof():
                    chunk = await content.readany()
                    if not chunk:
                        break
                    room = cap - len(body)
                    if len(chunk) > room:
                        body += chunk[:room]
                        truncated = True
                        break
                    body += chunk
        except (aiohttp.ClientError, TimeoutError) as exc:
            if response is None and isinstance(exc, aiohttp.ClientResponseError):
                return await self._refused(probe, url, headers, started, when)
            failure = exc
        except Exception as exc:  # every failure becomes data
            failure = exc
        finally:
            if response is not None:
                _release(response)
        error: ScanError | None = None
        if failure is not None:
            if deadline.expired():
                error = self._deadline_error(text)
            elif isinstance(failure, aiohttp.ClientError | TimeoutError):
                failure = _httpx_error(failure, reading=response is not None)
                error = self._error(failure, text)
            else:
                error = self._error(failure, text)
            if response is None:
                # Retry only what failed before the request could reach the server.
                retryable = isinstance(failure, httpx.ConnectTimeout) or (
                    error.kind is ErrorKind.CONNECT and isinstance(failure, httpx.ConnectError)
                )
                return _Attempt(None, error, _ms_since(started), retryable)
        assert response is not None
        version = response.version
        record = ResponseRecord(
            status=response.status,
            # aiohttp decodes the reason as UTF-8 with surrogate escapes: back to the bytes
            # received, shown as latin-1 like every other received byte.
            reason=(response.reason or "").encode("utf-8", "surrogateescape").decode("latin-1"),
            http_version=f"HTTP/{version.major}.{version.minor}"
            if version is not None
            else "HTTP/1.1",
            headers=tuple(
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers
            ),
            body_bytes=len(body),
            body_truncated=truncated,
            body_sha256=hashlib.sha256(body).hexdigest(),
        )
        # A failure while reading the body keeps the head: its headers are the evidence.
        return _Attempt(record, error, _ms_since(started))

    async def _refused(
        self,
        probe: Probe,
        url: httpx.URL,
        headers: list[tuple[bytes, bytes]],
        started: float,
        when: float,
    ) -> _Attempt:
        """The request again through httpx's default transport, after aiohttp refused the
        reply: h11 keeps what it can parse (obsolete line folding, odd reason phrases) and
        words its refusals the way the rest of the engine expects. It is a second request on
        the wire (counted, and under ``--rate``), within the first one's deadline."""
        assert self._client is not None
        request = self._client.build_request(probe.method, url, headers=headers)
        if self._bucket is not None:
            await self._bucket.acquire()
        attempt = await self._on_wire(self._client, request, when)
        return _Attempt(attempt.response, attempt.error, _ms_since(started))

    def _too_many(self, url: str, lines: int) -> ScanError:
        host = _where(url)[1]
        return ScanError(
            ErrorKind.TOO_LARGE,
            f"response head from {host} has {lines} header lines "
            f"(more than {MAX_RESPONSE_HEADERS}); it was not recorded",
        )

    async def _on_wire(
        self, client: httpx.AsyncClient, request: httpx.Request, when: float | None = None
    ) -> _Attempt:
        self._sent += 1
        started = time.perf_counter()
        if when is None:
            # One deadline for the whole attempt (head and body), fixed now: see the docstring.
            when = asyncio.get_running_loop().time() + self._options.attempt_deadline
        key = id(request)
        self._deadlines[key] = when
        try:
            try:
                async with asyncio.timeout_at(when) as deadline:
                    response = await client.send(request, stream=True, follow_redirects=False)
            except Exception as exc:  # every failure becomes data
                if deadline.expired():
                    return _Attempt(
                        None, self._deadline_error(str(request.url)), _ms_since(started)
                    )
                early = self._early.get(key)
                if early is None or not isinstance(exc, httpx.RemoteProtocolError):
                    failure = self._error(exc, str(request.url))
                    # Retry only what failed before the request could reach the server.
                    retryable = isinstance(exc, httpx.ConnectTimeout) or (
                        failure.kind is ErrorKind.CONNECT
                        and isinstance(exc, httpx.ConnectError | ConnectionError)
                    )
                    return _Attempt(None, failure, _ms_since(started), retryable)
                # httpx could not parse the Location of a complete redirect (it prepares the
                # next request even when not following): the reply is evidence all the same.
                response, consumed = early
            else:
                try:
                    early = self._early.get(key)
                    consumed = early[1] if early else await self._consume(response, when)
                finally:
                    await response.aclose()
        finally:
            self._deadlines.pop(key, None)
            self._early.pop(key, None)
        if isinstance(consumed, ScanError):
            return _Attempt(None, consumed, _ms_since(started))
        body, truncated, error = consumed
        reason = response.extensions.get("reason_phrase", b"")
        record = ResponseRecord(
            status=response.status_code,
            reason=reason.decode("latin-1") if isinstance(reason, bytes) else "",
            http_version=response.http_version,
            headers=tuple(
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw
            ),
            body_bytes=len(body),
            body_truncated=truncated,
            body_sha256=hashlib.sha256(body).hexdigest(),
        )
        # A failure while reading the body keeps the head: its headers are the evidence.
        return _Attempt(record, error, _ms_since(started))

    async def _on_response(self, response: httpx.Response) -> None:
        """httpx's response hook: read a redirect's body before httpx looks at its Location
        (see `_on_wire`); every other response is read by `_on_wire` itself."""
        if response.has_redirect_location:
            key = id(response.request)
            self._early[key] = (response, await self._consume(response, self._deadlines.get(key)))

    async def _consume(self, response: httpx.Response, when: float | None) -> _Consumed:
        """The capped body, or a ``too-large`` error for a head with too many lines."""
        lines = len(response.headers.raw)
        if lines > MAX_RESPONSE_HEADERS:
            return self._too_many(str(response.request.url), lines)
        return await self._read_body(response, when)

    def _deadline_error(self, url: str) -> ScanError:
        seconds = f"{self._options.attempt_deadline:g} s"
        host = _where(url)[1]
        return ScanError(
            ErrorKind.TIMEOUT,
            f"request deadline: {host} did not deliver a complete response within {seconds} "
            f"(each request gets at most {seconds} in total, however slowly data trickles in)",
        )

    async def _read_body(
        self, response: httpx.Response, when: float | None = None
    ) -> tuple[bytes, bool, ScanError | None]:
        """Raw (undecoded) body bytes up to the cap; stop reading as soon as it is exceeded, or
        at the loop time ``when`` (the attempt's deadline).

        The raw stream is read rather than ``aiter_raw()`` because responses built in memory
        (mock transports) arrive already read, and only their stream still holds the bytes as
        they were sent (``content`` would be decompressed).
        """
        cap = self._options.body_cap
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)  # always, under an AsyncClient
        body = bytearray()
        chunks = cast("AsyncGenerator[bytes, None]", aiter(stream))
        deadline = asyncio.timeout_at(when)
        try:
            async with deadline, aclosing(chunks):
                async for chunk in chunks:
                    room = cap - len(body)
                    if len(chunk) > room:
                        body += chunk[:room]
                        return bytes(body), True, None
                    body += chunk
        except httpx.StreamConsumed:
            # A one-shot stream some transport (respx) has already read: all that is left.
            content = response.content
            return content[:cap], len(content) > cap, None
        except Exception as exc:
            if deadline.expired():
                return bytes(body), False, self._deadline_error(str(response.request.url))
            return bytes(body), False, self._error(exc, str(response.request.url))
        return bytes(body), False, None

    def _error(self, exc: BaseException, url: str) -> ScanError:
        try:
            error = classify_error(
                exc, url=url, timeout=self._options.timeout, proxied=self._options.proxy is not None
            )
        except Exception:  # the contract is "send never raises": a classifier bug included
            error = ScanError(ErrorKind.OTHER, f"{type(exc).__name__} (unclassified)")
        message = _scrub(error.message, self._secrets)
        return error if message == error.message else ScanError(error.kind, message)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _encode(value: str) -> bytes:
    """Header values go out as latin-1 (every record decodes them back byte for byte); text
    outside latin-1 is sent as UTF-8 rather than refused."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _redact(headers: Headers, secret_names: frozenset[str]) -> Headers:
    return tuple(
        (name, REDACTED if name.lower() in secret_names else value) for name, value in headers
    )


def _scrub(message: str, secrets: Sequence[str]) -> str:
    """Remove secret values from an error message (h11 quotes bad header values verbatim)."""
    for secret in secrets:
        for form in {secret, repr(secret)[1:-1], repr(_encode(secret))[2:-1]}:
            message = message.replace(form, REDACTED)
        # Belt and braces: any longer piece of a secret still visible withholds the message.
        if any(len(piece) >= 4 and piece in message for piece in re.split(r"[\s;,=]+", secret)):
            return "error message withheld: it quoted a secret request header value"
    return message


# ---- error classification -------------------------------------------------------------------

_DNS_TEXT = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "getaddrinfo failed",
    "no address associated with hostname",
    "name resolution",
)
_RESET_TEXT = (
    "server disconnected",
    "peer closed connection",
    "connection reset",
    "broken pipe",
    "connection aborted",
)
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.ENETDOWN}
_RESET = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes/contexts and the members of exception groups among them."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def _where(url: str) -> tuple[str, str]:
    """``(host, host:port)`` of a URL for messages."""
    try:
        parsed = httpx.URL(url)
    except Exception:
        return url, url
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme)
    host = parsed.host or url
    return host, f"{host}:{port}" if port else host


def _text(exc: BaseException) -> str:
    return str(exc).strip() or type(exc).__name__


def classify_error(
    exc: BaseException, *, url: str, timeout: float, proxied: bool = False
) -> ScanError:
    """Map an httpx/OS/TLS exception to a ``ScanError`` with a message a person can act on."""
    host, hostport = _where(url)
    chain = list(_chain(exc))
    texts = " | ".join(_text(e) for e in chain).lower()
    seconds = f"{timeout:g} s"

    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        phase, what = _timeout_phase(exc, hostport)
        return ScanError(ErrorKind.TIMEOUT, f"{phase} timeout: {what} within {seconds}")
    if isinstance(exc, httpx.ProxyError):
        return ScanError(ErrorKind.PROXY, f"proxy error while reaching {hostport}: {_text(exc)}")

    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            detail = link.verify_message or _text(link)
            return ScanError(ErrorKind.TLS, _cert_message(hostport, detail))
    if "certificate_verify_failed" in texts or "certificate verify failed" in texts:
        return ScanError(ErrorKind.TLS, _cert_message(hostport, _text(exc)))
    for link in chain:
        if isinstance(link, ssl.SSLError):
            reason = getattr(link, "reason", None)  # unset on hand-made SSLErrors
            return ScanError(ErrorKind.TLS, _tls_message(hostport, reason or _text(link)))
    if "[ssl" in texts or "ssl:" in texts:
        return ScanError(ErrorKind.TLS, _tls_message(hostport, _text(exc)))

    gai = next((e for e in chain if isinstance(e, socket.gaierror)), None)
    if gai is not None or any(t in texts for t in _DNS_TEXT):
        why = (gai.strerror if gai is not None else None) or _text(exc)
        return ScanError(ErrorKind.DNS, f"DNS lookup failed for {host}: {why}")

    os_errnos = {e.errno for e in chain if isinstance(e, OSError) and e.errno is not None}
    refused = any(isinstance(e, ConnectionRefusedError) for e in chain)
    if refused or errno.ECONNREFUSED in os_errnos or "connection refused" in texts:
        via = " (through the proxy)" if proxied else ""
        return ScanError(
            ErrorKind.CONNECT,
            f"connection refused by {hostport}{via}: nothing is listening there",
        )
    if os_errnos & _UNREACHABLE:
        cause = next(
            (e.strerror for e in chain if isinstance(e, OSError) and e.errno in _UNREACHABLE),
            None,
        )
        return ScanError(ErrorKind.CONNECT, f"{hostport} is unreachable: {cause or _text(exc)}")

    is_reset = any(isinstance(e, ConnectionResetError | BrokenPipeError) for e in chain)
    if is_reset or os_errnos & _RESET or any(t in texts for t in _RESET_TEXT):
        return ScanError(
            ErrorKind.RESET,
            f"{hostport} closed or reset the connection before a complete response ({_text(exc)})",
        )

    if isinstance(exc, httpx.RemoteProtocolError | httpx.LocalProtocolError):
        if "too long" in texts or "too large" in texts:
            return ScanError(
                ErrorKind.TOO_LARGE,
                f"response head from {hostport} is too large (over "
                f"{MAX_HEAD_BYTES // 1024} KiB without the end of the headers): {_text(exc)}",
            )
        return ScanError(
            ErrorKind.PROTOCOL, f"malformed HTTP exchange with {hostport}: {_text(exc)}"
        )
    if isinstance(exc, httpx.DecodingError):
        return ScanError(ErrorKind.PROTOCOL, f"undecodable response from {hostport}: {_text(exc)}")
    if isinstance(exc, httpx.ConnectError):
        via = " through the proxy" if proxied else ""
        return ScanError(ErrorKind.CONNECT, f"could not connect to {hostport}{via}: {_text(exc)}")
    if isinstance(exc, httpx.NetworkError):
        return ScanError(ErrorKind.RESET, f"the connection to {hostport} broke: {_text(exc)}")
    return ScanError(ErrorKind.OTHER, f"{type(exc).__name__}: {_text(exc)}")


def _timeout_phase(exc: BaseException, hostport: str) -> tuple[str, str]:
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect", f"no connection to {hostport}"
    if isinstance(exc, httpx.ReadTimeout):
        return "read", f"no response data from {hostport}"
    if isinstance(exc, httpx.WriteTimeout):
        return "write", f"could not send the request to {hostport}"
    if isinstance(exc, httpx.PoolTimeout):
        return "pool", "no free connection in the client pool"
    return "request", f"no answer from {hostport}"


def _cert_message(hostport: str, detail: str) -> str:
    return (
        f"TLS certificate verify failed for {hostport}: {detail}; "
        "use --insecure to skip verification"
    )


def _tls_message(hostport: str, reason: str) -> str:
    hint = ""
    if any(r in reason.upper() for r in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE")):
        hint = " (is this port plain HTTP? try an http:// URL)"
    return f"TLS handshake with {hostport} failed: {reason}{hint}"


# ---- the aiohttp sender -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Wire:
    """A request as aiohttp takes it, built once per probe (retries reuse it)."""

    method: str
    url: yarl.URL
    text: str
    """The URL as text, for messages."""
    headers: CIMultiDict[str]


class _AiohttpSender:
    """Sends requests over one aiohttp session (created lazily, inside the event loop).

    The session keeps no cookies, never decompresses, never follows redirects and adds no
    headers of its own (the engine has built them all, as httpx would). It accepts as many
    header lines as fit in h11's `MAX_HEAD_BYTES`, so the engine's own count
    (`MAX_RESPONSE_HEADERS`) still decides, and lines of up to `MAX_HEADER_LINE` bytes. The pool
    holds at most ``concurrency`` busy connections, ``per_host`` to one host; idle ones are
    closed after a few seconds so that a scan of many hosts does not keep thousands of sockets
    open.
    """

    KEEPALIVE_SECONDS: Final = 5.0

    def __init__(self, options: EngineOptions) -> None:
        import aiohttp

        self._options = options
        self._ssl = httpx.create_ssl_context(verify=not options.insecure, trust_env=False)
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, yarl.URL] = {}
        self._timeout = aiohttp.ClientTimeout(
            total=None,
            connect=options.timeout,
            sock_connect=options.timeout,
            sock_read=options.timeout,
        )

    def prepare(self, method: str, url: httpx.URL, raw: Sequence[tuple[bytes, bytes]]) -> _Wire:
        """The request in aiohttp's terms. The head is ASCII (`Engine.send` leaves any other
        to httpx), so the wire sees exactly what the record shows."""
        from multidict import CIMultiDict
        from yarl import URL

        headers: CIMultiDict[str] = CIMultiDict(
            (k.decode("ascii"), v.decode("ascii")) for k, v in raw
        )
        text = str(url)
        parsed = self._urls.get(text)
        if parsed is None:
            if len(self._urls) >= _URL_CACHE:
                self._urls.clear()
            parsed = self._urls[text] = URL(text, encoded=True)
        return _Wire(method, parsed, text, headers)

    def _get_session(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None:
            o = self._options
            connector = _fresh_connector()(
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
                skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
                max_line_size=MAX_HEADER_LINE,
                max_field_size=MAX_HEADER_LINE,
                max_headers=MAX_HEAD_BYTES // 4,  # "a:" CRLF is the shortest header line
            )
        return self._session

    async def request(self, wire: _Wire) -> aiohttp.ClientResponse:
        """The response head; the caller reads the body and then calls `_release`."""
        return await self._get_session().request(
            wire.method,
            wire.url,
            headers=wire.headers,
            allow_redirects=False,
            timeout=self._timeout,
        )

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _fresh_connector() -> type[aiohttp.TCPConnector]:
    """aiohttp's connector, except that it never reuses a connection that received bytes while
    idle in the pool: an unsolicited reply would be handed to the next request as its own (a
    complete one waits in the protocol's queue, later ones in the socket). Such a connection is
    closed and another one taken, as Chromium does (it checks an idle socket is not readable
    before reusing it). A connection first used is taken as it is. Extra bytes that came with a
    reply (after its body, or a body after a HEAD reply) already keep aiohttp from pooling the
    connection, and a partial message left in the parser is dropped with the parser when the
    next request starts (aiohttp makes a new one per request)."""
    import aiohttp

    class FreshConnector(aiohttp.TCPConnector):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
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
                if not (protocol.should_close or _readable(protocol.transport)):
                    return connection
                connection.close()

    return FreshConnector


def _readable(transport: asyncio.BaseTransport | None) -> bool:
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


def _release(response: aiohttp.ClientResponse) -> None:
    """Give the connection back, or close it: a body left unread (the cap, a deadline) takes its
    connection with it, since it cannot be reused with bytes still in flight."""
    if response.content.at_eof():
        response.release()
    else:
        response.close()


_URL_CACHE: Final = 4096
"""Most parsed URLs an engine keeps (cleared when full)."""

_BODY_METHODS: Final = ("POST", "PUT", "PATCH")


def _request_head(
    defaults: Sequence[tuple[bytes, bytes]],
    netloc: bytes,
    method: str,
    headers: Sequence[tuple[bytes, bytes]],
) -> list[tuple[bytes, bytes]]:
    """The request head ``AsyncClient.build_request`` makes of the client's ``defaults`` and a
    request's ``headers`` (no body): a request header replaces every client header of its name,
    ``Host`` goes first, and ``POST``/``PUT``/``PATCH`` (any case: httpx and aiohttp send the
    method uppercased) get ``Content-Length: 0``
    (tests/test_engine.py checks this against httpx)."""
    names = {k.lower() for k, _ in headers}
    merged = [(k, v) for k, v in defaults if k.lower() not in names]
    merged += headers
    names.update(k.lower() for k, _ in defaults)
    auto: list[tuple[bytes, bytes]] = []
    if b"host" not in names:
        auto.append((b"Host", netloc))
    if method.upper() in _BODY_METHODS and not names & {b"content-length", b"transfer-encoding"}:
        auto.append((b"Content-Length", b"0"))
    return auto + merged if auto else merged


def _httpx_error(exc: BaseException, reading: bool) -> httpx.HTTPError:
    """aiohttp's exception as the httpx one `classify_error` knows, caused by the exception
    that says what happened (the OS or SSL error under a connect failure, else aiohttp's own).

    The caller raises it outside its ``except`` block: aiohttp's wrapper must not become the
    implicit context, whose text ("ssl:default") would mislead the classifier.
    """
    import aiohttp
    from aiohttp import http_exceptions

    cause: BaseException = exc
    text = _text(exc)
    error: httpx.HTTPError
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        cause = exc.certificate_error
        error = httpx.ConnectError(_text(cause))
    elif isinstance(exc, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        error = httpx.ProxyError(text)
    elif isinstance(exc, aiohttp.ClientConnectorError):
        cause = exc.os_error
        error = httpx.ConnectError(_text(cause))
    elif isinstance(exc, aiohttp.ConnectionTimeoutError):
        error = httpx.ConnectTimeout(text)
    elif isinstance(exc, aiohttp.ServerTimeoutError):
        error = httpx.ReadTimeout(text)
    elif isinstance(exc, TimeoutError):
        error = (httpx.ReadTimeout if reading else httpx.ConnectTimeout)(text)
    elif any(isinstance(e, http_exceptions.LineTooLong) for e in _chain(exc)):
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


def send_all(
    probes: Sequence[Probe],
    options: EngineOptions,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    observer: ProgressObserver | None = None,
) -> list[Exchange]:
    """Synchronous convenience: send ``probes`` with a fresh engine in a new event loop."""

    async def run() -> list[Exchange]:
        async with Engine(options, transport=transport, observer=observer) as engine:
            return await engine.send_many(probes)

    return asyncio.run(run())
