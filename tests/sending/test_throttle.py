"""Politeness that adapts (issue 18 item 4): a host answering 429 or 503 gets fewer requests in
flight and a pause for its ``Retry-After`` (capped), then slowly more again, never more than
``--per-host``. No test sleeps: the pause's clock and sleep are injected."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cors_audit.app.scan import ScanOptions, scan
from cors_audit.core.models import OriginClass, Probe, ProbeKind, ProbeOrigin, Target
from cors_audit.sending import engine as engine_mod
from cors_audit.sending.engine import Engine, EngineOptions
from cors_audit.sending.limits import (
    MAX_RETRY_AFTER,
    RECOVER_AFTER,
    HostThrottle,
    retry_after_seconds,
)

ATTACKER = ProbeOrigin("https://x1.attacker.net", OriginClass.ARBITRARY, "https://{label}.net")


class FakeTime:
    """A clock that only moves when slept on; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def test_retry_after_values() -> None:
    assert retry_after_seconds("5") == 5.0
    assert retry_after_seconds(" 120 ") == 120.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("-3") is None
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert retry_after_seconds(date, now=lambda: 1445412480.0 - 7.0) == pytest.approx(7.0)
    assert retry_after_seconds(date, now=lambda: 1445412480.0 + 50.0) == 0.0


def test_the_state_machine_backs_off_pauses_and_recovers_up_to_the_cap() -> None:
    fake = FakeTime()

    async def scenario() -> None:
        throttle = HostThrottle("h:80", 4, max_pause=30.0, clock=fake.clock, sleep=fake.sleep)
        assert throttle.summary() is None
        for _ in range(10):  # successes with no slow-down never raise it over the cap
            throttle.observe(200, None)
        assert throttle.allowed == 4

        throttle.observe(429, "5")
        assert throttle.allowed == 2
        assert throttle.paused_until == pytest.approx(1005.0)
        await throttle.acquire()  # waits out the pause on the injected clock
        assert fake.slept == [pytest.approx(5.0)]
        throttle.release()

        throttle.observe(503, None)  # no Retry-After: halve, no pause
        assert throttle.allowed == 1
        throttle.observe(429, "99999")  # hostile: capped
        assert throttle.allowed == 1  # never below one
        assert throttle.paused_until == pytest.approx(fake.now + 30.0)
        await throttle.acquire()
        assert fake.slept[-1] == pytest.approx(30.0)
        throttle.release()

        throttle.observe(404, None)  # an error status is no success
        for _ in range(RECOVER_AFTER - 1):
            throttle.observe(200, None)
        assert throttle.allowed == 1
        throttle.observe(200, None)
        assert throttle.allowed == 2
        for _ in range(RECOVER_AFTER * 10):
            throttle.observe(204, None)
        assert throttle.allowed == 4  # recovered, and --per-host stays the cap

        summary = throttle.summary()
        assert summary is not None
        assert summary.statuses == (429, 503)
        assert summary.retry_after == 30.0
        assert summary.lowest == 1
        assert summary.note().startswith(
            "The server asked to slow down (429/503, Retry-After 30 s); requests to h:80 were "
            "throttled to 1 in flight."
        )

    asyncio.run(scenario())


def test_the_throttle_holds_requests_beyond_the_allowed_number() -> None:
    async def scenario() -> None:
        throttle = HostThrottle("h:80", 2)
        throttle.observe(429, None)
        assert throttle.allowed == 1
        await throttle.acquire()
        second = asyncio.create_task(throttle.acquire())
        for _ in range(20):
            await asyncio.sleep(0)
        assert not second.done()  # only one in flight
        throttle.release()
        await asyncio.wait_for(second, 5)
        assert throttle.in_flight == 1
        throttle.release()

    asyncio.run(scenario())


class SlowDownServer:
    """A loopback HTTP server that answers the first ``first`` requests 429 with a hostile
    ``Retry-After`` (only once ``first`` are in flight together), the rest 200; counts the
    requests in flight, overall and after the first 429 went out."""

    def __init__(self, first: int, retry_after: str) -> None:
        self.first = first
        self.retry_after = retry_after
        self.seen = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.after_in_flight = 0
        self.max_early = 0
        """Most requests in flight (429s excluded) while one of the first RECOVER_AFTER after
        the 429s was."""
        self.max_after = 0
        self.all_in = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if not head:
                    return
                await self.answer(writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def answer(self, writer: asyncio.StreamWriter) -> None:
        self.seen += 1
        number = self.seen
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if number <= self.first:
            if self.in_flight >= self.first:
                self.all_in.set()
            await self.all_in.wait()
            reply = (
                f"HTTP/1.1 429 Too Many Requests\r\nRetry-After: {self.retry_after}\r\n"
                "Content-Length: 0\r\n\r\n"
            )
        else:
            self.after_in_flight += 1
            self.max_after = max(self.max_after, self.after_in_flight)
            if number <= self.first + RECOVER_AFTER:
                self.max_early = max(self.max_early, self.after_in_flight)
            for _ in range(20):  # give other requests a chance to overlap this one
                await asyncio.sleep(0)
            reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
            self.after_in_flight -= 1
        self.in_flight -= 1
        writer.write(reply.encode())
        await writer.drain()


def run_against(server: SlowDownServer, body: Callable[[str], Awaitable[None]]) -> None:
    async def scenario() -> None:
        listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        async with listener:
            await body(f"http://127.0.0.1:{port}")

    asyncio.run(scenario())


@pytest.mark.parametrize("fast", [True, False], ids=["aiohttp", "httpx"])
def test_a_429_lowers_concurrency_and_the_hostile_retry_after_is_capped(
    monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    fake = FakeTime()
    monkeypatch.setattr(engine_mod, "_throttle_clock", fake.clock)
    monkeypatch.setattr(engine_mod, "_throttle_sleep", fake.sleep)
    server = SlowDownServer(first=4, retry_after="86400")
    options = EngineOptions(per_host=4, timeout=20, retries=0, fast_transport=fast)
    found: list[str] = []

    async def body(base: str) -> None:
        probes = [Probe(ProbeKind.ACTUAL, f"{base}/{i}", ATTACKER, "GET", "GET") for i in range(16)]
        async with Engine(options) as engine:
            exchanges = await asyncio.wait_for(engine.send_many(probes), 30)
            summary = engine.throttle(f"{base}/")
            assert summary is not None
            found.append(summary.note())
        statuses = [e.response.status for e in exchanges if e.response is not None]
        assert statuses.count(429) == 4  # kept as evidence, not sent again
        assert statuses.count(200) == 12

    run_against(server, body)

    assert server.seen == 16
    assert server.max_in_flight == 4  # --per-host reached, never exceeded
    assert server.max_early == 1  # four 429s halved 4 to 1 in flight
    assert server.max_after <= 3  # then +1 per RECOVER_AFTER successes: 12 make at most 3
    assert fake.slept
    assert max(fake.slept) == pytest.approx(MAX_RETRY_AFTER)
    assert found[0].startswith(
        "The server asked to slow down (429, Retry-After 30 s); requests to 127.0.0.1:"
    )
    assert "throttled to 1 in flight" in found[0]


def test_the_pause_is_bounded_by_the_request_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeTime()
    monkeypatch.setattr(engine_mod, "_throttle_clock", fake.clock)
    monkeypatch.setattr(engine_mod, "_throttle_sleep", fake.sleep)
    server = SlowDownServer(first=1, retry_after="600")
    options = EngineOptions(per_host=1, timeout=2, retries=0)

    async def body(base: str) -> None:
        probes = [Probe(ProbeKind.ACTUAL, f"{base}/{i}", ATTACKER, "GET", "GET") for i in range(3)]
        async with Engine(options) as engine:
            await asyncio.wait_for(engine.send_many(probes), 30)

    run_against(server, body)
    assert fake.slept
    assert max(fake.slept) == pytest.approx(options.attempt_deadline)
    assert options.attempt_deadline < MAX_RETRY_AFTER


def test_the_note_appears_only_for_a_target_asked_to_slow_down() -> None:
    url = "http://127.0.0.1:9/api/items"
    answered = 0

    def first_throttled(request: httpx.Request) -> httpx.Response:
        nonlocal answered
        answered += 1
        if answered == 1:
            return httpx.Response(503, headers={"Retry-After": "0"})
        return httpx.Response(200)

    def fine(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200)

    options = ScanOptions(engine=EngineOptions(retries=0, per_host=4))
    (slowed,) = scan(
        [Target(url=url)], None, options, transport=httpx.MockTransport(first_throttled)
    )
    (calm,) = scan([Target(url=url)], None, options, transport=httpx.MockTransport(fine))

    assert [
        n
        for n in slowed.notes
        if n.startswith("The server asked to slow down (503, Retry-After 0 s)")
    ]
    assert "requests to 127.0.0.1:9 were throttled to 2 in flight" in " ".join(slowed.notes)
    assert not [n for n in calm.notes if "slow down" in n]


@settings(max_examples=80, deadline=None)
@given(
    cap=st.integers(1, 5),
    plan=st.lists(
        st.tuples(
            st.integers(0, 3),  # loop turns the request holds its slot
            st.sampled_from([200, 200, 200, 429, 503, 404]),  # the reply's status
            st.sampled_from([None, "0", "2", "40"]),  # its Retry-After
        ),
        min_size=1,
        max_size=30,
    ),
    cancelled=st.sets(st.integers(0, 29)),
)
def test_every_request_gets_its_turn_and_the_cap_holds(
    cap: int, plan: list[tuple[int, int, str | None]], cancelled: set[int]
) -> None:
    # Slots go straight to the first waiter (no newcomer jumps the line), a slow-down reply
    # halves the cap and pauses the host, a waiter can be cancelled at any point: whatever the
    # order, no request waits for ever and the host never has more in flight than allowed.
    now = [1000.0]  # a clock that moves one second per loop turn, so pauses overlap releases

    async def sleep(seconds: float) -> None:
        end = now[0] + seconds
        while now[0] < end:  # noqa: ASYNC110 - the fake clock moves one second per turn
            await asyncio.sleep(0)

    async def tick() -> None:
        while True:
            now[0] += 1.0
            await asyncio.sleep(0)

    async def scenario() -> None:
        throttle = HostThrottle("h:80", cap, clock=lambda: now[0], sleep=sleep)
        ticker = asyncio.create_task(tick())
        holders = 0

        async def request(turns: int, status: int, retry_after: str | None) -> None:
            nonlocal holders
            if not throttle.try_acquire():
                await throttle.acquire()
            holders += 1
            assert holders <= cap
            assert throttle.in_flight <= cap
            try:
                for _ in range(turns):
                    await asyncio.sleep(0)
                throttle.observe(status, retry_after)
            finally:
                holders -= 1
                throttle.release()

        tasks = [asyncio.create_task(request(*step)) for step in plan]
        await asyncio.sleep(0)
        for index in cancelled:
            if index < len(tasks):
                tasks[index].cancel()
        _, pending = await asyncio.wait(tasks, timeout=5)
        ticker.cancel()
        assert not pending, "a request waited for ever"
        assert holders == 0
        assert throttle.in_flight == 0

    asyncio.run(scenario())
