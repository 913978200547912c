"""The scan: wire the stages for every target and return `TargetResult` records.

targets → (policy per URL) → origins → probes round 1 → engine → probes round 2 → engine →
rules → scoring. One failing target becomes a result with ``error`` set; the others go on.
This module does no output and no argument parsing (the run around it is ``app/run.py``).

Two limits keep one hostile target from holding up the scan: a per-target deadline
(``target_deadline``, an error of kind ``timeout`` naming it and how many probes had
completed) and a per-target request budget (``max_requests_per_target``: the probes beyond it
are not sent, and a note says so). A target whose plan either budget cut short is
``incomplete``: its findings stand, but it has no grade and counts as an error for the exit
code, since what was not sent may have been the probe that finds the hole. The deadline
counts the time the target is being worked on: while every request of the target waits behind
other targets' requests for a shared slot (``--concurrency``, ``--per-host``, ``--rate``), its
clock stands still, so a rate-limited scan of many targets does not time them all out.

Memory grows with the findings, not with the requests: ``max_targets_in_flight`` workers pull
the targets one at a time, and a finished target keeps only the exchanges its findings cite as
evidence (`settle`, ``app/memory.py``), after the summaries the report needs from all of them
(``observed``, ``stack``) were computed; equal header lines, replies and policies are shared.
``keep_exchanges`` keeps every exchange (tests, debugging).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Final, Self, cast

from cors_audit.app.memory import GC_THRESHOLDS, Interner, collector_tuned, settle
from cors_audit.browser import Mode
from cors_audit.core.errors import UsageError
from cors_audit.core.models import (
    EffectivePolicy,
    ErrorKind,
    Exchange,
    Exploitability,
    Finding,
    Probe,
    ProbeKind,
    ResponseRecord,
    ScanError,
    Target,
    TargetResult,
)
from cors_audit.inputs.policy import Policy, policy_free
from cors_audit.inputs.settings import (
    BROWSER_MODE,
    MAX_REQUESTS_PER_TARGET,
    TARGET_DEADLINE,
    THOROUGH,
)
from cors_audit.judging import rules, scoring
from cors_audit.probing import origins as origins_mod
from cors_audit.probing import planner as probes
from cors_audit.sending.engine import Engine, EngineOptions, ProgressObserver, Transport
from cors_audit.sending.limits import SLOW_DOWN, Deadline

DEFAULT_MODE: Final = cast("Mode", BROWSER_MODE.default)
"""The browser model judged by default (``--browser-mode``)."""
DEFAULT_TARGET_DEADLINE: Final = TARGET_DEADLINE.default
"""Seconds; a normal target needs well under one (a few dozen requests, 6 at a time)."""
DEFAULT_MAX_REQUESTS_PER_TARGET: Final = MAX_REQUESTS_PER_TARGET.default
"""A normal target needs a few dozen probes; the budget only stops a runaway plan."""
MAX_ROUNDS: Final = 8
"""Most follow-up rounds per target. A plan needs four at most (confirmations; gate probes;
variants of the origins the server admitted and actual requests after passing gate preflights;
actual requests after the variants' gate preflights); the bound only guards against a loop."""


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """Everything that shapes a scan besides the targets and the policy."""

    engine: EngineOptions = field(default_factory=EngineOptions)
    mode: Mode = DEFAULT_MODE
    """Browser model mode (BROWSER-MODEL.md §3.4)."""
    label: str | None = None
    """The random label used in attacker origins; a fresh one per run when ``None``."""
    max_targets_in_flight: int = 64
    """How many targets are scanned at once (requests are further limited by the engine)."""
    target_deadline: float | None = DEFAULT_TARGET_DEADLINE
    """Seconds one target may be worked on (time spent only waiting behind other targets for
    a shared slot does not count); then it becomes an error of kind ``timeout``. ``None``: no
    limit."""
    max_requests_per_target: int = DEFAULT_MAX_REQUESTS_PER_TARGET
    """Most probes sent to one target (retries of a failed connect not counted); the rest are
    skipped with a note."""
    max_requests: int | None = None
    """Most requests for the whole scan (``--max-requests``); targets not reached get an error."""
    thorough: bool = THOROUGH.default
    """Derive narrow origins from every trusted origin, probe every hosting platform and send
    both probe kinds for each at once (about three times the requests)."""
    exhaustive: bool = False
    """Turn every planner shortcut off: every probe origin gets every probe kind the plan knows
    for it, confirmations are always sent and reflection never stops the plan. For the property
    test that checks the default plan against it, and for debugging a verdict."""
    keep_exchanges: bool = False
    """Keep every exchange on each `TargetResult` (tests, debugging). By default a finished
    target keeps only the exchanges its findings cite as evidence, with the summaries the report
    needs (``observed``, ``stack``) computed first, so a scan's memory does not grow per
    request."""

    def __post_init__(self) -> None:
        if self.max_targets_in_flight < 1:
            raise UsageError(
                f"targets in flight must be at least 1 (got {self.max_targets_in_flight})"
            )
        if self.target_deadline is not None and not self.target_deadline > 0:
            raise UsageError(
                "--target-deadline must be a positive number of seconds "
                f"(got {self.target_deadline})"
            )
        if self.max_requests_per_target < 1:
            raise UsageError(
                f"--max-requests-per-target must be at least 1 (got {self.max_requests_per_target})"
            )
        if self.max_requests is not None and self.max_requests < 1:
            raise UsageError(f"--max-requests must be at least 1 (got {self.max_requests})")


def effective_policy(policy: Policy | None, target: Target) -> EffectivePolicy:
    """The policy for one target, or the policy-free default (trust the target's own origin)."""
    if policy is None:
        return policy_free(target.origin)
    return policy.for_url(target.url)


class _TargetClock:
    """The per-target deadline, a clock that stands still while every pending request of the
    target waits for a shared slot (a `WireMeter` fed by the engine).

    Told three times per request, it only keeps count: its one timer is set for the earliest
    moment the time can run out (as if the clock never stopped: it can only run out later) and,
    when it fires, is set again for what is left if the clock stood still meanwhile
    (`Deadline`'s ``recheck``). Moving a timer at every stop and start cost a timer per
    request. Used as ``with clock:``, inside the target's task."""

    def __init__(self, seconds: float | None) -> None:
        self._loop = asyncio.get_running_loop()
        self._left = seconds
        self._since = self._loop.time()
        self._queued = 0
        self._on_wire = 0
        self._deadline = None if seconds is None else Deadline(self._since + seconds, self._recheck)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._deadline is not None:
            self._deadline.__exit__(exc_type, exc, tb)

    def expired(self) -> bool:
        """Whether the target's time ran out (the block was cancelled for it)."""
        return self._deadline is not None and self._deadline.expired()

    def _running(self) -> bool:
        return self._on_wire > 0 or self._queued == 0

    def _recheck(self) -> float | None:
        """At the timer: ``None`` when the time has run out, else when to look again."""
        now = self._loop.time()
        assert self._left is not None  # no deadline, no timer
        left = self._left
        if self._running():
            left -= now - self._since
        return None if left <= 0 else now + left

    def update(self, queued: int, on_wire: int) -> None:
        # Told three times per request: `_running` inlined.
        was = self._on_wire > 0 or self._queued == 0
        self._queued += queued
        self._on_wire += on_wire
        now = self._on_wire > 0 or self._queued == 0
        if was is now or self._left is None:
            return
        moment = self._loop.time()
        if was:  # stop the clock
            self._left -= moment - self._since
        else:  # start it again
            self._since = moment


class _ScanBudget:
    """The whole scan's request budget (``--max-requests``), shared by every target."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.left = limit

    def take(self, wanted: int) -> int:
        """How many of ``wanted`` requests may still be sent (and count them as sent)."""
        if self.left is None:
            return wanted
        granted = min(wanted, self.left)
        self.left -= granted
        return granted


_ProbeKey = tuple[str | None, ProbeKind, str]


def _key(probe: Probe) -> _ProbeKey:
    """A probe as the planner tells probes apart (a probe cut twice is counted once)."""
    return (probe.origin.value if probe.origin else None, probe.kind, probe.purpose)


class _Sent:
    """Exchanges of one target as they complete, so a deadline keeps the finished ones."""

    def __init__(self, engine: Engine, clock: _TargetClock, budget: _ScanBudget) -> None:
        self._engine = engine
        self._clock = clock
        self._budget = budget
        self.done: dict[int, Exchange] = {}
        self.planned = 0
        self.cut: dict[_ProbeKey, Probe] = {}
        """Probes not sent because the scan's budget was used up."""

    def throttle_notes(self, exchanges: Sequence[Exchange]) -> list[str]:
        """A note per host that answered one of ``exchanges`` with 429 or 503, saying how its
        requests were throttled (none when no reply asked to slow down)."""
        notes: list[str] = []
        for exchange in exchanges:
            if exchange.response is None or exchange.response.status not in SLOW_DOWN:
                continue
            summary = self._engine.throttle(exchange.probe.url)
            if summary is not None and summary.note() not in notes:
                notes.append(summary.note())
        return notes

    async def round(self, probes: Sequence[Probe]) -> list[Exchange]:
        granted = self._budget.take(len(probes))
        self.cut.update((_key(p), p) for p in probes[granted:])
        probes = probes[:granted]
        first = self.planned
        self.planned += len(probes)

        async def one(index: int, probe: Probe) -> Exchange:
            exchange = await self._engine.send(probe, meter=self._clock)
            self.done[index] = exchange
            return exchange

        return list(await asyncio.gather(*(one(first + i, p) for i, p in enumerate(probes))))

    def completed(self) -> tuple[Exchange, ...]:
        return tuple(self.done[index] for index in sorted(self.done))


def _compressed_note(exchanges: Sequence[Exchange]) -> str | None:
    codings = sorted(
        {
            value.strip().lower()
            for e in exchanges
            if e.response is not None
            for name, value in e.response.headers
            if name.lower() == "content-encoding" and value.strip().lower() not in ("", "identity")
        }
    )
    if not codings:
        return None
    return (
        f"Some replies had a compressed body (Content-Encoding: {', '.join(codings)}) although "
        "the scan asked for identity; the raw bytes were kept, never decompressed."
    )


def _is_error_status(status: int) -> bool:
    return status in (404, 405) or status >= 500


def _error_status_note(exchanges: Sequence[Exchange]) -> str | None:
    """A note when every reply had an error status (404, 405 or 5xx): the scan most likely
    hit the wrong URL or method, or a failing server, and its CORS headers (often those of an
    error page added by another layer) say little about the real endpoint."""
    statuses = sorted({e.response.status for e in exchanges if e.response is not None})
    if not statuses or not all(_is_error_status(status) for status in statuses):
        return None
    seen = (
        str(statuses[0])
        if len(statuses) == 1
        else f"an error status ({', '.join(str(s) for s in statuses)})"
    )
    return (
        f"Every reply was {seen}: is this the right URL (and method)? The judgement rests on "
        "the CORS headers of error replies, which the real endpoint may not share."
    )


def _budget(
    probes: Sequence[Probe], left: int, skipped: dict[_ProbeKey, Probe]
) -> tuple[Probe, ...]:
    """The probes that fit in what is ``left`` of the budget; those cut go to ``skipped``."""
    left = max(0, left)
    skipped.update((_key(p), p) for p in probes[left:])
    return tuple(probes[:left])


def _incomplete_note(cut: Sequence[Probe]) -> str:
    """What a budget kept from being sent: how many probes, of which kinds and origin classes."""
    kinds: dict[str, int] = {}
    classes: dict[str, None] = {}
    for probe in cut:
        kinds[probe.kind.value] = kinds.get(probe.kind.value, 0) + 1
        classes[probe.origin.cls.value if probe.origin else "no origin"] = None
    what = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
    return (
        f"Incomplete: {len(cut)} planned probes were not sent ({what}; origin classes: "
        f"{', '.join(classes)}), nor what their replies would have led to. Without them a "
        "clean result proves nothing: this target has no grade and counts as an error for the "
        "exit code (exit 3 unless --allow-errors; findings that were proven still count)."
    )


async def _scan_target(
    engine: Engine,
    target: Target,
    policy: EffectivePolicy,
    label: str,
    options: ScanOptions,
    credentialed: bool,
    budget: _ScanBudget | None = None,
) -> TargetResult:
    clock = _TargetClock(options.target_deadline)
    sent = _Sent(engine, clock, budget or _ScanBudget(None))
    notes: list[str] = []
    if policy.policy_free:
        notes.append(
            "No policy was given: the target's own origin is the only trusted one and rules "
            "that compare with an intended policy were skipped."
        )
    try:
        with clock:
            return await _judge_target(sent, target, policy, label, options, credentialed, notes)
    except TimeoutError:
        if not clock.expired():
            raise  # not ours (the engine turns its own timeouts into data)
    done = sent.completed()
    message = (
        f"target deadline exceeded: the scan of this target did not finish within "
        f"{options.target_deadline:g} s (--target-deadline); {len(done)} of {sent.planned} "
        "probes had completed"
    )
    return TargetResult(
        target=target,
        policy=policy,
        exchanges=done,
        error=ScanError(ErrorKind.TIMEOUT, message),
        requests=len(done),
        score=0,
        grade=scoring.NO_GRADE,
        notes=tuple(notes),
    )


async def _judge_target(
    sent: _Sent,
    target: Target,
    policy: EffectivePolicy,
    label: str,
    options: ScanOptions,
    credentialed: bool,
    notes: list[str],
) -> TargetResult:
    budget = options.max_requests_per_target
    skipped: dict[_ProbeKey, Probe] = {}
    candidates = origins_mod.probe_origins(target.origin, policy, label, thorough=options.thorough)
    round1 = probes.plan_initial(target, policy, candidates, label, credentialed=credentialed)
    # Sent attacker first (a budget cuts from the end), judged trusted first.
    exchanges = probes.judged_order(await sent.round(_budget(round1, budget, skipped)))
    if not exchanges:
        return TargetResult(
            target=target,
            policy=policy,
            error=ScanError(
                ErrorKind.OTHER,
                "not scanned: the scan's request budget (--max-requests) was used up before "
                "this target's turn",
            ),
            score=0,
            grade=scoring.NO_GRADE,
            notes=tuple(notes),
        )
    baseline = exchanges[0]
    if baseline.error is not None:
        # The target itself is unreachable: record why, keep the evidence, go on.
        return TargetResult(
            target=target,
            policy=policy,
            exchanges=tuple(exchanges),
            error=baseline.error,
            requests=len(exchanges),
            score=0,
            grade=scoring.NO_GRADE,
            notes=tuple(notes),
        )
    for _ in range(MAX_ROUNDS):
        more, note = probes.plan_next(
            target,
            policy,
            label,
            exchanges,
            credentialed=credentialed,
            thorough=options.thorough,
            exhaustive=options.exhaustive,
        )
        if note is not None and note not in notes:
            notes.append(note)
        more = _budget(more, budget - len(exchanges), skipped)
        if not more:
            break
        replies = await sent.round(more)
        exchanges += replies
        if len(replies) < len(more):
            break  # the scan's budget is used up: nothing more can be sent
    if skipped:
        notes.append(
            f"{len(skipped)} planned probes were not sent: the request budget of {budget} per "
            "target (--max-requests-per-target) was reached; the judgement rests on the rest."
        )
    if sent.cut:
        notes.append(
            f"{len(sent.cut)} planned probes were not sent: the scan's request budget "
            "(--max-requests) was used up; the judgement rests on the rest."
        )
    cut = list({**skipped, **sent.cut}.values())
    if cut:
        notes.append(_incomplete_note(cut))
    failed = [e for e in exchanges if e.error is not None]
    if failed:
        kinds = sorted({e.error.kind.value for e in failed if e.error is not None})
        notes.append(
            f"{len(failed)} of {len(exchanges)} probes got no reply ({', '.join(kinds)}); "
            "they were left out of the judgement."
        )
    compressed = _compressed_note(exchanges)
    if compressed is not None:
        notes.append(compressed)
    error_status = _error_status_note(exchanges)
    if error_status is not None:
        notes.append(error_status)
    notes.extend(sent.throttle_notes(exchanges))
    findings, inconsistent = rules.judge(
        target, policy, exchanges, mode=options.mode, credentials_given=credentialed
    )
    if inconsistent is not None:
        notes.append(inconsistent)
    if credentialed:
        findings, anonymous = await _compare_anonymous(sent, findings)
        exchanges += anonymous
    score = scoring.target_score(findings)
    return TargetResult(
        target=target,
        policy=policy,
        exchanges=tuple(exchanges),
        findings=findings,
        incomplete=bool(cut),
        requests=len(exchanges),
        score=0 if cut else score,
        grade=scoring.NO_GRADE if cut else scoring.grade_for(score),
        notes=tuple(notes),
    )


async def _compare_anonymous(
    sent: _Sent, findings: Sequence[Finding]
) -> tuple[tuple[Finding, ...], list[Exchange]]:
    """Send the credentialed actual request behind each credentialed finding once more without
    the user's credentials, and record on the finding whether the replies differ (status,
    length or content): evidence that the exposed response really carries the user's data."""
    proofs: dict[str, Exchange] = {}
    for finding in findings:
        if not finding.credentialed:
            continue
        proof = next(
            (
                e
                for e in finding.evidence
                if e.response is not None
                and e.probe.kind is ProbeKind.ACTUAL
                and e.probe.credentialed
            ),
            None,
        )
        if proof is not None:
            proofs[finding.fingerprint] = proof
    if not proofs:
        return tuple(findings), []
    unique = list({id(e): e for e in proofs.values()}.values())
    replies = await sent.round(
        [replace(e.probe, credentialed=False, purpose=probes.ANONYMOUS) for e in unique]
    )
    by_proof = {id(e): r for e, r in zip(unique, replies, strict=False)}
    updated: list[Finding] = []
    for finding in findings:
        proof = proofs.get(finding.fingerprint)
        reply = None if proof is None else by_proof.get(id(proof))
        if proof is None or reply is None or reply.response is None:
            updated.append(finding)
            continue
        assert proof.response is not None
        differs = _shape(proof.response) != _shape(reply.response)
        context = replace(finding.exploitability or Exploitability(), per_user=differs)
        detail = finding.detail
        if differs:
            detail += (
                " The reply sent with the user's credentials differs from the anonymous one "
                "(status, length or content): it carries their data."
            )
        updated.append(
            replace(
                finding,
                exploitability=context,
                detail=detail,
                evidence=(*finding.evidence, reply),
            )
        )
    return tuple(updated), replies


def _shape(response: ResponseRecord) -> tuple[int, int, str | None]:
    return response.status, response.body_bytes, response.body_sha256


async def scan_async(
    targets: Sequence[Target],
    policy: Policy | None,
    options: ScanOptions,
    *,
    observer: ProgressObserver | None = None,
    on_target: Callable[[TargetResult], None] | None = None,
    transport: Transport | None = None,
    keep_results: bool = True,
) -> list[TargetResult]:
    """Scan every target (order of results = order of targets).

    ``max_targets_in_flight`` workers pull the targets one at a time, so the scan holds the
    coroutines of that many targets, not one per target, and each finished result is slimmed
    (`settle`) before the next target starts. With ``keep_results`` false the results go to
    ``on_target`` only and the list returned is empty: the command spools each one as it comes
    (``report/spool.py``), so memory does not grow with the targets."""
    label = options.label or origins_mod.new_label()
    credentialed = bool(options.engine.headers or options.engine.cookie)
    budget = _ScanBudget(options.max_requests)
    results: list[TargetResult | None] = [None] * len(targets)
    pending = iter(enumerate(targets))
    interner = Interner()

    async with Engine(options.engine, transport=transport, observer=observer) as engine:

        async def worker() -> None:
            for index, target in pending:
                result = await _scan_target(
                    engine,
                    target,
                    effective_policy(policy, target),
                    label,
                    options,
                    credentialed,
                    budget,
                )
                result = settle(result, keep_exchanges=options.keep_exchanges, interner=interner)
                if keep_results:
                    results[index] = result
                if on_target is not None:
                    on_target(result)

        workers = min(options.max_targets_in_flight, len(targets))
        await asyncio.gather(*(worker() for _ in range(workers)))
    return [result for result in results if result is not None]


def scan(
    targets: Sequence[Target],
    policy: Policy | None,
    options: ScanOptions,
    *,
    observer: ProgressObserver | None = None,
    on_target: Callable[[TargetResult], None] | None = None,
    transport: Transport | None = None,
    keep_results: bool = True,
) -> list[TargetResult]:
    """Synchronous wrapper around `scan_async`, with the garbage collector tuned for it."""
    with collector_tuned():
        return asyncio.run(
            scan_async(
                targets,
                policy,
                options,
                observer=observer,
                on_target=on_target,
                transport=transport,
                keep_results=keep_results,
            )
        )


__all__ = [
    "DEFAULT_MAX_REQUESTS_PER_TARGET",
    "DEFAULT_TARGET_DEADLINE",
    "GC_THRESHOLDS",
    "ScanOptions",
    "collector_tuned",
    "effective_policy",
    "scan",
    "scan_async",
    "settle",
]
