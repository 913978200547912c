"""The ``--dry-run`` plan: every request the scan may send to each target, made the way the
scan makes its first rounds, with URLs redacted and secret header values masked. Nothing is
sent."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from cors_audit.app.scan import ScanOptions, effective_policy
from cors_audit.core.models import Target
from cors_audit.core.redaction import redact_url
from cors_audit.formats.plan import Plan, PlannedRequest, PlannedTarget
from cors_audit.inputs.policy import Policy
from cors_audit.probing.origins import new_label, probe_origins
from cors_audit.probing.planner import plan_target

MASK = "<redacted>"
"""What a secret header value reads as in the plan."""


@dataclass(frozen=True, slots=True)
class _Planned:
    """``Plan.targets``: planned anew, one target at a time, on every iteration."""

    targets: Sequence[Target]
    policy: Policy | None
    options: ScanOptions
    label: str

    def __iter__(self) -> Iterator[PlannedTarget]:
        for target in self.targets:
            yield _plan_target(target, self.policy, self.options, self.label)


def make_plan(targets: Sequence[Target], policy: Policy | None, options: ScanOptions) -> Plan:
    """The plan of a scan of ``targets`` (its label: ``options.label`` or a fresh one)."""
    label = options.label or new_label()
    return Plan(label=label, targets=_Planned(targets, policy, options, label))


def _plan_target(
    target: Target, policy: Policy | None, options: ScanOptions, label: str
) -> PlannedTarget:
    credentialed = bool(options.engine.headers or options.engine.cookie)
    secret_names = [name for name, _ in options.engine.headers]
    if options.engine.cookie:
        secret_names.append("Cookie")
    effective = effective_policy(policy, target)
    # Variants of every trusted origin are listed (the server usually admits them); those of
    # origins discovery may find cannot be known before the scan.
    origins = probe_origins(
        target.origin,
        effective,
        label,
        thorough=options.thorough,
        admitted=effective.trusted_origins,
    )
    rounds = plan_target(
        target, effective, origins, label, credentialed=credentialed, thorough=options.thorough
    )
    requests: list[PlannedRequest] = []
    for number, probes in enumerate(rounds, 1):
        for probe in probes:
            user = probe.credentialed and not probe.is_preflight
            masked = tuple((name, MASK) for name in secret_names) if user else ()
            requests.append(
                PlannedRequest(
                    round=number,
                    kind=probe.kind.value,
                    purpose=probe.purpose,
                    origin_class=probe.origin.cls.value if probe.origin else None,
                    method=probe.method,
                    url=redact_url(probe.url),
                    headers=(*probe.wire_headers(), *masked),
                )
            )
    return PlannedTarget(url=redact_url(target.url), method=target.method, requests=tuple(requests))


__all__ = ["MASK", "make_plan"]
