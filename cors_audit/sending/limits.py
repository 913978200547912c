"""The sender's limits: how big a reply may be, how long an attempt may take, how many requests
go at once (overall and per host) and how fast (``--rate``), and the retry backoff.

It must not send anything itself: `Slots.run` only decides when the engine's attempt may start,
and tells a `WireMeter` whether a request is waiting or on the wire.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Final, Protocol, TypeVar

from cors_audit.core.wire import DEFAULT_PORTS

MAX_RESPONSE_HEADERS: Final = 1000
"""Most header lines a response may have. Beyond it the response is a ``too-large`` error: no
real CORS reply needs that many, and every line is kept in every report."""

MAX_HEAD_BYTES: Final = 100 * 1024
"""The response-head size at which h11 (httpx's HTTP/1.1 parser, as set by httpcore) gives up;
named in the ``too-large`` message."""

MAX_HEADER_LINE: Final = 16 * 1024
"""Longest response header line the aiohttp transport accepts (h11 only limits the whole head;
aiohttp only single lines and their number, see ``fast.AiohttpWire``); a longer one is refused
by aiohttp and the request goes again through h11."""

DEADLINE_FACTOR: Final = 3
"""``request_deadline`` defaults to this many times ``timeout``: connect, send and wait."""

T = TypeVar("T")


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


class Slots:
    """The global and per-(scheme, host, port) concurrency caps and the rate limit of one
    engine. Made inside the event loop (its semaphores belong to it)."""

    def __init__(self, concurrency: int, per_host: int, bucket: TokenBucket | None) -> None:
        self._global = asyncio.Semaphore(concurrency)
        self._per_host = per_host
        self._hosts: dict[tuple[str, str, int], asyncio.Semaphore] = {}
        self.bucket = bucket
        """The rate limit (``None``: none); also taken by a request sent a second time."""

    def host(self, scheme: str, host: str, port: int | None) -> asyncio.Semaphore:
        """The semaphore of one (scheme, host, port); a missing port is the scheme's default."""
        key = (scheme, host, port or DEFAULT_PORTS.get(scheme, 0))
        semaphore = self._hosts.get(key)
        if semaphore is None:
            semaphore = self._hosts[key] = asyncio.Semaphore(self._per_host)
        return semaphore

    async def run(
        self,
        host: asyncio.Semaphore,
        attempt: Callable[[], Awaitable[T]],
        meter: WireMeter | None,
    ) -> T:
        """``attempt()`` once a per-host slot, a global slot and a rate token are free."""
        if meter is None:
            async with host, self._global:
                if self.bucket is not None:
                    await self.bucket.acquire()
                return await attempt()
        waiting = True
        meter.update(1, 0)
        try:
            # Per-host first: a request waiting for its busy host must not hold a global slot
            # that a request to an idle host could use.
            async with host, self._global:
                if self.bucket is not None:
                    await self.bucket.acquire()
                waiting = False
                meter.update(-1, 1)
                return await attempt()
        finally:
            meter.update(-1, 0) if waiting else meter.update(0, -1)
