"""The scan: wire the stages for every target and return `TargetResult` records.

targets → (policy per URL) → origins → probes round 1 → engine → probes round 2 → engine →
rules → scoring. One failing target becomes a result with ``error`` set; the others go on.
This module does no output and no argument parsing (that is ``cli.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cors_audit import origins as origins_mod
from cors_audit import probes, rules, scoring, spec
from cors_audit.engine import Engine, EngineOptions, ProgressObserver, Transport
from cors_audit.models import EffectivePolicy, Exchange, Target, TargetResult
from cors_audit.policy import Policy, policy_free


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """Everything that shapes a scan besides the targets and the policy."""

    engine: EngineOptions = field(default_factory=EngineOptions)
    mode: spec.Mode = "chromium"
    """Browser model mode (CORS-SPEC.md §3.4)."""
    label: str | None = None
    """The random label used in attacker origins; a fresh one per run when ``None``."""
    max_targets_in_flight: int = 64
    """How many targets are scanned at once (requests are further limited by the engine)."""


def effective_policy(policy: Policy | None, target: Target) -> EffectivePolicy:
    """The policy for one target, or the policy-free default (trust the target's own origin)."""
    if policy is None:
        return policy_free(target.origin)
    return policy.for_url(target.url)


async def _scan_target(
    engine: Engine,
    target: Target,
    policy: EffectivePolicy,
    label: str,
    options: ScanOptions,
    credentialed: bool,
) -> TargetResult:
    candidates = origins_mod.probe_origins(target.origin, policy, label)
    round1 = probes.plan_initial(target, policy, candidates, label, credentialed=credentialed)
    exchanges: list[Exchange] = await engine.send_many(round1)
    baseline = exchanges[0]
    notes: list[str] = []
    if policy.policy_free:
        notes.append(
            "No policy was given: the target's own origin is the only trusted one and rules "
            "that compare with an intended policy were skipped."
        )
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
    round2, skipped = probes.plan_followup(
        target, policy, candidates, exchanges, credentialed=credentialed
    )
    if skipped:
        notes.append(skipped)
    if round2:
        exchanges += await engine.send_many(round2)
    failed = [e for e in exchanges if e.error is not None]
    if failed:
        kinds = sorted({e.error.kind.value for e in failed if e.error is not None})
        notes.append(
            f"{len(failed)} of {len(exchanges)} probes got no reply ({', '.join(kinds)}); "
            "they were left out of the judgement."
        )
    findings = rules.evaluate(
        target, policy, exchanges, mode=options.mode, credentials_given=credentialed
    )
    score = scoring.target_score(findings)
    return TargetResult(
        target=target,
        policy=policy,
        exchanges=tuple(exchanges),
        findings=findings,
        requests=len(exchanges),
        score=score,
        grade=scoring.grade_for(score),
        notes=tuple(notes),
    )


async def scan_async(
    targets: Sequence[Target],
    policy: Policy | None,
    options: ScanOptions,
    *,
    observer: ProgressObserver | None = None,
    on_target: Callable[[TargetResult], None] | None = None,
    transport: Transport | None = None,
) -> list[TargetResult]:
    """Scan every target (order of results = order of targets)."""
    label = options.label or origins_mod.new_label()
    credentialed = bool(options.engine.headers or options.engine.cookie)
    gate = asyncio.Semaphore(options.max_targets_in_flight)

    async with Engine(options.engine, transport=transport, observer=observer) as engine:

        async def one(target: Target) -> TargetResult:
            async with gate:
                result = await _scan_target(
                    engine, target, effective_policy(policy, target), label, options, credentialed
                )
            if on_target is not None:
                on_target(result)
            return result

        return list(await asyncio.gather(*(one(target) for target in targets)))


def scan(
    targets: Sequence[Target],
    policy: Policy | None,
    options: ScanOptions,
    *,
    observer: ProgressObserver | None = None,
    on_target: Callable[[TargetResult], None] | None = None,
    transport: Transport | None = None,
) -> list[TargetResult]:
    """Synchronous wrapper around `scan_async`."""
    return asyncio.run(
        scan_async(
            targets, policy, options, observer=observer, on_target=on_target, transport=transport
        )
    )
