"""The probe planner: which requests to send for one target, step by step until nothing is left.

Round 1 (always), in this order: a baseline without ``Origin``; for an arbitrary attacker origin
an actual request and the policy preflight; for each trusted origin an actual request and the
policy's preflight (plus, for the first one, a preflight asking for a method and a header
outside the policy). The attacker's probes go first so that a request budget, which cuts a
round from its end, never spends itself on trusted origins alone.

Then `plan_next` is asked again after every round, with every reply so far, until it returns
nothing. It adds:

- confirmations of an arbitrary origin that round 1 let through: a second arbitrary origin's
  actual request when the first one's reply named it (two unrelated random origins rule out a
  coincidental allowlist entry; a ``*`` needs none), and the private-network preflight when the
  arbitrary origin's preflight passed the CORS check (a private-network preflight must pass that
  same check, so after a refusal it cannot grant anything);
- the *gate* probe of every other probe origin: the first-party discovery candidates, ``null``
  and the bypass variants (prefix, suffix, look-alike, special characters, hosting platforms,
  local development servers, subdomain, insecure scheme);
- the bypass variants of every origin the server was seen to admit (a trusted origin, or a
  discovered one: its matching code is written around those), up to `origins.MAX_BASES`;
- the actual request of an origin whose gate preflight passed.

Every skipped probe rests on a proof written at the shortcut that skips it (`_gate`,
`_reflection_settled`, `_confirmations`): a probe is left out only when the replies already in
hand decide what it would show under the browser model. ``exhaustive`` turns every shortcut off
(the property test compares both plans on generated servers).

Pure: takes a target, its policy and the exchanges so far, returns `Probe` records; never sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cors_audit.browser import (
    AllowOriginShape,
    Mode,
    is_cors_safelisted_method,
    preflight_check,
    remembered_allow_origin_shape,
    remembered_cors_check,
)
from cors_audit.core.models import (
    EffectivePolicy,
    Exchange,
    OriginClass,
    Probe,
    ProbeKind,
    ProbeOrigin,
    Target,
)
from cors_audit.core.origin import normalize_origin
from cors_audit.probing.origins import probe_origins

BASELINE = "baseline"
POLICY = "policy"
BEYOND = "beyond-policy"
ATTACK = "attack"
PNA = "private-network"
ANONYMOUS = "anonymous"
"""A credentialed actual request sent again without the user's credentials (per-user data)."""

_BEYOND_METHODS = ("DELETE", "PUT", "PATCH")

_Key = tuple[str | None, ProbeKind, str]
"""A probe as the planner tells probes apart: origin value, kind, purpose (`plan_next`)."""


@dataclass(frozen=True, slots=True)
class PolicyRequest:
    """The fetch() a trusted page makes according to the policy: method and unsafe headers."""

    method: str
    headers: tuple[str, ...]

    @property
    def needs_preflight(self) -> bool:
        """Whether Chromium would preflight this request (BROWSER-MODEL.md §3.1)."""
        return not is_cors_safelisted_method(self.method) or bool(self.headers)


def policy_request(target: Target, policy: EffectivePolicy) -> PolicyRequest:
    """The request the policy says trusted pages make to this target.

    The method is the target's, or — for a safelisted target method — the first non-safelisted
    method the policy allows, so the preflight is exercised. Header names are the policy's and
    the target's own (``Target.request_headers``), lowercased and sorted as Chromium sends them
    (BROWSER-MODEL.md §3.2); ``Content-Type`` is
    assumed to carry a non-safelisted value such as ``application/json``.
    """
    method = target.method
    if is_cors_safelisted_method(method) and policy.allowed_methods:
        method = next(
            (m for m in policy.allowed_methods if m != "*" and not is_cors_safelisted_method(m)),
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
    # The attacker's gate probes come right after the baseline: a request budget cuts a round
    # from its end, and a budget spent on trusted origins must not leave the attacker unasked.
    for origin in _of(origins, OriginClass.ARBITRARY)[:1]:
        probes.append(_actual(target, origin, ATTACK, credentialed))
        probes.append(_preflight(target, origin, request, ATTACK))
    for index, origin in enumerate(_of(origins, OriginClass.TRUSTED)):
        probes.append(_actual(target, origin, POLICY, credentialed))
        probes.append(_preflight(target, origin, request, POLICY))
        if index == 0:
            probes.append(
                _preflight(target, origin, beyond_request(policy, label, request), BEYOND)
            )
    return tuple(probes)


def judged_order(exchanges: Sequence[Exchange]) -> list[Exchange]:
    """Round 1's exchanges with the trusted origins' ahead of the attacker's (the order the
    rules have always seen them in), whatever order they were sent in. A finding takes its
    origin, fingerprint and curl from its first proof exchange, and configuration findings cite
    replies in exchange order: sending the attacker's probes first must not change the
    fingerprints that baselines hold."""
    rank = {BASELINE: 0, POLICY: 1, BEYOND: 1}
    return sorted(exchanges, key=lambda e: rank.get(e.probe.purpose, 2))


def _confirmations(
    target: Target,
    policy: EffectivePolicy,
    origins: Sequence[ProbeOrigin],
    round1: Sequence[Exchange] | None,
    credentialed: bool,
    sent: set[_Key] | None = None,
) -> tuple[Probe, ...]:
    """The second arbitrary origin, and the private-network preflight when round 1's arbitrary
    preflight passed; ``round1=None``: every one it may add (``--dry-run``, ``exhaustive``).

    The second arbitrary origin's actual request is always sent: a pattern allowlist (say
    ``^https://[a-z0-9-]+\\.com$``) can refuse one attacker domain and admit the other, so
    nothing in hand decides it. Those whose key is in ``sent`` (probes already sent) are left
    out before they are made, and round 1's replies are only looked at while the
    private-network preflight is still to be decided. Proof of what is left out:
    - the private-network preflight when the arbitrary origin's preflight failed the CORS
      check: Chromium requires a private-network preflight to pass that same check before it
      looks at ``Access-Control-Allow-Private-Network``, so it cannot grant anything.
    """
    arbitrary = _of(origins, OriginClass.ARBITRARY)
    if not arbitrary:
        return ()
    first = arbitrary[0]
    done = sent or set()
    probes: list[Probe] = []
    if len(arbitrary) > 1 and (arbitrary[1].value, ProbeKind.ACTUAL, ATTACK) not in done:
        probes.append(_actual(target, arbitrary[1], ATTACK, credentialed))
    if (first.value, ProbeKind.PRIVATE_NETWORK, PNA) in done:
        return tuple(probes)
    if round1 is None or any(
        _passes(e)
        for e in round1
        if e.probe.kind is ProbeKind.PREFLIGHT
        and e.probe.origin == first
        and e.probe.purpose == ATTACK
    ):
        request = policy_request(target, policy)
        probes.append(_preflight(target, first, request, PNA, ProbeKind.PRIVATE_NETWORK))
    return tuple(probes)


def actual_arbitrary(exchanges: Sequence[Exchange]) -> list[Exchange]:
    """The arbitrary origins' actual requests among ``exchanges``."""
    return [
        e
        for e in exchanges
        if e.probe.origin is not None
        and e.probe.origin.cls is OriginClass.ARBITRARY
        and e.probe.kind is ProbeKind.ACTUAL
    ]


def _wildcard(exchange: Exchange) -> bool:
    assert exchange.response is not None
    shape = remembered_allow_origin_shape(exchange.response.headers)
    return shape is AllowOriginShape.WILDCARD


def _passes(exchange: Exchange) -> bool:
    """The reply passes the CORS check (access part) for its probe origin, without credentials."""
    origin = exchange.probe.origin
    if origin is None or exchange.response is None:
        return False
    return remembered_cors_check(origin.value, "omit", exchange.response.headers).allowed


def _reflection_settled(target: Target, exchanges: Sequence[Exchange]) -> bool:
    """Both arbitrary origins read the reply with the user's credentials: their actual replies
    echo the origin (not ``*``) with ``Access-Control-Allow-Credentials: true``, and, when the
    target's method needs a preflight, an arbitrary preflight passes as a whole with
    credentials (in both browser-model modes).

    Proof that no narrower probe can change the report then: ``reflected-origin`` holds, every
    narrower origin finding (null, look-alikes, platforms, subdomains, discovered origins) is
    folded into it, and the folded finding takes the worst severity of them all — but no origin
    can do more than read with the user's credentials, which the arbitrary origins already do,
    and no narrower class is rated above ``reflected-origin`` for the same exposure. The
    configuration rules judge the trusted and arbitrary replies, which are all in hand.
    """
    arbitrary = [
        e
        for e in exchanges
        if e.probe.origin is not None
        and e.probe.origin.cls is OriginClass.ARBITRARY
        and e.probe.purpose == ATTACK
        and e.response is not None
    ]
    actual = [e for e in arbitrary if e.probe.kind is ProbeKind.ACTUAL]
    if len({e.probe.origin for e in actual}) < 2:
        return False
    for e in actual:
        assert e.probe.origin is not None
        assert e.response is not None
        if _wildcard(e):
            return False
        if not remembered_cors_check(e.probe.origin.value, "include", e.response.headers).allowed:
            return False
    if is_cors_safelisted_method(target.method):
        return True
    preflights = [e for e in arbitrary if e.probe.kind is ProbeKind.PREFLIGHT]
    modes: tuple[Mode, ...] = ("chromium", "spec")
    return all(any(_preflight_passes(e, mode) for e in preflights) for mode in modes)


def _preflight_passes(exchange: Exchange, mode: Mode) -> bool:
    """The preflight reply passes as a whole with credentials (access, status, method and
    headers)."""
    probe, response = exchange.probe, exchange.response
    if probe.origin is None or response is None:
        return False
    verdict = preflight_check(
        probe.origin.value,
        "include",
        probe.request_method,
        list(probe.request_headers),
        response.status,
        response.headers,
        mode,
    )
    return verdict.allowed


def admitted(target: Target, exchanges: Sequence[Exchange]) -> tuple[str, ...]:
    """Origins of the trusted and first-party classes the server let through, in probe order:
    the bases of further bypass variants. For a safelisted target method any reply counts (the
    actual one, or the access part of a preflight); for a method that needs a preflight only a
    preflight counts, since a browser never sends the actual request behind a refused one.
    Empty when an arbitrary origin got through too: a server that lets anyone in says nothing
    about which origins it means."""
    preflight_only = not is_cors_safelisted_method(target.method)
    found: dict[str, None] = {}
    for e in exchanges:
        origin = e.probe.origin
        # The probe's own fields first: they rule most replies out before a verdict is asked.
        if origin is None or (preflight_only and not e.probe.is_preflight):
            continue
        if not _passes(e) or _wildcard(e):
            continue
        if origin.cls is OriginClass.ARBITRARY:
            return ()
        if origin.cls in (OriginClass.TRUSTED, OriginClass.FIRST_PARTY):
            found[origin.value] = None
    return tuple(found)


def plan_next(
    target: Target,
    policy: EffectivePolicy,
    label: str,
    exchanges: Sequence[Exchange],
    *,
    credentialed: bool,
    thorough: bool = False,
    exhaustive: bool = False,
) -> tuple[tuple[Probe, ...], str | None]:
    """The next round for one target given every exchange so far (round 1 included), and a
    note when a shortcut left probes out; ``()`` when the plan is complete."""

    def key(probe: Probe) -> _Key:
        # By value: the same origin derived from another base carries another note.
        return (probe.origin.value if probe.origin else None, probe.kind, probe.purpose)

    sent = {key(e.probe) for e in exchanges}

    def new(probes: Sequence[Probe]) -> tuple[Probe, ...]:
        return tuple(p for p in probes if key(p) not in sent)

    site = target.origin  # parsed from the URL on every read: read once
    base = probe_origins(site, policy, label, thorough=thorough)
    confirm = new(
        _confirmations(target, policy, base, None if exhaustive else exchanges, credentialed, sent)
    )
    if confirm and not exhaustive and any(_passes(e) for e in actual_arbitrary(exchanges)):
        # Round 1 let the arbitrary origin in: confirm it before deciding anything else (two
        # origins reading with credentials stop the plan, `_reflection_settled`).
        return confirm, None
    if not exhaustive and _reflection_settled(target, exchanges):
        return (), (
            "two unrelated origins can read this response with credentials (reflected-origin), "
            "so narrower origin probes were skipped: whatever they would find folds into that "
            "finding"
        )
    found = admitted(target, exchanges)
    origins = probe_origins(
        site,
        policy,
        label,
        thorough=thorough,
        admitted=found,
        site_variants=_site_variants(target, policy, base, exchanges, found),
    )
    return confirm + new(
        _narrow(target, policy, origins, exchanges, credentialed, thorough, exhaustive, sent)
    ), None


def _site_variants(
    target: Target,
    policy: EffectivePolicy,
    origins: Sequence[ProbeOrigin],
    exchanges: Sequence[Exchange],
    found: tuple[str, ...],
) -> bool:
    """Whether the variants of the target's own host are wanted (policy-free scans): when the
    server admits the target's own origin, or when discovery is over and found nothing else to
    derive from. While discovery is under way, or once it found the origins the server's
    allowlist is really written around, the host variants of an origin the server does not
    admit are left to those (the variants of its registrable domain are always sent)."""
    if not policy.policy_free:
        return True
    if normalize_origin(target.origin) in found:
        return True
    candidates = any(o.cls is OriginClass.FIRST_PARTY for o in origins)
    answered = any(
        e.probe.origin is not None and e.probe.origin.cls is OriginClass.FIRST_PARTY
        for e in exchanges
    )
    return not found and (answered or not candidates)


def _gate(target: Target) -> ProbeKind:
    """The probe kind that decides whether a narrow origin can do anything at all.

    For a target method that needs a preflight it is the preflight: without passing it Chromium
    neither sends the request nor lets its reply be read, so when it fails the actual request's
    reply cannot change the verdict and is not sent. For a safelisted method (GET, HEAD, POST)
    an attacker page reads with a simple request, which Chromium never preflights: the actual
    reply alone decides, so no preflight is sent for the narrow origins at all.
    """
    if is_cors_safelisted_method(target.method):
        return ProbeKind.ACTUAL
    return ProbeKind.PREFLIGHT


def _narrow(
    target: Target,
    policy: EffectivePolicy,
    origins: Sequence[ProbeOrigin],
    exchanges: Sequence[Exchange] | None,
    credentialed: bool,
    thorough: bool,
    exhaustive: bool,
    sent: set[_Key] | None = None,
) -> tuple[Probe, ...]:
    """Probes for every origin but the trusted and arbitrary ones: the gate probe, and the
    actual request after a passing gate preflight (``exchanges=None``: every probe that may be
    sent). Those whose key is in ``sent`` (probes already sent) are left out before they are
    made: after a few rounds most of them are."""
    request = policy_request(target, policy)
    gate = _gate(target)
    passed = {
        e.probe.origin.value
        for e in exchanges or ()
        if e.probe.origin is not None and e.probe.kind is ProbeKind.PREFLIGHT and _passes(e)
    }
    done = sent or set()
    actual, preflight = ProbeKind.ACTUAL, ProbeKind.PREFLIGHT
    probes: list[Probe] = []
    for origin in origins:
        if origin.cls in (OriginClass.TRUSTED, OriginClass.ARBITRARY):
            continue
        value = origin.value
        if gate is actual:
            if (value, actual, ATTACK) not in done:
                probes.append(_actual(target, origin, ATTACK, credentialed))
            if thorough and request.needs_preflight and (value, preflight, ATTACK) not in done:
                probes.append(_preflight(target, origin, request, ATTACK))
            continue
        if (value, preflight, ATTACK) not in done:
            probes.append(_preflight(target, origin, request, ATTACK))
        wanted = exchanges is None or exhaustive or thorough or value in passed
        if wanted and (value, actual, ATTACK) not in done:
            probes.append(_actual(target, origin, ATTACK, credentialed))
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
    """What a scan of ``target`` may send (``--dry-run``), by round: round 1; round 2, the
    confirmations and every other origin's gate probe; round 3, the actual requests that follow
    a passing gate preflight. Bypass variants of origins the server turns out to admit are
    derived during the scan and cannot be listed in advance."""
    first = plan_initial(target, policy, origins, label, credentialed=credentialed)
    confirm = _confirmations(target, policy, origins, None, credentialed)
    everything = _narrow(target, policy, origins, None, credentialed, thorough, False)
    gate = _gate(target)
    second = tuple(p for p in everything if p.kind is gate or thorough)
    third = tuple(p for p in everything if p not in second)
    return first, confirm + second, third
