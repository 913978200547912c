"""End to end over the demo lab: every endpoint of the behaviour table is judged exactly as the
table expects, with the demo policy (the same table drives ``cors-audit demo``) and without any
policy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cors_audit.app.scan import ScanOptions, scan
from cors_audit.browser import is_browser_sendable_origin
from cors_audit.core.models import Severity, Target, TargetResult
from cors_audit.demo.lab import (
    DASHBOARD_ORIGIN,
    DEMO_POLICY_TOML,
    DEMO_SITE_ORIGIN,
    ENDPOINTS,
    DemoLab,
    Endpoint,
)
from cors_audit.inputs.policy import Policy, load_policy
from cors_audit.judging.rules.catalogue import ORIGIN_RULES


def scan_lab(policy: Policy | None) -> Iterator[dict[str, TargetResult]]:
    """The whole lab scanned (with its site origin), results by path."""
    with DemoLab() as lab:
        targets = [
            Target(url=url, method=method, site_origin=DEMO_SITE_ORIGIN)
            for url, method in lab.urls()
        ]
        results = scan(targets, policy, ScanOptions(label="labprobe42", keep_exchanges=True))
        yield {result.target.url.removeprefix(lab.base_url): result for result in results}


@pytest.fixture(scope="module")
def lab_results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TargetResult]]:
    policy_file: Path = tmp_path_factory.mktemp("policy") / "cors-policy.toml"
    policy_file.write_text(DEMO_POLICY_TOML, encoding="utf-8")
    yield from scan_lab(load_policy(policy_file))


@pytest.fixture(scope="module")
def free_results() -> Iterator[dict[str, TargetResult]]:
    """The whole lab scanned without a policy (the site origin still given)."""
    yield from scan_lab(None)


def rules(result: TargetResult) -> set[str]:
    """The reported rule ids. Narrower origin rules folded into reflected-origin are not
    counted: whether their probes were sent depends on whether reflection was settled with
    credentials (a reflecting server without credentials gets them too)."""
    folded = {r for f in result.findings for r in f.folded}
    assert folded <= set(ORIGIN_RULES)
    return {f.rule for f in result.findings}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.path)
def test_lab_endpoint_is_judged_as_expected(
    endpoint: object, lab_results: dict[str, TargetResult]
) -> None:
    # Given the lab endpoint, When it was scanned with the demo policy,
    path = endpoint.path  # type: ignore[attr-defined]
    result = lab_results[path]
    assert result.error is None
    # Then exactly the rules of its behaviour-table row are reported.
    assert rules(result) == set(endpoint.expected)  # type: ignore[attr-defined]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.path)
def test_lab_endpoint_is_judged_as_expected_without_a_policy(
    endpoint: Endpoint, free_results: dict[str, TargetResult]
) -> None:
    # Given the lab endpoint, When it was scanned without a policy,
    result = free_results[endpoint.path]
    assert result.error is None
    assert result.policy.policy_free
    # Then exactly the rules its row expects without a policy are reported.
    assert rules(result) == set(endpoint.expected_without_policy)


def test_static_null_is_a_credentialed_null_origin_that_locks_out_the_trusted_origins(
    lab_results: dict[str, TargetResult], free_results: dict[str, TargetResult]
) -> None:
    for results in (lab_results, free_results):
        null = next(f for f in results["/static-null"].findings if f.rule == "null-origin")
        assert (null.severity, null.credentialed, null.origin) == (Severity.CRITICAL, True, "null")
        assert not null.latent
    denied = [f for f in lab_results["/static-null"].findings if f.rule == "trusted-origin-denied"]
    assert sorted(f.origin for f in denied) == [
        "https://admin.example.com",
        "https://app.example.com",
    ]


@pytest.mark.parametrize("path", ["/regex-start", "/regex-end"])
def test_the_unlisted_dashboard_is_discovered_and_its_variants_probed(
    path: str, lab_results: dict[str, TargetResult], free_results: dict[str, TargetResult]
) -> None:
    # Without a policy the dashboard is listed as trusted by the server, not reported
    free = free_results[path]
    assert free.observed is not None
    assert DASHBOARD_ORIGIN in free.observed.discovered
    assert all(f.origin != DASHBOARD_ORIGIN for f in free.findings)
    # With the policy it is origin-beyond-policy (medium: credentials), for that origin only
    beyond = next(f for f in lab_results[path].findings if f.rule == "origin-beyond-policy")
    assert (beyond.origin, beyond.severity) == (DASHBOARD_ORIGIN, Severity.MEDIUM)
    # And in both runs the bypass origin found derives from the dashboard's host
    bypass = {"/regex-start": "prefix-match", "/regex-end": "insecure-scheme"}[path]
    for results in (lab_results, free_results):
        finding = next(f for f in results[path].findings if f.rule == bypass)
        assert finding.origin is not None
        assert "dashboard.example.com" in finding.origin
        assert finding.credentialed


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        pytest.param("/no-origin-wildcard", "credentials-with-wildcard", id="sanic-ext"),
        pytest.param("/empty-origin", "invalid-allow-origin", id="koa"),
    ],
)
def test_the_reply_without_origin_is_context_only(
    path: str,
    rule: str,
    lab_results: dict[str, TargetResult],
    free_results: dict[str, TargetResult],
) -> None:
    for results in (lab_results, free_results):
        result = results[path]
        baseline = next(e for e in result.exchanges if e.probe.origin is None)
        assert baseline.response is not None
        assert any(k.lower() == "access-control-allow-origin" for k, _ in baseline.response.headers)
        assert rule not in rules(result)


def test_every_probe_origin_is_browser_sendable(lab_results: dict[str, TargetResult]) -> None:
    for result in lab_results.values():
        for exchange in result.exchanges:
            if exchange.probe.origin is not None:
                assert is_browser_sendable_origin(exchange.probe.origin.value), exchange.probe


def test_credentialed_reflection_is_critical_and_uncredentialed_medium(
    lab_results: dict[str, TargetResult],
) -> None:
    reflect = lab_results["/reflect-credentials"].findings[0]
    assert (reflect.rule, reflect.severity, reflect.credentialed) == (
        "reflected-origin",
        Severity.CRITICAL,
        True,
    )
    anon = next(
        f for f in lab_results["/anon/reflect-no-vary"].findings if f.rule == "reflected-origin"
    )
    assert anon.severity is Severity.MEDIUM
    assert not anon.credentialed


def test_private_network_raises_uncredentialed_reflection_or_keeps_critical(
    lab_results: dict[str, TargetResult],
) -> None:
    rules = {f.rule: f.severity for f in lab_results["/pna"].findings}
    assert rules["private-network-allowed"] is Severity.HIGH
    assert rules["reflected-origin"].at_least(Severity.HIGH)


def test_correct_endpoints_get_grade_a(lab_results: dict[str, TargetResult]) -> None:
    for path in ("/strict", "/public/catalog"):
        assert lab_results[path].findings == ()
        assert (lab_results[path].score, lab_results[path].grade) == (100, "A")


def test_adaptive_plan_skips_narrow_probes_when_arbitrary_origin_passes(
    lab_results: dict[str, TargetResult],
) -> None:
    reflect = lab_results["/reflect-credentials"]
    strict = lab_results["/strict"]
    assert reflect.requests < strict.requests
    assert any("narrower origin probes were skipped" in note for note in reflect.notes)
    classes = {e.probe.origin.cls.value for e in strict.exchanges if e.probe.origin}
    assert {"null", "prefix", "suffix", "third-party", "subdomain", "first-party"} <= classes


def test_fingerprints_are_stable_across_labels(tmp_path: Path) -> None:
    policy_file = tmp_path / "cors-policy.toml"
    policy_file.write_text(DEMO_POLICY_TOML, encoding="utf-8")
    policy = load_policy(policy_file)
    with DemoLab() as lab:
        targets = [Target(url=lab.url("/prefix"), site_origin=DEMO_SITE_ORIGIN)]
        first = scan(targets, policy, ScanOptions(label="aaaaaaaaaa"))[0]
        second = scan(targets, policy, ScanOptions(label="bbbbbbbbbb"))[0]
    assert [f.origin for f in first.findings] != [f.origin for f in second.findings]
    assert [f.fingerprint for f in first.findings] == [f.fingerprint for f in second.findings]
