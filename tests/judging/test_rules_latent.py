"""Latent findings (issue 14): when an invalid or missing Access-Control-Allow-Origin blocks
every trusted origin, the preflight's Allow-Methods, Allow-Headers and Max-Age are still judged
as if that header were fixed, and reported one severity lower with ``latent`` set."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from support.report_fixtures import sample_report
from support.rule_builders import APP, SITE, allowlist, policy, rules_of, run, trusted_only

from cors_audit.core.models import EffectivePolicy, Finding, Headers, Probe, Severity
from cors_audit.formats import console, html, markdown, sarif
from cors_audit.formats import json as json_format
from cors_audit.judging.rules.preflights import LATENT
from cors_audit.report.build import finding_model
from cors_audit.report.model import Report

ADMIN = "https://admin.example.com"
ACAO = "Access-Control-Allow-Origin"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACMA = "Access-Control-Max-Age"


def by_rule(findings: tuple[Finding, ...]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.rule, []).append(finding)
    return grouped


def nginx_two_origins(probe: Probe) -> tuple[int, Headers]:
    """The classic copy-pasted nginx block, on every reply (add_header at location level)::

    add_header Access-Control-Allow-Origin "https://app.example.com, https://admin.example.com";
    add_header Access-Control-Allow-Methods "GET, POST, PUT, DELETE, OPTIONS";
    add_header Access-Control-Allow-Headers "access-key,api-key";
    if ($request_method = OPTIONS) { return 204; }
    """
    headers = (
        (ACAO, f"{APP}, {ADMIN}"),
        (ACAM, "GET, POST, PUT, DELETE, OPTIONS"),
        (ACAH, "access-key,api-key"),
    )
    return (204 if probe.is_preflight else 200), headers


def test_the_nginx_two_origins_block_gets_every_problem_in_one_report() -> None:
    # Given a policy trusting both origins (GET/POST/PATCH, Content-Type and Authorization)
    pol = policy(trusted_origins=(APP, ADMIN), allow_credentials=False)
    # When the nginx block answers every probe
    findings, _ = run(nginx_two_origins, pol)
    # Then the broken origin header and what lies behind it are all reported at once
    found = by_rule(findings)
    assert set(found) == {
        "invalid-allow-origin",
        "trusted-origin-denied",
        "methods-beyond-policy",
        "headers-beyond-policy",
    }
    assert not any(f.latent for f in found["invalid-allow-origin"] + found["trusted-origin-denied"])
    assert {f.origin for f in found["trusted-origin-denied"]} == {APP, ADMIN}
    # trusted-origin-denied says that fixing the origin header alone would not be enough
    assert all(
        "once Access-Control-Allow-Origin is fixed it still fails "
        "(MethodDisallowedByPreflightResponse)" in f.detail
        for f in found["trusted-origin-denied"]
    )
    (methods,) = found["methods-beyond-policy"]
    assert methods.latent
    assert methods.severity is Severity.LOW  # medium, one level lower
    assert "outside the policy: PUT, DELETE." in methods.detail
    assert "OPTIONS too (info only" in methods.detail
    assert LATENT in methods.detail
    (headers,) = found["headers-beyond-policy"]
    assert headers.latent
    assert headers.severity is Severity.INFO  # low, one level lower
    assert "access-key, api-key" in headers.detail
    assert LATENT in headers.detail
    # the evidence is the replies as received (the invalid header included)
    assert all(
        e.response is not None and (ACAO, f"{APP}, {ADMIN}") in e.response.headers
        for f in (methods, headers)
        for e in f.evidence
    )


def preflight_without_allow_origin(probe: Probe) -> tuple[int, Headers]:
    """A framework that routes OPTIONS past its CORS layer: the preflight gets Allow-Methods
    and Allow-Headers but no Access-Control-Allow-Origin; actual replies are fine."""
    origin = probe.origin.value if probe.origin else None
    if probe.is_preflight:
        return 204, (
            (ACAM, "GET, POST, PATCH, DELETE"),
            (ACAH, "Content-Type, Authorization, X-Debug"),
        )
    if origin == APP:
        return 200, (
            ("Vary", "Origin"),
            (ACAO, APP),
            ("Access-Control-Allow-Credentials", "true"),
        )
    return 200, (("Vary", "Origin"),)


def test_a_missing_allow_origin_on_preflights_makes_scope_and_caching_latent() -> None:
    findings, _ = run(preflight_without_allow_origin)
    found = by_rule(findings)
    assert set(found) == {
        "trusted-origin-denied",
        "preflight-actual-mismatch",
        "methods-beyond-policy",
        "headers-beyond-policy",
        "missing-max-age",
    }
    latent = {f.rule: f for f in findings if f.latent}
    assert set(latent) == {"methods-beyond-policy", "headers-beyond-policy", "missing-max-age"}
    assert latent["methods-beyond-policy"].severity is Severity.LOW
    assert "outside the policy: DELETE." in latent["methods-beyond-policy"].detail
    assert latent["headers-beyond-policy"].severity is Severity.INFO
    assert "X-Debug" in latent["headers-beyond-policy"].detail
    assert latent["missing-max-age"].severity is Severity.INFO
    assert all(LATENT in f.detail for f in latent.values())


def test_the_same_preflight_with_its_allow_origin_gives_the_normal_findings() -> None:
    # The control: the same Allow-Methods/-Headers and no Max-Age behind a correct origin
    # header are reported as they are, at their normal severity and without `latent`.
    server = allowlist(
        trusted_only,
        methods="GET, POST, PATCH, DELETE",
        headers="Content-Type, Authorization, X-Debug",
        max_age=None,
    )
    findings, _ = run(server)
    severities = {f.rule: f.severity for f in findings}
    assert severities == {
        "methods-beyond-policy": Severity.MEDIUM,
        "headers-beyond-policy": Severity.LOW,
        "missing-max-age": Severity.LOW,
    }
    assert not any(f.latent or LATENT in f.detail for f in findings)


def test_a_latent_max_age_out_of_range_is_info() -> None:
    def server(probe: Probe) -> tuple[int, Headers]:
        status, headers = preflight_without_allow_origin(probe)
        if probe.is_preflight:
            headers = (
                (ACAM, "GET, POST, PATCH"),
                (ACAH, "Content-Type, Authorization"),
                (ACMA, "30"),
            )
        return status, headers

    findings, _ = run(server)
    (finding,) = (f for f in findings if f.rule == "max-age-out-of-range")
    assert finding.latent
    assert finding.severity is Severity.INFO
    assert "below the policy's minimum 600" in finding.detail


def test_a_server_without_cors_has_nothing_latent() -> None:
    # An OPTIONS handler that knows nothing of CORS answers no preflight question: once a
    # browser needs no preflight at all (GET, no unsafe header), fixing Allow-Origin alone
    # would make it "succeed", but there is no Max-Age to judge.
    def server(probe: Probe) -> tuple[int, Headers]:
        return (204 if probe.is_preflight else 200), (("Content-Type", "application/json"),)

    findings, _ = run(server, policy(allowed_methods=("GET",), allowed_headers=()))
    assert rules_of(findings) == {"trusted-origin-denied"}
    assert not any(f.latent for f in findings)


def test_nothing_is_latent_without_a_policy() -> None:
    # Policy-free, the only trusted origin is the target's own, which needs no CORS.
    free = EffectivePolicy(trusted_origins=(SITE,), policy_free=True)
    findings, _ = run(preflight_without_allow_origin, free)
    assert not any(f.latent for f in findings)
    assert "missing-max-age" not in rules_of(findings)


def test_no_latent_findings_while_a_trusted_preflight_passes() -> None:
    # Two trusted origins, only APP admitted: the rules judge APP's preflight as usual and
    # nothing is latent (the other origin is trusted-origin-denied).
    pol = policy(trusted_origins=(APP, ADMIN))
    findings, _ = run(allowlist(trusted_only, methods="GET, POST, PATCH, DELETE"), pol)
    (methods,) = (f for f in findings if f.rule == "methods-beyond-policy")
    assert not methods.latent
    assert methods.severity is Severity.MEDIUM
    assert "trusted-origin-denied" in rules_of(findings)


# --- The flag in the report and its formats --------------------------------------------------


def latent_report() -> Report:
    """The sample report with its first finding marked latent."""
    report = sample_report()
    first = report.findings[0].model_copy(update={"latent": True})
    return report.model_copy(update={"findings": [first, *report.findings[1:]]})


def test_the_json_report_carries_latent_and_the_schema_accepts_it() -> None:
    findings, _ = run(nginx_two_origins, policy(trusted_origins=(APP, ADMIN)))
    models = [finding_model(f) for f in findings]
    assert {m.rule for m in models if m.latent} == {
        "methods-beyond-policy",
        "headers-beyond-policy",
    }
    report = latent_report()
    document = json.loads(json_format.render(report))
    assert [f["latent"] for f in document["findings"]][:2] == [True, False]
    validator = Draft202012Validator(json_format.shipped_schema())
    validator.validate(document)
    # optional: a report written before the field existed still loads
    del document["findings"][0]["latent"]
    assert Report.model_validate(document).findings[0].latent is False


@pytest.mark.parametrize(
    ("render", "tag"),
    [
        pytest.param(console.render, "[latent]", id="console"),
        pytest.param(markdown.render, "(latent)", id="markdown"),
        pytest.param(html.render, '<span class="tag">latent</span>', id="html"),
    ],
)
def test_formats_tag_latent_findings(render: object, tag: str) -> None:
    assert callable(render)
    assert tag not in render(sample_report())
    assert render(latent_report()).count(tag) == 1


def test_sarif_marks_latent_results() -> None:
    document = json.loads(sarif.render(latent_report()))
    results = document["runs"][0]["results"]
    assert [r["properties"].get("latent", False) for r in results][:2] == [True, False]
