"""The probe planner: which requests to send for one target, in two adaptive rounds.

Round 1 (always): a baseline without ``Origin``; for each trusted origin an actual request and
the policy's preflight (plus, for the first one, a preflight asking for a method and a header
outside the policy, DESIGN.md "Probes"); for an arbitrary attacker origin an actual request and
the policy preflight, a second arbitrary origin's actual request (CORS-SPEC.md §6.2 C03: rules
out a coincidental allowlist), and one private-network preflight.

Round 2 (only when it can add something): the narrower bypass origins (null, prefix, suffix,
look-alike, special characters, third-party platforms, subdomain, insecure scheme). It is
skipped when an arbitrary origin is already allowed (everything narrower is implied) or when
``Access-Control-Allow-Origin`` does not depend on the request origin (no origin can be
treated differently).

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
    method the policy allows, so the preflight is exercised. Header names are the policy's,
    lowercased and sorted as Chromium sends them (CORS-SPEC.md §3.2); ``Content-Type`` is
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
    names = sorted({h.lower() for h in policy.allowed_headers or () if h != "*"})
    return PolicyRequest(method=method, headers=tuple(names))


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
    arbitrary = _of(origins, OriginClass.ARBITRARY)
    for index, origin in enumerate(arbitrary[:2]):
        probes.append(_actual(target, origin, ATTACK, credentialed))
        if index == 0:
            probes.append(_preflight(target, origin, request, ATTACK))
            probes.append(_preflight(target, origin, request, PNA, ProbeKind.PRIVATE_NETWORK))
    return tuple(probes)


def _allow_origin(exchange: Exchange) -> str | None:
    if exchange.response is None:
        return None
    return spec.header_get(exchange.response.headers, "Access-Control-Allow-Origin")


def _arbitrary_allowed(exchanges: Sequence[Exchange]) -> bool:
    """Some arbitrary origin already passes the CORS check (actual or preflight access part)."""
    for exchange in exchanges:
        origin = exchange.probe.origin
        if origin is None or origin.cls is not OriginClass.ARBITRARY or exchange.response is None:
            continue
        if spec.cors_check(origin.value, "omit", exchange.response.headers).allowed:
            return True
    return False


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
) -> tuple[tuple[Probe, ...], str | None]:
    """Round 2 for one target, and a note saying why it was skipped (``None`` if not)."""
    if _arbitrary_allowed(round1):
        return (), "an arbitrary origin is already allowed, so narrower bypass probes were skipped"
    if not origin_dependent(round1):
        return (), (
            "Access-Control-Allow-Origin does not depend on the request origin, so narrower "
            "bypass probes were skipped"
        )
    return _narrow(target, policy, origins, credentialed), None


def _narrow(
    target: Target, policy: EffectivePolicy, origins: Sequence[ProbeOrigin], credentialed: bool
) -> tuple[Probe, ...]:
    request = policy_request(target, policy)
    probes: list[Probe] = []
    narrow = [
        origin
        for origin in origins
        if origin.cls not in (OriginClass.TRUSTED, OriginClass.ARBITRARY)
    ]
    for origin in narrow:
        probes.append(_actual(target, origin, ATTACK, credentialed))
        if request.needs_preflight:
            probes.append(_preflight(target, origin, request, ATTACK))
    return tuple(probes)


def plan_target(
    target: Target,
    policy: EffectivePolicy,
    origins: Sequence[ProbeOrigin],
    label: str,
    *,
    credentialed: bool,
) -> tuple[tuple[Probe, ...], tuple[Probe, ...]]:
    """Everything a scan of ``target`` may send (``--dry-run``): round 1, and the round-2
    probes that follow only when round 1 shows they can change the verdict."""
    first = plan_initial(target, policy, origins, label, credentialed=credentialed)
    return first, _narrow(target, policy, origins, credentialed)
