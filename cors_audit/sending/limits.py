"""The sender's limits: how big a reply may be, how long an attempt may take, how many requests
go at once (overall and per host) and how fast (``--rate``), and the retry backoff.

It must not send anything itself: `Slots.run` only decides when the engine's attempt may start,
and tells a `WireMeter` whether a request is waiting or on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Final, Protocol, Self, TypeVar

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

MAX_RETRY_AFTER: Final = 30.0
"""Longest pause (seconds) a host's ``Retry-After`` can impose on later requests to it."""

RECOVER_AFTER: Final = 4
"""Successful replies from a throttled host that give it back one in-flight slot."""

SLOW_DOWN: Final = frozenset({429, 503})
"""Statuses that ask the client to slow down."""

T = TypeVar("T")


def retry_after_seconds(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds asked for by a ``Retry-After`` value (delta-seconds or HTTP-date), uncapped;
    ``None`` when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now())


@dataclass(frozen=True, slots=True)
class ThrottleSummary:
    """What a host's slow-down replies did to the requests sent to it."""

    host: str
    statuses: tuple[int, ...]
    retry_after: float | None
    """The longest pause asked for, after the cap (seconds); ``None``: none asked for."""
    lowest: int
    """The fewest requests the host was allowed in flight."""

    def note(self) -> str:
        codes = "/".join(str(s) for s in self.statuses)
        asked = "" if self.retry_after is None else f", Retry-After {self.retry_after:g} s"
        return (
            f"The server asked to slow down ({codes}{asked}); requests to {self.host} were "
            f"throttled to {self.lowest} in flight. Each such reply is kept as evidence, not "
            "sent again."
        )


class HostThrottle:
    """The per-host concurrency cap, adapting to slow-down replies (AIMD).

    A 429 or 503 halves the requests allowed in flight (at least one) and pauses new requests
    until its ``Retry-After`` elapses (capped at ``max_pause``); every `RECOVER_AFTER` replies
    below 400 give one slot back, up to ``cap``, which is never exceeded. Used as
    ``async with throttle``; `observe` is told each reply's status.
    """

    def __init__(
        self,
        name: str,
        cap: int,
        *,
        max_pause: float = MAX_RETRY_AFTER,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.name = name
        self.cap = cap
        self.allowed = cap
        self.in_flight = 0
        self.paused_until = 0.0
        self._max_pause = max_pause
        self._clock = clock
        self._sleep = sleep
        self._good = 0
        self._waiters: deque[asyncio.Future[bool]] = deque()
        self._statuses: set[int] = set()
        self._asked: float | None = None
        self._lowest = cap

    async def acquire(self, meter: WireMeter | None = None) -> None:
        """Take an in-flight slot once the host's pause is over and one is free, in turn: a
        released slot goes straight to the first request waiting (`release`), never to a
        newcomer. While paused, a request does not count as waiting on ``meter``: the pause is
        the target's own time, so its deadline bounds it."""
        first = False  # woken to look again: first in line, whoever else waits
        while True:
            wait = self.paused_until - self._clock()
            if wait > 0:
                if meter is not None:
                    meter.update(-1, 0)
                try:
                    await self._sleep(wait)
                finally:
                    if meter is not None:
                        meter.update(1, 0)
                continue
            if self.in_flight < self.allowed and (first or not self._waiters):
                self.in_flight += 1
                return
            waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            if first:
                self._waiters.appendleft(waiter)
            else:
                self._waiters.append(waiter)
            try:
                handed = await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    # Woken but leaving: pass on what it was given.
                    self.release() if waiter.result() else self._wake(1)
                else:
                    with contextlib.suppress(ValueError):
                        self._waiters.remove(waiter)
                raise
            if handed:
                return
            first = True

    def try_acquire(self) -> bool:
        """Take an in-flight slot if one is free, nobody is waiting for one and the host is not
        paused, without waiting (`acquire` does the same first, from a coroutine): the common
        case costs no await."""
        paused = self.paused_until
        if paused and paused - self._clock() > 0:
            return False
        if self.in_flight < self.allowed and not self._waiters:
            self.in_flight += 1
            return True
        return False

    def release(self) -> None:
        """Give the slot back: straight to the first request waiting when the host may take it
        (not paused, not over the cap just lowered), else free it and wake one waiter to look
        again.

        Handing it over is what keeps the line fair: a slot merely freed went to whichever
        request asked next, often a new one, while the waiter woken for it found it taken and
        queued again at the back, at the cost of a wake-up each time (and ever longer waits)."""
        if self.in_flight <= self.allowed and not (
            self.paused_until and self.paused_until - self._clock() > 0
        ):
            waiters = self._waiters
            while waiters:
                waiter = waiters.popleft()
                if not waiter.done():
                    waiter.set_result(True)
                    return
        self.in_flight -= 1
        self._wake(1)

    def release_waiters(self) -> None:
        """Hand the free slots (the cap was just raised) to the requests waiting, in turn."""
        waiters = self._waiters
        while self.in_flight < self.allowed and waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                self.in_flight += 1
                waiter.set_result(True)

    def _wake(self, count: int) -> None:
        """Wake ``count`` waiters to look again (no slot handed over)."""
        while count > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(False)
                count -= 1

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def observe(self, status: int, retry_after: str | None) -> None:
        """Adapt to one reply's status and ``Retry-After`` value."""
        if status in SLOW_DOWN:
            self._good = 0
            self.allowed = max(1, self.allowed // 2)
            self._lowest = min(self._lowest, self.allowed)
            self._statuses.add(status)
            asked = retry_after_seconds(retry_after)
            if asked is not None:
                pause = min(asked, self._max_pause)
                self._asked = pause if self._asked is None else max(self._asked, pause)
                self.paused_until = max(self.paused_until, self._clock() + pause)
        elif status < 400 and self.allowed < self.cap:
            self._good += 1
            if self._good >= RECOVER_AFTER:
                self._good = 0
                self.allowed += 1
                self.release_waiters()

    def summary(self) -> ThrottleSummary | None:
        """``None`` unless a slow-down reply came from this host."""
        if not self._statuses:
            return None
        return ThrottleSummary(self.name, tuple(sorted(self._statuses)), self._asked, self._lowest)


class Gate:
    """``asyncio.Semaphore`` as Python 3.11 has it (a slot handed straight to the first waiter,
    none taken past a waiter), with a synchronous fast path: taking a free slot, which is what
    most requests do, costs no coroutine and no future (`try_acquire`). The engine's overall
    cap (``--concurrency``)."""

    def __init__(self, allowed: int) -> None:
        self.free = allowed
        self._waiters: deque[asyncio.Future[None]] = deque()

    def try_acquire(self) -> bool:
        """Take a slot if one is free and nobody is waiting for one."""
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return True
        return False

    async def acquire(self) -> None:
        """Take a slot, waiting in line for one."""
        if self.try_acquire():
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot but leaving: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Hand the slot to the first request waiting, or free it."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1


class Deadline:
    """``asyncio.timeout_at(when)`` as a plain ``with`` block, for the one attempt of every
    request: the same behaviour (at ``when`` the task is cancelled, and the block ends in
    ``TimeoutError``, unless somebody else cancelled the task too), without the asynchronous
    context manager's coroutines and object states, which cost about as much as a whole
    judgement of the reply. Made inside the task it bounds.

    ``recheck``, when given, is asked when the timer fires: ``None`` to expire then, or a later
    moment to wait until instead (a deadline that can only move later, like a target's clock
    that stands still while it waits, keeps one timer instead of moving it every time).
    """

    __slots__ = ("_cancelling", "_expired", "_handle", "_loop", "_recheck", "_task")

    def __init__(self, when: float, recheck: Callable[[], float | None] | None = None) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("Deadline() used outside a task")
        self._task = task
        self._cancelling = task.cancelling()
        self._expired = False
        self._recheck = recheck
        self._loop = asyncio.get_running_loop()
        self._handle: asyncio.Handle = self._loop.call_at(when, self._expire)

    def _expire(self) -> None:
        if self._recheck is not None:
            later = self._recheck()
            if later is not None:
                self._handle = self._loop.call_at(later, self._expire)
                return
        self._expired = True
        self._task.cancel()

    def expired(self) -> bool:
        """Whether the deadline passed (the block was, or is being, cancelled by it)."""
        return self._expired

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._handle.cancel()
        # As ``asyncio.Timeout``: the deadline's cancellation is taken back whatever ended the
        # block, and it becomes a TimeoutError only if nobody else asked to cancel the task.
        # (``uncancel`` is called first, as there: the order matters.)
        if (
            self._expired
            and self._task.uncancel() <= self._cancelling
            and exc_type is asyncio.CancelledError
        ):
            raise TimeoutError from exc


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

    def __init__(
        self,
        concurrency: int,
        per_host: int,
        bucket: TokenBucket | None,
        *,
        max_pause: float = MAX_RETRY_AFTER,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._global = Gate(concurrency)
        self._per_host = per_host
        self._hosts: dict[tuple[str, str, int], HostThrottle] = {}
        self._max_pause = max_pause
        self._clock = clock
        self._sleep = sleep
        self.bucket = bucket
        """The rate limit (``None``: none); also taken by a request sent a second time."""

    def host(self, scheme: str, host: str, port: int | None) -> HostThrottle:
        """The throttle of one (scheme, host, port); a missing port is the scheme's default."""
        key = (scheme, host, port or DEFAULT_PORTS.get(scheme, 0))
        throttle = self._hosts.get(key)
        if throttle is None:
            throttle = self._hosts[key] = HostThrottle(
                f"{host}:{key[2]}",
                self._per_host,
                max_pause=self._max_pause,
                clock=self._clock,
                sleep=self._sleep,
            )
        return throttle

    async def run(
        self,
        host: HostThrottle,
        attempt: Callable[[], Awaitable[T]],
        meter: WireMeter | None,
    ) -> T:
        """``attempt()`` once a per-host slot, a global slot and a rate token are free."""
        waiting = True
        if meter is not None:
            meter.update(1, 0)
        try:
            # Per-host first: a request waiting for its busy host must not hold a global slot
            # that a request to an idle host could use.
            if not host.try_acquire():
                await host.acquire(meter)
            try:
                every = self._global
                if not every.try_acquire():
                    await every.acquire()
                try:
                    if self.bucket is not None:
                        await self.bucket.acquire()
                    waiting = False
                    if meter is not None:
                        meter.update(-1, 1)
                    return await attempt()
                finally:
                    every.release()
            finally:
                host.release()
        finally:
            if meter is not None:
                meter.update(-1, 0) if waiting else meter.update(0, -1)
