"""The sender: turns planned probes into recorded exchanges. The orchestration lives here; the
rest of the stage is split by concern:

* ``options.py``: `EngineOptions`, checked when made;
* ``recording.py``: the request head (built once, the same bytes on every transport), which of
  its headers are secrets, and the records of both sides;
* ``limits.py``: concurrency caps, the rate limit, the retry backoff, the size limits;
* ``transports.py``: the transports under the one attempt path (httpx's, and `Fallback`, which
  wraps two); ``fast.py``: aiohttp's, the default;
* ``failures.py``: every failure as a ``ScanError`` a person can act on.

This stage is the only one that touches the network and imports httpx (or aiohttp). It sends
each ``Probe`` exactly as planned, under a global and a per-host concurrency cap and an optional
rate limit, and records what went out and what came back as ``Exchange`` data. It must not judge
responses (the browser model and the rules do), must not follow redirects (a 3xx and its
``Location`` are evidence), must not carry cookies from one response into another request, must
never put the user's credentials on a preflight (BROWSER-MODEL.md §3.2) and must never record
their values on the request side (``recording.py``). It never raises on a network failure: every
failure becomes a ``ScanError`` on the exchange.

One attempt path (`Engine._attempt`), whatever the transport: count the request, fix the
attempt's deadline, open the request, refuse a head of more than `MAX_RESPONSE_HEADERS` lines,
read the raw body up to ``body_cap``, record. A failure before any reply is retried (with
backoff) only when the request cannot have reached the server (connect refused or unreachable,
connect timeout); a failure while reading the body keeps the head, which is the evidence.

Hostile servers: every attempt has an overall deadline (``request_deadline``) on top of the
transports' per-phase timeouts, whose read timeout restarts with every byte, so a server
trickling its reply cannot hold a request open for ever. The body is read raw
(``Accept-Encoding: identity``, no decoding) and never past ``body_cap``, so a gzip bomb is never
inflated. A response head over h11's 100 KiB buffer or with more than `MAX_RESPONSE_HEADERS`
lines is a ``too-large`` error. Neither transport reuses a connection that holds bytes its last
reply did not account for.

Transports: without ``--proxy``, ``--http2`` or an injected transport, requests go over aiohttp
(``fast.AiohttpWire``) when aiohttp is installed (``fast_transport``, on by default), wrapped in
``transports.Fallback`` with httpx's transport: what aiohttp cannot carry exactly (a non-ASCII
header value), and a reply whose head aiohttp's parser refuses, go through httpx. A proxy,
HTTP/2 or an injected transport (``httpx.MockTransport``, respx) uses httpx for everything.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

import httpx

from cors_audit.core.models import (
    ErrorKind,
    Exchange,
    Headers,
    Probe,
    ProbeKind,
    RequestRecord,
    ResponseRecord,
    ScanError,
)
from cors_audit.sending.failures import classify_error, deadline_error, too_many_lines
from cors_audit.sending.limits import (
    DEADLINE_FACTOR,
    MAX_HEAD_BYTES,
    MAX_HEADER_LINE,
    MAX_RESPONSE_HEADERS,
    MAX_RETRY_AFTER,
    SLOW_DOWN,
    Deadline,
    HostThrottle,
    Slots,
    ThrottleSummary,
    TokenBucket,
    WireMeter,
    backoff_delay,
)
from cors_audit.sending.options import DEFAULT_USER_AGENT, EngineOptions
from cors_audit.sending.recording import (
    REDACTED,
    RawHead,
    as_text,
    client_headers,
    probe_headers,
    redact,
    request_head,
    response_record,
    scrub,
)
from cors_audit.sending.transports import (
    Fallback,
    HttpxWire,
    Outgoing,
    Prepared,
    Reply,
    Wire,
    httpx_transport,
)

__all__ = [
    "DEADLINE_FACTOR",
    "DEFAULT_USER_AGENT",
    "MAX_HEADER_LINE",
    "MAX_HEAD_BYTES",
    "MAX_RESPONSE_HEADERS",
    "REDACTED",
    "Engine",
    "EngineOptions",
    "ProgressObserver",
    "ThrottleSummary",
    "TokenBucket",
    "Transport",
    "WireMeter",
    "backoff_delay",
    "classify_error",
    "send_all",
]

Transport = httpx.AsyncBaseTransport
"""The transport type tests may inject (``httpx.MockTransport``, respx); re-exported so no other
module needs to import httpx."""

_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
"""The retry backoff's sleep; a module attribute so tests can record the delays."""

_throttle_clock: Callable[[], float] = time.monotonic
_throttle_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
"""The clock and sleep of the per-host slow-down pause (``Retry-After``); module attributes so
tests can inject them."""

_URL_CACHE = 4096
"""Most parsed URLs an engine keeps (cleared when full)."""

_HEAD_CACHE = 4096
"""Most request heads an engine keeps (cleared when full)."""

_HeadKey = tuple[bytes, str, ProbeKind, str, tuple[str, ...], str | None, bool]
"""What a request head is made of besides the engine's options (`Engine._head`)."""


class ProgressObserver(Protocol):
    """Told about every finished exchange (e.g. the CLI's progress bar)."""

    def on_exchange(self, exchange: Exchange) -> None:
        """Called once per probe, after its exchange is complete (response or error)."""


@dataclass(frozen=True, slots=True)
class _Destination:
    """A probe URL, parsed: the URL, its text, its ``Host`` value and its host's throttle."""

    url: httpx.URL
    text: str
    netloc: bytes
    host: HostThrottle


@dataclass(frozen=True, slots=True)
class _Attempt:
    response: ResponseRecord | None
    error: ScanError | None
    elapsed_ms: float
    retryable: bool = False


class Engine:
    """Sends probes and records exchanges. Use as ``async with Engine(options) as engine``.

    ``transport`` replaces httpx's network transport (tests pass ``httpx.MockTransport``), and
    then carries every request. With a transport given, ``proxy`` is not applied: httpx would
    route around the transport through the proxy.
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
        self._wire: Wire | None = None
        self._slots: Slots | None = None
        self._secrets = options.secret_values()
        self._sent = 0
        self._defaults = client_headers(options.user_agent)
        """The headers every request starts from (Accept, Connection, User-Agent, …)."""
        self._urls: dict[str, httpx.URL] = {}
        """Parsed probe URLs: every probe of a target goes to the same one."""
        self._destinations: dict[str, _Destination] = {}
        """What each probe URL resolves to (parsed URL, ``Host``, host throttle), by its text."""
        self._heads: dict[_HeadKey, tuple[RawHead, Headers]] = {}
        """Request heads and their records, by what they are made of: the targets behind one
        host get the same few dozen heads, one per probe origin and kind."""

    @property
    def requests_sent(self) -> int:
        """Attempts put on the wire so far, retries included."""
        return self._sent

    async def __aenter__(self) -> Self:
        o = self._options
        httpx_wire = HttpxWire(httpx_transport(o, self._transport), o.timeout)
        self._wire = httpx_wire
        if self._fast_path():
            from cors_audit.sending.fast import AiohttpWire

            self._wire = Fallback(AiohttpWire(o), httpx_wire, self._before_resend)
        bucket = TokenBucket(o.rate) if o.rate is not None else None
        self._slots = Slots(
            o.concurrency,
            o.per_host,
            bucket,
            max_pause=min(MAX_RETRY_AFTER, o.attempt_deadline),
            clock=_throttle_clock,
            sleep=_throttle_sleep,
        )
        return self

    def throttle(self, url: str) -> ThrottleSummary | None:
        """How slow-down replies (429, 503) from ``url``'s host throttled the requests to it;
        ``None`` when it sent none (or the URL is unreadable)."""
        if self._slots is None:
            return None
        try:
            parsed = self._url(url)
        except Exception:
            return None
        return self._slots.host(parsed.scheme, parsed.host, parsed.port).summary()

    def _fast_path(self) -> bool:
        """Whether requests go over aiohttp: asked for, nothing injected, no proxy, no HTTP/2,
        and aiohttp installed (imported here, not at the top, so a scan without it does not
        pay)."""
        o = self._options
        if not o.fast_transport or self._transport is not None or o.proxy or o.http2:
            return False
        try:
            import aiohttp  # noqa: F401  (only whether it is there)
        except ImportError:  # pragma: no cover - aiohttp is a dependency
            return False
        return True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        wire, self._wire = self._wire, None
        if wire is not None:
            await wire.aclose()

    async def send_many(
        self, probes: Sequence[Probe], *, meter: WireMeter | None = None
    ) -> list[Exchange]:
        """Send all probes concurrently under the limits; exchanges in the order of ``probes``."""
        return list(await asyncio.gather(*(self.send(probe, meter=meter) for probe in probes)))

    async def send(self, probe: Probe, *, meter: WireMeter | None = None) -> Exchange:
        """Send one probe (retrying connect failures) and record the exchange. Never raises
        on a network failure. ``meter`` is told when each attempt waits and sends."""
        wire, slots = self._wire, self._slots
        if wire is None or slots is None:
            raise RuntimeError("Engine.send() used outside 'async with Engine(...)'")
        started = time.perf_counter()
        try:
            to = self._destination(probe.url, slots)
            head, recorded = self._head(probe, to.netloc)
            request = wire.prepare(Outgoing(probe.method, to.url, to.text, head))
        except Exception as exc:  # a malformed URL: data, like any other failure
            headers, secret_names = probe_headers(probe, self._options)
            record = RequestRecord(probe.method, probe.url, redact(as_text(headers), secret_names))
            error = self._error(exc, probe.url)
            return self._finish(Exchange(probe, record, None, error, _ms_since(started)))
        record = RequestRecord(probe.method, probe.url, recorded)
        host = to.host
        # A partial, not a closure: one coroutine frame less on every request.
        attempt = functools.partial(self._attempt, request, to.text, host)
        result = await slots.run(host, attempt, meter)
        for retry in range(1, self._options.retries + 1):
            if not result.retryable:
                break
            await _sleep(backoff_delay(self._options.backoff, retry))
            result = await slots.run(host, attempt, meter)
        return self._finish(
            Exchange(probe, record, result.response, result.error, result.elapsed_ms)
        )

    def _destination(self, text: str, slots: Slots) -> _Destination:
        """Where a probe URL goes, parsed once per URL (every probe of a target shares it)."""
        to = self._destinations.get(text)
        if to is None:
            url = self._url(text)
            to = _Destination(
                url,
                str(url),
                url.netloc if url.host else b"",
                slots.host(url.scheme, url.host, url.port),
            )
            if len(self._destinations) >= _URL_CACHE:
                self._destinations.clear()
            self._destinations[text] = to
        return to

    def _head(self, probe: Probe, netloc: bytes) -> tuple[RawHead, Headers]:
        """The request head of ``probe`` (`request_head`) and its record (secret values
        redacted), built once per distinct head: they depend only on the parts of the probe in
        the key (`probe_headers`) and on ``Host``, the rest being the engine's own options."""
        origin = probe.origin
        key = (
            netloc,
            probe.method,
            probe.kind,
            probe.request_method,
            probe.request_headers,
            None if origin is None else origin.value,
            probe.credentialed,
        )
        made = self._heads.get(key)
        if made is None:
            headers, secret_names = probe_headers(probe, self._options)
            head = tuple(request_head(self._defaults, netloc, probe.method, headers))
            made = (head, redact(as_text(head), secret_names))
            if len(self._heads) >= _HEAD_CACHE:
                self._heads.clear()
            self._heads[key] = made
        return made

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

    async def _before_resend(self) -> None:
        """A request goes on the wire a second time within its attempt (`Fallback`)."""
        assert self._slots is not None
        if self._slots.bucket is not None:
            await self._slots.bucket.acquire()
        self._sent += 1

    async def _attempt(
        self, request: Prepared, url: str, host: HostThrottle | None = None
    ) -> _Attempt:
        """One attempt on whatever transport (see the module docstring); ``host``'s throttle
        is told the status of the reply, if one came."""
        self._sent += 1
        started = time.perf_counter()
        # One deadline for the whole attempt (head and body), fixed now: see the docstring.
        when = asyncio.get_running_loop().time() + self._options.attempt_deadline
        cap = self._options.body_cap
        reply: Reply | None = None
        body = bytearray()
        truncated = False
        try:
            with Deadline(when) as deadline:
                reply = await request.open()
                lines = len(reply.raw_headers)
                if lines > MAX_RESPONSE_HEADERS:
                    return _Attempt(None, too_many_lines(url, lines), _ms_since(started))
                while chunk := await reply.read():
                    room = cap - len(body)
                    if len(chunk) > room:
                        body += chunk[:room]
                        truncated = True
                        break
                    body += chunk
        except Exception as exc:  # every failure becomes data
            if deadline.expired():
                error = deadline_error(url, self._options.attempt_deadline)
            else:
                error = self._error(exc, url)
            if reply is None:
                # Retry only what failed before the request could reach the server.
                retryable = not request.resent and (
                    isinstance(exc, httpx.ConnectTimeout)
                    or (
                        error.kind is ErrorKind.CONNECT
                        and isinstance(exc, httpx.ConnectError | ConnectionError)
                    )
                )
                return _Attempt(None, error, _ms_since(started), retryable)
            # A failure while reading the body keeps the head: its headers are the evidence.
            response = _observed(host, response_record(reply, body, False))
            return _Attempt(response, error, _ms_since(started))
        finally:
            if reply is not None:
                await reply.aclose()
        response = _observed(host, response_record(reply, body, truncated))
        return _Attempt(response, None, _ms_since(started))

    def _error(self, exc: BaseException, url: str) -> ScanError:
        try:
            error = classify_error(
                exc, url=url, timeout=self._options.timeout, proxied=self._options.proxy is not None
            )
        except Exception:  # the contract is "send never raises": a classifier bug included
            error = ScanError(ErrorKind.OTHER, f"{type(exc).__name__} (unclassified)")
        message = scrub(error.message, self._secrets)
        return error if message == error.message else ScanError(error.kind, message)


def _observed(host: HostThrottle | None, response: ResponseRecord) -> ResponseRecord:
    """``response``, after telling ``host``'s throttle its status (only a slow-down status
    reads ``Retry-After``, `HostThrottle.observe`)."""
    if host is not None:
        status = response.status
        host.observe(status, _retry_after(response) if status in SLOW_DOWN else None)
    return response


def _retry_after(response: ResponseRecord) -> str | None:
    for name, value in response.headers:
        if name.lower() == "retry-after":
            return value
    return None


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


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
