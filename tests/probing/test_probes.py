"""The probe planner: what is sent in each round, which shortcuts it takes and which not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from support.rule_builders import (
    APP,
    LABEL,
    NARROW_CLASSES,
    SITE,
    allowlist,
    policy,
    respond,
    trusted_only,
)

from cors_audit.core.models import (
    ErrorKind,
    Exchange,
    Headers,
    OriginClass,
    Probe,
    ProbeKind,
    ScanError,
    Target,
)
from cors_audit.judging.rules import evaluate
from cors_audit.probing.origins import probe_origins
from cors_audit.probing.planner import (
    ATTACK,
    BEYOND,
    PNA,
    POLICY,
    PolicyRequest,
    admitted,
    beyond_request,
    plan_initial,
    plan_next,
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


Server = Callable[[Probe], tuple[int, Headers]]


def _round1(server: Server, target: Target = TARGET) -> list[Exchange]:
    pol = policy()
    origins = probe_origins(SITE, pol, LABEL)
    return [
        respond(p, server) for p in plan_initial(target, pol, origins, LABEL, credentialed=False)
    ]


def _round2(server: Server) -> tuple[tuple[Probe, ...], str | None]:
    return plan_next(TARGET, policy(), LABEL, _round1(server), credentialed=False)


def _complete(
    server: Server, target: Target = TARGET, **pol: object
) -> tuple[list[Exchange], list[str]]:
    """Every round until the planner has nothing left, and the notes it gave."""
    effective = policy(**pol)
    origins = probe_origins(SITE, effective, LABEL)
    exchanges = [
        respond(p, server)
        for p in plan_initial(target, effective, origins, LABEL, credentialed=False)
    ]
    notes: list[str] = []
    for _ in range(10):
        more, note = plan_next(target, effective, LABEL, exchanges, credentialed=False)
        if note:
            notes.append(note)
        if not more:
            return exchanges, notes
        exchanges += [respond(p, server) for p in more]
    raise AssertionError("the plan did not end")


def _reflect(probe: Probe) -> tuple[int, Headers]:
    value = probe.origin.value if probe.origin else "x"
    return 200, (
        ("Access-Control-Allow-Origin", value),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "GET, POST, PATCH"),
        ("Access-Control-Allow-Headers", "authorization, content-type"),
    )


def _static(value: str) -> Server:
    return lambda probe: (
        200,
        (("Access-Control-Allow-Origin", value), ("Access-Control-Allow-Credentials", "true")),
    )


def _classes(exchanges: list[Exchange]) -> set[OriginClass]:
    return {e.probe.origin.cls for e in exchanges if e.probe.origin}


NARROW = NARROW_CLASSES


def test_round_two_runs_for_a_dynamic_allowlist() -> None:
    probes, note = _round2(allowlist(trusted_only))
    assert note is None
    classes = {p.origin.cls for p in probes if p.origin}
    assert OriginClass.NULL in classes
    assert OriginClass.PREFIX in classes
    assert OriginClass.FIRST_PARTY in classes
    assert OriginClass.TRUSTED not in classes


def test_a_reflected_origin_is_confirmed_first_and_then_stops_the_plan() -> None:
    # Round 2 holds only the arbitrary origin's confirmations: a second one (C03) and
    # private-network access
    probes, note = _round2(_reflect)
    assert note is None
    assert [(p.kind, p.purpose, p.origin.cls if p.origin else None) for p in probes] == [
        (ProbeKind.ACTUAL, ATTACK, OriginClass.ARBITRARY),
        (ProbeKind.PRIVATE_NETWORK, PNA, OriginClass.ARBITRARY),
    ]
    first = probe_origins(SITE, policy(), LABEL)
    arbitrary = [o for o in first if o.cls is OriginClass.ARBITRARY]
    assert [p.origin for p in probes] == [arbitrary[1], arbitrary[0]]
    # Once both arbitrary origins are let in, nothing narrower is sent, and a note says why
    exchanges, notes = _complete(_reflect)
    assert _classes(exchanges) == {OriginClass.TRUSTED, OriginClass.ARBITRARY}
    assert len(notes) == 1
    assert "narrower origin probes were skipped" in notes[0]


def test_a_coincidental_arbitrary_match_does_not_stop_the_plan() -> None:
    # Given a server that lets in the first arbitrary origin's domain but not the second one
    def odd(probe: Probe) -> tuple[int, Headers]:
        value = probe.origin.value if probe.origin else ""
        if value.endswith("invalid-attacker.net") or value == APP:
            return _reflect(probe)
        return 200, ()

    # Then the narrower origins are all probed
    exchanges, notes = _complete(odd)
    assert _classes(exchanges) >= NARROW
    assert notes == []


@pytest.mark.parametrize(
    "server",
    [
        pytest.param(_static("null"), id="static-null"),
        pytest.param(_static(APP), id="static-trusted-origin"),
        pytest.param(_static("*"), id="static-star"),
        pytest.param(lambda probe: (200, ()), id="no-cors-at-all"),
    ],
)
def test_a_static_answer_still_gets_every_narrow_probe(server: Server) -> None:
    # The same Access-Control-Allow-Origin for the trusted and the arbitrary origin proves
    # nothing about `null`, look-alikes or an allowlist with a static fallback
    exchanges, notes = _complete(server)
    assert _classes(exchanges) >= NARROW
    assert notes == []


def test_a_static_null_with_credentials_is_a_null_origin_finding() -> None:
    exchanges, _ = _complete(_static("null"))
    findings = evaluate(TARGET, policy(), exchanges)
    null = [f for f in findings if f.rule == "null-origin"]
    assert null
    assert null[0].credentialed
    assert null[0].severity.rank >= 3


def test_a_refused_arbitrary_origin_still_gets_the_second_but_no_private_network() -> None:
    # A pattern allowlist may refuse one attacker domain and admit the other: the second
    # arbitrary origin always goes out, with the narrower origins (nothing to confirm first)
    probes, note = _round2(allowlist(trusted_only))
    assert note is None
    arbitrary = [
        p for p in probes if p.origin is not None and p.origin.cls is OriginClass.ARBITRARY
    ]
    assert [(p.kind, p.purpose) for p in arbitrary] == [(ProbeKind.ACTUAL, ATTACK)]
    assert all(p.kind is not ProbeKind.PRIVATE_NETWORK for p in probes)
    assert {p.origin.cls for p in probes if p.origin} > {OriginClass.ARBITRARY}


def test_a_wildcard_gets_the_second_origin_and_the_private_network_preflight() -> None:
    probes, note = _round2(lambda probe: (200, (("Access-Control-Allow-Origin", "*"),)))
    assert note is None
    assert [(p.kind, p.purpose) for p in probes] == [
        (ProbeKind.ACTUAL, ATTACK),
        (ProbeKind.PRIVATE_NETWORK, PNA),
    ]


def test_a_safelisted_target_gets_actual_requests_only_for_narrow_origins() -> None:
    # A page reads a GET endpoint with a simple request, which is never preflighted
    exchanges, _ = _complete(allowlist(lambda o: o in (APP, "null")))
    narrow = [e for e in exchanges if e.probe.origin and e.probe.origin.cls in NARROW]
    assert narrow
    assert all(e.probe.kind is ProbeKind.ACTUAL for e in narrow)


def test_a_preflighted_target_sends_the_actual_request_only_after_a_passing_preflight() -> None:
    # Given a PATCH endpoint whose allowlist holds the trusted origin and `null`
    patch = Target(url=TARGET.url, method="PATCH", site_origin=SITE)
    exchanges, _ = _complete(allowlist(lambda o: o in (APP, "null")), patch)
    narrow = [e for e in exchanges if e.probe.origin and e.probe.origin.cls in NARROW]
    actual = {e.probe.origin.value for e in narrow if e.probe.kind is ProbeKind.ACTUAL}
    preflighted = {e.probe.origin.value for e in narrow if e.probe.kind is ProbeKind.PREFLIGHT}
    # Then every narrow origin got its preflight, and only `null` (which passed) its actual
    assert len(preflighted) == len({e.probe.origin.value for e in narrow})
    assert actual == {"null"}


def test_origins_the_server_admits_are_discovered_and_attacked() -> None:
    # Given a policy-free scan of api.example.com whose server trusts https://dashboard.example.com
    # through a regex anchored at the start only
    def server(probe: Probe) -> tuple[int, Headers]:
        value = probe.origin.value if probe.origin else ""
        if value.startswith("https://dashboard.example.com"):
            return _reflect(probe)
        return 200, ()

    exchanges, _ = _complete(server, trusted_origins=(SITE,), policy_free=True)

    # Then discovery found it, and the prefix variant derived from it was sent and let in
    assert admitted(TARGET, exchanges) == ("https://dashboard.example.com",)
    prefix = [
        e
        for e in exchanges
        if e.probe.origin is not None
        and e.probe.origin.value == f"https://dashboard.example.com.{LABEL}-attacker.net"
    ]
    assert prefix
    pol = policy(trusted_origins=(SITE,), policy_free=True)
    findings = evaluate(TARGET, pol, exchanges)
    assert "prefix-match" in {f.rule for f in findings}
    assert "origin-beyond-policy" not in {f.rule for f in findings}


def test_nothing_admitted_is_discovered_when_anyone_gets_in() -> None:
    exchanges = _round1(_reflect)
    assert admitted(TARGET, exchanges) == ()


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
    probes, _ = plan_next(TARGET, pol, LABEL, round1, credentialed=False)
    second = [o for o in origins if o.cls is OriginClass.ARBITRARY][1]
    # The second origin's actual request only: the unanswered preflight granted nothing
    confirmations = [p for p in probes if p.origin and p.origin.cls is OriginClass.ARBITRARY]
    assert [(p.kind, p.origin) for p in confirmations] == [(ProbeKind.ACTUAL, second)]


def test_reflection_without_credentials_does_not_stop_the_plan_and_folds_the_worst() -> None:
    # Given a server that echoes any origin without credentials, but `null` with them
    def server(probe: Probe) -> tuple[int, Headers]:
        value = probe.origin.value if probe.origin else ""
        if value == "null":
            return _reflect(probe)
        return 200, (("Access-Control-Allow-Origin", value),) if value else ()

    # When the plan runs to its end
    exchanges, notes = _complete(server)

    # Then the narrower origins were probed (reflection without credentials settles nothing)
    assert _classes(exchanges) >= NARROW
    assert notes == []
    # And reflected-origin carries the worst exposure folded into it: null reads with cookies
    findings = evaluate(TARGET, policy(), exchanges)
    main = next(f for f in findings if f.rule == "reflected-origin")
    assert "null-origin" in main.folded
    assert main.credentialed
    assert main.severity.rank >= 3
    assert "null" in main.detail


def test_a_preflighted_target_admits_only_through_a_passing_preflight() -> None:
    # An actual reply behind a refused preflight is nothing a browser sees: not a base
    patch = Target(url=TARGET.url, method="PATCH", site_origin=SITE)

    def server(probe: Probe) -> tuple[int, Headers]:
        if probe.is_preflight or probe.origin is None:
            return 204, ()
        return 200, (("Access-Control-Allow-Origin", probe.origin.value),)

    exchanges, _ = _complete(allowlist(lambda o: o == APP), patch)
    assert admitted(patch, exchanges) == (APP,)
    exchanges, _ = _complete(server, patch)
    assert admitted(patch, exchanges) == ()
