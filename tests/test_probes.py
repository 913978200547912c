"""The probe planner: what is sent in each round, and when round 2 is skipped."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rule_builders import APP, LABEL, SITE, allowlist, policy, respond, trusted_only

from cors_audit.models import (
    ErrorKind,
    Exchange,
    Headers,
    OriginClass,
    Probe,
    ProbeKind,
    ScanError,
    Target,
)
from cors_audit.origins import probe_origins
from cors_audit.probes import (
    ATTACK,
    BEYOND,
    PNA,
    POLICY,
    PolicyRequest,
    beyond_request,
    plan_followup,
    plan_initial,
    policy_request,
)

TARGET = Target(url="https://api.example.com/items", site_origin=SITE)


@pytest.mark.parametrize(
    ("method", "methods", "headers", "expected"),
    [
        pytest.param(
            "GET",
            ("GET", "PATCH"),
            ("X-B", "Content-Type"),
            PolicyRequest("PATCH", ("content-type", "x-b")),
            id="first-unsafe-method",
        ),
        pytest.param("PUT", ("GET",), None, PolicyRequest("PUT", ()), id="target-method"),
        pytest.param("GET", None, None, PolicyRequest("GET", ()), id="nothing-stated"),
        pytest.param("GET", ("*",), ("*",), PolicyRequest("GET", ()), id="wildcards-skipped"),
    ],
)
def test_policy_request(
    method: str,
    methods: tuple[str, ...] | None,
    headers: tuple[str, ...] | None,
    expected: PolicyRequest,
) -> None:
    target = Target(url=TARGET.url, method=method, site_origin=SITE)
    assert (
        policy_request(target, policy(allowed_methods=methods, allowed_headers=headers)) == expected
    )


def test_policy_request_needs_preflight() -> None:
    assert not PolicyRequest("GET", ()).needs_preflight
    assert PolicyRequest("GET", ("x-a",)).needs_preflight
    assert PolicyRequest("PATCH", ()).needs_preflight


def test_beyond_request_asks_outside_the_policy() -> None:
    base = PolicyRequest("PATCH", ("authorization",))
    assert beyond_request(policy(), LABEL, base) == PolicyRequest(
        "DELETE", ("authorization", f"x-{LABEL}")
    )
    everything = policy(allowed_methods=("DELETE", "PUT", "PATCH"))
    assert beyond_request(everything, LABEL, base).method == LABEL.upper()


def test_round_one_composition() -> None:
    pol = policy()
    probes = plan_initial(TARGET, pol, probe_origins(SITE, pol, LABEL), LABEL, credentialed=True)
    purposes = [(p.kind, p.purpose, p.origin.cls if p.origin else None) for p in probes]
    assert purposes[0] == (ProbeKind.ACTUAL, "baseline", None)
    assert (ProbeKind.PREFLIGHT, BEYOND, OriginClass.TRUSTED) in purposes
    # One arbitrary origin, actual and preflight; its confirmations wait for round 2
    assert [p for p in purposes if p[2] is OriginClass.ARBITRARY] == [
        (ProbeKind.ACTUAL, ATTACK, OriginClass.ARBITRARY),
        (ProbeKind.PREFLIGHT, ATTACK, OriginClass.ARBITRARY),
    ]
    assert all(p.kind is not ProbeKind.PRIVATE_NETWORK for p in probes)
    for probe in probes:
        assert probe.credentialed is (probe.kind is ProbeKind.ACTUAL)
        if probe.is_preflight:
            assert probe.method == "OPTIONS"
            assert list(probe.request_headers) == sorted(h.lower() for h in probe.request_headers)
    policy_preflight = next(p for p in probes if p.purpose == POLICY and p.is_preflight)
    assert dict(policy_preflight.wire_headers()) == {
        "Accept": "*/*",
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization,content-type",
        "Origin": APP,
    }


def _round2(server: object) -> tuple[tuple[Probe, ...], str | None]:
    pol = policy()
    origins = probe_origins(SITE, pol, LABEL)
    round1 = [
        respond(p, server) for p in plan_initial(TARGET, pol, origins, LABEL, credentialed=False)
    ]  # type: ignore[arg-type]
    return plan_followup(TARGET, pol, origins, round1, credentialed=False)


def test_round_two_runs_for_a_dynamic_allowlist() -> None:
    probes, note = _round2(allowlist(trusted_only))
    assert note is None
    classes = {p.origin.cls for p in probes if p.origin}
    assert OriginClass.NULL in classes
    assert OriginClass.PREFIX in classes
    assert OriginClass.TRUSTED not in classes


def test_round_two_skipped_when_everything_is_reflected() -> None:
    def reflect(probe: Probe) -> tuple[int, Headers]:
        return 200, (("Access-Control-Allow-Origin", probe.origin.value if probe.origin else "x"),)

    probes, note = _round2(reflect)
    assert note is not None
    assert "already allowed" in note
    # Only the arbitrary origin's confirmations: a second one (C03) and private-network access
    assert [(p.kind, p.purpose, p.origin.cls if p.origin else None) for p in probes] == [
        (ProbeKind.ACTUAL, ATTACK, OriginClass.ARBITRARY),
        (ProbeKind.PRIVATE_NETWORK, PNA, OriginClass.ARBITRARY),
    ]
    first = probe_origins(SITE, policy(), LABEL)
    arbitrary = [o for o in first if o.cls is OriginClass.ARBITRARY]
    assert [p.origin for p in probes] == [arbitrary[1], arbitrary[0]]


def test_a_refused_arbitrary_origin_needs_no_confirmation() -> None:
    probes, note = _round2(allowlist(trusted_only))
    assert note is None
    assert all(p.origin is None or p.origin.cls is not OriginClass.ARBITRARY for p in probes)
    assert all(p.kind is not ProbeKind.PRIVATE_NETWORK for p in probes)


def test_a_wildcard_is_not_confirmed_with_a_second_origin_but_private_network_is_asked() -> None:
    probes, note = _round2(lambda probe: (200, (("Access-Control-Allow-Origin", "*"),)))
    assert note is not None
    assert [(p.kind, p.purpose) for p in probes] == [(ProbeKind.PRIVATE_NETWORK, PNA)]


def test_an_unanswered_arbitrary_origin_is_replaced_by_the_second() -> None:
    pol = policy()
    origins = probe_origins(SITE, pol, LABEL)
    round1: list[Exchange] = []
    for probe in plan_initial(TARGET, pol, origins, LABEL, credentialed=False):
        exchange = respond(probe, lambda _: (200, ()))
        if probe.origin is not None and probe.origin.cls is OriginClass.ARBITRARY:
            reset = ScanError(ErrorKind.RESET, "connection reset")
            exchange = replace(exchange, response=None, error=reset)
        round1.append(exchange)
    probes, _ = plan_followup(TARGET, pol, origins, round1, credentialed=False)
    second = [o for o in origins if o.cls is OriginClass.ARBITRARY][1]
    # The second origin's actual request only: the unanswered preflight granted nothing
    confirmations = [p for p in probes if p.origin and p.origin.cls is OriginClass.ARBITRARY]
    assert [(p.kind, p.origin) for p in confirmations] == [(ProbeKind.ACTUAL, second)]
