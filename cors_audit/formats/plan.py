"""The ``--dry-run`` plan as data: every request a scan may send, target by target, and how it
reads on a terminal (`lines`). The JSON format writes it to ``--json`` (``json.stream_plan``).

The application makes the plan (``app/plan.py``) with every value already safe to show: URLs
redacted, secret header values masked. ``Plan.targets`` is planned one target at a time each
time it is iterated (once per output), so memory stays flat however many targets there are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

NOTE: Final = (
    "rounds 2 and 3 are sent only where earlier replies show they can change the verdict; "
    "variants of origins that discovery finds admitted are derived during the scan and not listed"
)
"""What the plan cannot list, as the JSON plan states it."""


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """One request the scan may send."""

    round: int
    """1 for the first round; later rounds are sent only where earlier replies call for them."""
    kind: str
    """The probe kind (``ProbeKind`` value)."""
    purpose: str
    origin_class: str | None
    """Why the probe origin was chosen (``OriginClass`` value), if the probe has one."""
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    """The request's headers as sent, secret values masked as ``<redacted>``."""


@dataclass(frozen=True, slots=True)
class PlannedTarget:
    """One target and its requests."""

    url: str
    method: str
    requests: tuple[PlannedRequest, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """The whole plan."""

    label: str
    """The random label of the attacker origins (``--label``)."""
    targets: Iterable[PlannedTarget]
    """Planned anew on every iteration, one target at a time."""
    note: str = NOTE


def lines(plan: Plan) -> Iterator[str]:
    """The plan for a terminal, one line at a time: each target with its requests, then the
    total."""
    total = 0
    count = 0
    for target in plan.targets:
        count += 1
        total += len(target.requests)
        yield f"{target.method} {target.url}: up to {len(target.requests)} requests"
        for request in target.requests:
            shown = "; ".join(f"{name}: {value}" for name, value in request.headers)
            yield f"  [{request.round}] {request.method} {request.url}  {shown}"
    yield (
        f"dry run: up to {total} requests to {count} target(s), plus the bypass variants of any "
        "origin that discovery finds admitted; nothing was sent"
    )


__all__ = ["NOTE", "Plan", "PlannedRequest", "PlannedTarget", "lines"]
