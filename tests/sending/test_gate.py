"""`Gate`, the engine's overall cap (``--concurrency``, issue 18 "nearer the wire"): a semaphore
whose free slot is taken without a coroutine. It keeps ``asyncio.Semaphore``'s behaviour: never
more holders than slots, waiters served first come first served (a newcomer never takes a slot
past them), and a waiter cancelled after being handed a slot passes it on."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cors_audit.sending.limits import Deadline, Gate


def test_free_slots_are_taken_at_once_and_no_more() -> None:
    gate = Gate(2)
    assert gate.try_acquire()
    assert gate.try_acquire()
    assert not gate.try_acquire()
    gate.release()
    assert gate.try_acquire()


def test_waiters_are_served_in_order_and_no_newcomer_jumps_the_line() -> None:
    async def scenario() -> list[str]:
        gate = Gate(1)
        served: list[str] = []
        assert gate.try_acquire()

        async def wait(name: str) -> None:
            await gate.acquire()
            served.append(name)

        tasks = [asyncio.create_task(wait(name)) for name in ("a", "b", "c")]
        await asyncio.sleep(0)
        gate.release()  # handed to "a", which has not run yet
        assert not gate.try_acquire()  # a newcomer does not take it past "a"
        await asyncio.sleep(0)
        assert served == ["a"]
        gate.release()
        await asyncio.sleep(0)
        gate.release()
        await asyncio.gather(*tasks)
        assert gate.free == 0  # "c" holds the only slot
        gate.release()
        assert gate.free == 1
        return served

    assert asyncio.run(scenario()) == ["a", "b", "c"]


def test_a_waiter_cancelled_after_it_was_handed_a_slot_passes_it_on() -> None:
    async def scenario() -> None:
        gate = Gate(1)
        assert gate.try_acquire()
        first = asyncio.create_task(gate.acquire())
        second = asyncio.create_task(gate.acquire())
        await asyncio.sleep(0)
        gate.release()  # handed to `first`...
        first.cancel()  # ...which leaves before it runs
        with pytest.raises(asyncio.CancelledError):
            await first
        await asyncio.wait_for(second, 1)  # `second` got the slot
        assert gate.free == 0
        gate.release()
        assert gate.free == 1

    asyncio.run(scenario())


def test_a_waiter_cancelled_while_waiting_leaves_the_line() -> None:
    async def scenario() -> None:
        gate = Gate(1)
        assert gate.try_acquire()
        waiting = asyncio.create_task(gate.acquire())
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        gate.release()
        assert gate.free == 1
        assert gate.try_acquire()

    asyncio.run(scenario())


@settings(max_examples=60, deadline=None)
@given(
    slots=st.integers(1, 4),
    holds=st.lists(st.integers(0, 3), min_size=1, max_size=25),
    cancelled=st.sets(st.integers(0, 24)),
)
def test_never_more_holders_than_slots_and_every_slot_comes_back(
    slots: int, holds: list[int], cancelled: set[int]
) -> None:
    async def scenario() -> None:
        gate = Gate(slots)
        holders = 0
        most = 0

        async def hold(ticks: int) -> None:
            nonlocal holders, most
            if not gate.try_acquire():
                await gate.acquire()
            holders += 1
            most = max(most, holders)
            try:
                for _ in range(ticks):
                    await asyncio.sleep(0)
            finally:
                holders -= 1
                gate.release()

        tasks = [asyncio.create_task(hold(ticks)) for ticks in holds]
        await asyncio.sleep(0)
        for index in cancelled:
            if index < len(tasks):
                tasks[index].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert most <= slots
        assert holders == 0
        assert gate.free == slots

    asyncio.run(scenario())


# `Deadline`: ``asyncio.timeout_at`` as a plain ``with`` block (each attempt's deadline). Each
# scenario runs under both, and both must end the same way.

Scenario = str
SCENARIOS: tuple[Scenario, ...] = (
    "finishes in time",
    "expires",
    "cancelled by somebody else",
    "expires and cancelled by somebody else",
    "expires, then the block swallows the cancellation",
)


async def _run(scenario: Scenario, use_deadline: bool) -> tuple[str, bool]:
    loop = asyncio.get_running_loop()
    late = scenario == "finishes in time" or scenario == "cancelled by somebody else"
    when = loop.time() + (3600 if late else 0)
    never: asyncio.Future[None] = loop.create_future()
    expired = False

    async def block() -> None:
        nonlocal expired
        if use_deadline:
            with Deadline(when) as deadline:
                await body()
            expired = deadline.expired()
        else:
            async with asyncio.timeout_at(when) as timeout:
                await body()
            expired = timeout.expired()

    async def body() -> None:
        if scenario == "finishes in time":
            await asyncio.sleep(0)
        elif scenario == "expires, then the block swallows the cancellation":
            with contextlib.suppress(asyncio.CancelledError):
                await never
        else:
            await never

    task = asyncio.create_task(block())
    await asyncio.sleep(0)
    if scenario.startswith("expires and"):
        await asyncio.sleep(0)  # the deadline's callback runs, then somebody else cancels
        task.cancel()
    elif scenario == "cancelled by somebody else":
        task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        return "cancelled", expired
    except TimeoutError:
        return "timeout", True
    return "done", expired


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_deadline_behaves_as_asyncio_timeout_at(scenario: Scenario) -> None:
    expected = asyncio.run(_run(scenario, use_deadline=False))
    assert asyncio.run(_run(scenario, use_deadline=True)) == expected


def test_deadline_outcomes() -> None:
    outcomes = {s: asyncio.run(_run(s, use_deadline=True))[0] for s in SCENARIOS}
    assert outcomes == {
        "finishes in time": "done",
        "expires": "timeout",
        "cancelled by somebody else": "cancelled",
        "expires and cancelled by somebody else": "cancelled",
        "expires, then the block swallows the cancellation": "done",
    }


def test_deadline_needs_a_task() -> None:
    async def scenario() -> BaseException | None:
        loop = asyncio.get_running_loop()
        raised: asyncio.Future[BaseException | None] = loop.create_future()

        def callback() -> None:  # a loop callback runs outside any task
            try:
                Deadline(loop.time())
            except RuntimeError as exc:
                raised.set_result(exc)
            else:
                raised.set_result(None)

        loop.call_soon(callback)
        return await raised

    assert "outside a task" in str(asyncio.run(scenario()))


def test_deadline_recheck_waits_until_the_moment_it_names() -> None:
    # A deadline that can only move later (a target's clock standing still while it waits):
    # at the timer, `recheck` names a later moment twice, then lets it expire.
    async def scenario() -> tuple[list[float], bool]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        asked: list[float] = []

        def recheck() -> float | None:
            asked.append(loop.time() - start)
            return None if len(asked) == 3 else loop.time()  # look again at the next turn

        never: asyncio.Future[None] = loop.create_future()
        with pytest.raises(TimeoutError), Deadline(start, recheck) as deadline:
            await never
        return asked, deadline.expired()

    asked, expired = asyncio.run(scenario())
    assert len(asked) == 3
    assert asked == sorted(asked)
    assert expired


def test_deadline_recheck_is_not_asked_when_the_block_ends_first() -> None:
    async def scenario() -> list[float]:
        loop = asyncio.get_running_loop()
        asked: list[float] = []
        with Deadline(loop.time() + 3600, lambda: asked.append(1.0) or None) as deadline:
            await asyncio.sleep(0)
        assert not deadline.expired()
        return asked

    assert asyncio.run(scenario()) == []
