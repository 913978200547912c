"""The probe planner: which requests to send for one target, in two adaptive rounds.

Round 1 (always): a baseline without ``Origin``; for each trusted origin an actual request and
the policy's preflight (plus, for the first one, a preflight asking for a method and a header
outside the policy, DESIGN.md "Probes"); for an arbitrary attacker origin an actual request and
the policy preflight.

Round 2 (only when it can add something):
- confirmations of an arbitrary origin that round 1 let through: a second arbitrary origin's
  actual request when the first one's reply named it (CORS-SPEC.md §6.2 C03: rules out a
  coincidental allowlist entry; a ``*`` needs none), and the private-network preflight when the
  arbitrary origin's preflight passed the CORS check (a private-network preflight must pass that
  same check as well, §5.1, so after a refusal it cannot grant anything: DESIGN.md "Probes",
  redundant probes are skipped where a result already decides the rule);
- the narrower bypass origins (null, prefix, suffix, look-alike, special characters,
  third-party platforms, subdomain, insecure scheme). They are skipped when an arbitrary origin
  is already allowed (everything narrower is implied) or when ``Access-Control-Allow-Origin``
  does not depend on the request origin (no origin can be treated differently).

So a target without CORS or with a static answer costs a baseline, three or two requests per
trusted origin and two for the arbitrary origin (issue 8: at most 8 with two trusted origins).

Pure: takes targets, policy and earlier exchanges, returns `Probe` records; never sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cors_audit import spec
from cors_audit.models import (
    EffectivePolicy,
    Exchange,
    OriginClass,
    Probe,
    ProbeKind,
    ProbeOrigin,
    Target,
)

BASELINE = "baseline"
POLICY = "policy"
BEYOND = "beyond-policy"
ATTACK = "attack"
PNA = "private-network"
ANONYMOUS = "anonymous"
"""A credentialed actual request sent again without the user's credentials (per-user data)."""

_BEYOND_METHODS = ("DELETE", "PUT", "PATCH")


@dataclass(frozen=True, slots=True)
class PolicyRequest:
    """The fetch() a trusted page makes according to the policy: method and unsafe headers."""

    method: str
    headers: tuple[str, ...]

    @property
    def needs_preflight(self) -> bool:
        """Whether Chromium would preflight this request (CORS-SPEC.md §3.1)."""
        return not spec.is_cors_safelisted_method(self.method) or bool(self.headers)


def policy_request(target: Target, policy: EffectivePolicy) -> PolicyRequest:
    """The request the policy says trusted pages make to this target.

    The method is the target's, or — for a safelisted target method — the first non-safelisted
    method the policy allows, so the preflight is exercised. Header names are the policy's and
    the target's own (``Target.request_headers``), lowercased and sorted as Chromium sends them
    (CORS-SPEC.md §3.2); ``Content-Type`` is
    assumed to carry a non-safelisted value such as ``application/json``.
    """
    method = target.method
    if spec.is_cors_safelisted_method(method) and policy.allowed_methods:
        method = next(
            (
                m
                for m in policy.allowed_methods
                if m != "*" and not spec.is_cors_safelisted_method(m)
            ),
            method,
        )
    names = {h.lower() for h in policy.allowed_headers or () if h != "*"}
    names.update(target.request_headers)  # what the application really sends (OpenAPI, HAR)
    return PolicyRequest(method=method, headers=tuple(sorted(names)))


def beyond_request(policy: EffectivePolicy, label: str, base: PolicyRequest) -> PolicyRequest:
    """A preflight request outside the policy: an unlisted method and an ``x-<label>`` header."""
    allowed = set(policy.allowed_methods or ())
    method = next((m for m in _BEYOND_METHODS if m not in allowed), label.upper())
    headers = tuple(sorted({*base.headers, f"x-{label}"}))
    return PolicyRequest(method=method, headers=headers)


def _actual(target: Target, origin: ProbeOrigin | None, purpose: str, creds: bool) -> Probe:
    return Probe(
        kind=ProbeKind.ACTUAL,
        url=target.url,
        origin=origin,
        method=target.method,
        request_method=target.method,
        credentialed=creds,
        purpose=purpose,
    )


def _preflight(
    target: Target,
    origin: ProbeOrigin,
    request: PolicyRequest,
    purpose: str,
    kind: ProbeKind = ProbeKind.PREFLIGHT,
) -> Probe:
    return Probe(
        kind=kind,
        url=target.url,
        origin=origin,
        method="OPTIONS",
        request_method=request.method,
        request_headers=request.headers,
        purpose=purpose,
    )


def _of(origins: Sequence[ProbeOrigin], cls: OriginClass) -> list[ProbeOrigin]:
    return [origin for origin in origins if origin.cls is cls]


def plan_initial(
    target: Target,
    policy: EffectivePolicy,
    origins: Sequence[ProbeOrigin],
    label: str,
    *,
    credentialed: bool,
) -> tuple[Probe, ...]:
    """Round 1 for one target."""
    request = policy_request(target, policy)
    probes = [_actual(target, None, BASELINE, credentialed)]
    for index, origin in enumerate(_of(origins, OriginClass.TRUSTED)):
        probes.append(_actual(target, origin, POLICY, credentialed))
        probes.append(_preflight(target, origin, request, POLICY))
        if index == 0:
            probes.append(
                _preflight(target, origin, beyond_request(policy, label, request), BEYOND)
            )
    for origin in _of(origins, OriginClass.ARBITRARY)[:1]:
        probes.append(_actual(target, origin, ATTACK, credentialed))
        probes.append(_preflight(target, origin, request, ATTACK))
    return tuple(probes)


def _confirmations(
    target: Target,
    policy: EffectivePolicy,
    origins: Sequence[ProbeOrigin],
    round1: Sequence[Exchange] | None,
    credentialed: bool,
) -> tuple[Probe, ...]:
    """The round-2 probes that follow up an arbitrary origin round 1 let through (see the
    module docstring); none when it was refused. ``round1=None``: every one it may add
    (``--dry-run``)."""
    arbitrary = _of(origins, OriginClass.ARBITRARY)
    if not arbitrary:
        return ()
    first = arbitrary[0]
    sent = [e for e in round1 or () if e.probe.origin == first and e.probe.purpose == ATTACK]
    actual = [e for e in sent if e.probe.kind is ProbeKind.ACTUAL]
    probes: list[Probe] = []
    if len(arbitrary) > 1 and (
        round1 is None
        # No reply at all: the second origin stands in for the first.
        or not any(e.response is not None for e in actual)
        or any(_passes(e) and not _wildcard(e) for e in actual)
    ):
        probes.append(_actual(target, arbitrary[1], ATTACK, credentialed))
    if round1 is None or any(_passes(e) for e in sent if e.probe.kind is ProbeKind.PREFLIGHT):
        request = policy_request(target, policy)
        probes.append(_preflight(target, first, request, PNA, ProbeKind.PRIVATE_NETWORK))
    return tuple(probes)


def _wildcard(exchange: Exchange) -> bool:
    assert exchange.response is not None
    shape = spec.allow_origin_shape(exchange.response.headers)
    return shape is spec.AllowOriginShape.WILDCARD


def _passes(exchange: Exchange) -> bool:
    """The reply passes the CORS check (access part) for its probe origin, without credentials."""
    origin = exchange.probe.origin
    if origin is None or exchange.response is None:
        return False
    return spec.cors_check(origin.value, "omit", exchange.response.headers).allowed


def _allow_origin(exchange: Exchange) -> str | None:
    if exchange.response is None:
        return None
    return spec.header_get(exchange.response.headers, "Access-Control-Allow-Origin")


def _arbitrary_allowed(exchanges: Sequence[Exchange]) -> bool:
    """Some arbitrary origin already passes the CORS check (actual or preflight access part)."""
    return any(
        _passes(e)
        for e in exchanges
        if e.probe.origin is not None and e.probe.origin.cls is OriginClass.ARBITRARY
    )


def origin_dependent(exchanges: Sequence[Exchange]) -> bool:
    """Whether the CORS answer (ACAO) differs between request origins, or cannot be told.

    When every actual and preflight reply carries the same ACAO whatever the Origin (a static
    ``*``, a fixed origin, or none at all), narrower origin probes cannot change anything.
    """
    values = {
        _allow_origin(exchange)
        for exchange in exchanges
        if exchange.probe.origin is not None and exchange.response is not None
    }
    return len(values) != 1


def plan_followup(
    target: Target,
    policy: EffectivePolicy,
    origins: Sequence[ProbeOrigin],
    round1: Sequence[Exchange],
    *,
    credentialed: bool,
    thorough: bool = False,
) -> tuple[tuple[Probe, ...], str | None]:
    """Round 2 for one target, and a note saying why it was skipped (``None`` if not).

    Each narrow origin gets its *gate* probe: the actual request when the target's method is
    safelisted (that is what decides a read), else the preflight (nothing is read or written
    without it). `plan_complement` adds the other kind where it can matter. ``thorough`` sends
    both kinds at once.
    """
    confirm = _confirmations(target, policy, origins, round1, credentialed)
    if _arbitrary_allowed(round1):
        return confirm, (
            "an arbitrary origin is already allowed, so narrower bypass probes were skipped"
        )
    if not origin_dependent(round1):
        return confirm, (
            "Access-Control-Allow-Origin does not depend on the request origin, so narrower "
            "bypass probes were skipped"
        )
    gate = _narrow(target, policy, origins, credentialed, kinds=None if thorough else "gate")
    return confirm + gate, None


def plan_complement(
    target: Target,
    policy: EffectivePolicy,
    origins: Sequence[ProbeOrigin],
    exchanges: Sequence[Exchange],
    *,
    credentialed: bool,
) -> tuple[Probe, ...]:
    """Round 3: the non-gate probe for each narrow origin whose gate probe a browser would let
    through (so the finding knows both what it can read and what it can send), or for every
    narrow origin when round 1 showed preflights and actual requests treated some origin
    differently (CORS-SPEC.md §6.2: preflight-only allowlists)."""
    sent = {(e.probe.origin.value, e.probe.kind) for e in exchanges if e.probe.origin}
    passed = {
        e.probe.origin.value
        for e in exchanges
        if e.probe.origin is not None and e.probe.purpose == ATTACK and _passes(e)
    }
    everything = _kinds_disagree(exchanges)
    complement = _narrow(target, policy, origins, credentialed, kinds=None)
    return tuple(
        probe
        for probe in complement
        if probe.origin is not None
        and (probe.origin.value, probe.kind) not in sent
        and (everything or probe.origin.value in passed)
    )


def _kinds_disagree(exchanges: Sequence[Exchange]) -> bool:
    """Some origin passed the access check on a preflight but not on the actual request, or
    the other way round."""
    verdicts: dict[str, set[bool]] = {}
    for e in exchanges:
        # Same request shape only: a beyond-policy preflight may be refused without CORS headers
        # by a correct server, and the private-network one asks something else.
        if e.probe.origin is None or e.response is None or e.probe.purpose not in (POLICY, ATTACK):
            continue
        if e.probe.kind is ProbeKind.PRIVATE_NETWORK:
            continue
        verdicts.setdefault(e.probe.origin.value, set()).add(_passes(e))
    return any(len(v) > 1 for v in verdicts.values())


def _narrow(
    target: Target,
    policy: EffectivePolicy,
    origins: Sequence[ProbeOrigin],
    credentialed: bool,
    *,
    kinds: str | None,
) -> tuple[Probe, ...]:
    """Probes for the narrow origins: both kinds (``kinds=None``) or the gate kind only."""
    request = policy_request(target, policy)
    gate_is_preflight = not spec.is_cors_safelisted_method(target.method)
    probes: list[Probe] = []
    narrow = [
        origin
        for origin in origins
        if origin.cls not in (OriginClass.TRUSTED, OriginClass.ARBITRARY)
    ]
    for origin in narrow:
        if kinds is None or not gate_is_preflight:
            probes.append(_actual(target, origin, ATTACK, credentialed))
        if request.needs_preflight and (kinds is None or gate_is_preflight):
            probes.append(_preflight(target, origin, request, ATTACK))
    return tuple(probes)


def plan_target(
    target: Target,
    policy: EffectivePolicy,
    origins: Sequence[ProbeOrigin],
    label: str,
    *,
    credentialed: bool,
    thorough: bool = False,
) -> tuple[tuple[Probe, ...], ...]:
    """Everything a scan of ``target`` may send (``--dry-run``), by round: round 1; round 2
    (the narrow origins' gate probes), sent only when round 1 shows it can change the verdict;
    round 3 (the other kind), sent for narrow origins a browser let through."""
    first = plan_initial(target, policy, origins, label, credentialed=credentialed)
    confirm = _confirmations(target, policy, origins, None, credentialed)
    if thorough:
        return first, confirm + _narrow(target, policy, origins, credentialed, kinds=None)
    gate = _narrow(target, policy, origins, credentialed, kinds="gate")
    both = _narrow(target, policy, origins, credentialed, kinds=None)
    return first, confirm + gate, tuple(p for p in both if p not in gate)
