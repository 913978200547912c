"""The SARIF 2.1.0 renderer: valid against the official OASIS schema (tests/assets/), complete
rule metadata from the catalogue, GitHub code scanning conventions (relative locations,
security-severity bands, partial fingerprints), suppressions, notifications, determinism."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft4Validator, FormatChecker
from support import report_fixtures

from cors_audit import HOMEPAGE
from cors_audit.core.models import Severity
from cors_audit.formats import sarif
from cors_audit.judging.rules.catalogue import RULES, help_uri
from cors_audit.report.baseline import Baseline, BaselineEntry
from cors_audit.report.build import GateSettings, build_report
from cors_audit.report.model import Report

SCHEMA_PATH = Path(__file__).parents[1] / "assets" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
TODAY = date(2025, 3, 14)

# RFC 3986 characters (unreserved, reserved and `%`): anything else is not a URI.
_URI_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_SAFE_PATH = re.compile(r"cors/[A-Za-z0-9._~/-]+")


def _format_checker() -> FormatChecker:
    """The schema's formats, checked without optional packages (rfc3987, rfc3339-validator)."""
    checker = FormatChecker(formats=())

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and parts.netloc and _URI_CHARS.fullmatch(value))

    @checker.checks("uri-reference")
    def _uri_reference(value: object) -> bool:
        return not isinstance(value, str) or bool(_URI_CHARS.fullmatch(value))

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return value.endswith("Z") and datetime.fromisoformat(value).tzinfo is not None

    return checker


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=_format_checker())


def _log(report: Report) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(sarif.render(report))
    return document


def _run(report: Report) -> dict[str, Any]:
    run: dict[str, Any] = _log(report)["runs"][0]
    return run


def _uri(result: dict[str, Any]) -> str:
    uri: str = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    return uri


def baseline_report() -> Report:
    """The sample scan with a baseline: two findings suppressed (one with an expiry date), one
    entry expired (its finding is active again), one entry fixed (its URL scanned clean)."""
    results = report_fixtures.sample_results()
    posts, feed, health = results[0], results[1], results[2]
    entries = (
        BaselineEntry(
            fingerprint=posts.findings[0].fingerprint,
            reason="legacy partner API",
            expires=date(2030, 1, 1),
        ),
        BaselineEntry(fingerprint=posts.findings[2].fingerprint, reason="CDN caches preflights"),
        BaselineEntry(
            fingerprint=feed.findings[0].fingerprint, reason="until the VPN", expires=TODAY
        ),
        BaselineEntry(fingerprint="0" * 32, reason="was broken once", url=health.target.url),
    )
    return build_report(
        results,
        policy=report_fixtures.POLICY,
        started_at=report_fixtures.STARTED,
        finished_at=report_fixtures.FINISHED,
        gate=GateSettings(fail_on=Severity.MEDIUM),
        baseline=Baseline(path="cors-baseline.toml", entries=entries),
        today=TODAY,
    )


def unknown_rule_report(cwe: str = "") -> Report:
    """A report (e.g. from a newer version) whose findings include rules the catalogue lacks."""
    report = report_fixtures.sample_report()
    first = report.findings[0]
    future = first.model_copy(update={"rule": "future-rule", "cwe": cwe, "title": "Future"})
    other = first.model_copy(update={"rule": "another-rule/x y", "cwe": "CWE-79"})
    return report.model_copy(update={"findings": [*report.findings, future, other, future]})


def surrogate_report() -> Report:
    """A lone surrogate (valid in a Python str, impossible in UTF-8) in server-derived text."""
    report = report_fixtures.sample_report()
    odd = report.findings[0].model_copy(
        update={"detail": "bad \ud800 byte", "url": "https://x.example/\udcff"}
    )
    return report.model_copy(update={"findings": [odd]})


HOSTILE = [
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param("\x00nul", id="nul"),
    pytest.param("\x1b[2J\x1b]0;owned\x07", id="ansi"),
    pytest.param("]]><!--", id="cdata-end"),
    pytest.param("line1\nline2\r\n\tline3", id="newlines"),
    pytest.param('"},{"ruleId":"x', id="json-breakout"),
    pytest.param("../../etc/passwd", id="dot-dot"),
    pytest.param("\u2028\u2029\ufeff\x7f", id="separators"),
    pytest.param("é/日本/%2e%2e/%00", id="non-ascii-and-escapes"),
]

VARIANTS = [
    pytest.param(report_fixtures.sample_report, id="sample"),
    pytest.param(report_fixtures.empty_report, id="empty-policy-free"),
    pytest.param(lambda: report_fixtures.empty_report(policy_free=False), id="empty-policy"),
    pytest.param(baseline_report, id="baseline"),
    pytest.param(unknown_rule_report, id="unknown-rule"),
    pytest.param(surrogate_report, id="lone-surrogate"),
    *(
        pytest.param(lambda p=p.values[0]: report_fixtures.hostile_report(p), id=f"hostile-{p.id}")
        for p in HOSTILE
    ),
]


# --- the schema asset ---------------------------------------------------------------------------


def test_schema_asset_is_the_official_oasis_schema() -> None:
    data = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256, "tests/assets schema was edited"
    schema = json.loads(data)
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]


@pytest.mark.parametrize("build", VARIANTS)
def test_output_validates_against_the_sarif_schema(
    build: Callable[[], Report], validator: Draft4Validator
) -> None:
    text = sarif.render(build())
    text.encode("utf-8")  # writable as UTF-8, whatever the report held
    errors = sorted(validator.iter_errors(json.loads(text)), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_schema_check_is_not_vacuous(validator: Draft4Validator) -> None:
    log = _log(report_fixtures.sample_report())
    log["runs"][0]["results"][0]["level"] = "critical"
    log["runs"][0]["invocations"][0]["startTimeUtc"] = "yesterday"
    log["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "not a uri"
    paths = {tuple(e.path)[-1] for e in validator.iter_errors(log)}
    assert paths == {"level", "startTimeUtc", "helpUri"}


# --- log, run and tool --------------------------------------------------------------------------


def test_log_has_one_run_by_cors_audit(report: Report) -> None:
    log = _log(report)
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "cors-audit"
    assert driver["version"] == report.tool.version
    assert driver["semanticVersion"] == report.tool.version
    assert driver["informationUri"] == HOMEPAGE


def test_rules_are_the_whole_catalogue_in_order(clean_report: Report) -> None:
    rules = _run(clean_report)["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [rule.id for rule in RULES]


@pytest.mark.parametrize("index", range(len(RULES)), ids=[rule.id for rule in RULES])
def test_each_rule_carries_full_metadata(index: int, clean_report: Report) -> None:
    rule = RULES[index]
    descriptor = _run(clean_report)["tool"]["driver"]["rules"][index]
    assert descriptor["id"] == rule.id
    assert re.fullmatch(r"(?:[A-Z][a-z0-9]*)+", descriptor["name"])
    assert descriptor["name"].lower() == rule.id.replace("-", "")
    assert descriptor["shortDescription"] == {"text": rule.title}
    assert descriptor["fullDescription"] == {"text": rule.why}
    for field in ("text", "markdown"):
        help_text = descriptor["help"][field]
        assert rule.why in help_text
        assert rule.fix in help_text
        assert rule.severity in help_text
        assert rule.cwe in help_text
    assert f"[{rule.cwe}](https://cwe.mitre.org/" in descriptor["help"]["markdown"]
    assert descriptor["helpUri"] == help_uri(rule.id)
    assert descriptor["defaultConfiguration"] == {"level": sarif.LEVELS[rule.default]}
    properties = descriptor["properties"]
    number = rule.cwe.removeprefix("CWE-")
    assert {"security", "cors", rule.family, f"external/cwe/cwe-{number}"} <= set(
        properties["tags"]
    )
    assert properties["tags"] == sorted(set(properties["tags"]))
    assert properties["precision"] == sarif.PRECISION[rule.family]
    assert properties["security-severity"] == sarif.SECURITY_SEVERITY[rule.default]
    (relationship,) = descriptor["relationships"]
    assert relationship["target"]["id"] == number
    assert relationship["target"]["toolComponent"]["name"] == "CWE"


@pytest.mark.parametrize(
    ("rule_id", "name"),
    [
        pytest.param("reflected-origin", "ReflectedOrigin", id="two-words"),
        pytest.param("credentials-with-wildcard", "CredentialsWithWildcard", id="three-words"),
        pytest.param("max-age-out-of-range", "MaxAgeOutOfRange", id="five-words"),
        pytest.param("future", "Future", id="one-word"),
    ],
)
def test_rule_name_is_pascal_case(rule_id: str, name: str) -> None:
    assert sarif._pascal(rule_id) == name


def test_every_family_has_a_github_precision() -> None:
    assert {rule.family for rule in RULES} <= set(sarif.PRECISION)
    assert set(sarif.PRECISION.values()) <= {"very-high", "high", "medium", "low"}
    # proven by the browser model
    assert sarif.PRECISION["origin"] == "very-high"


def test_cwe_taxonomy_resolves_every_relationship(clean_report: Report) -> None:
    run = _run(clean_report)
    (taxonomy,) = run["taxonomies"]
    assert taxonomy["name"] == "CWE"
    assert run["tool"]["driver"]["supportedTaxonomies"] == [{"name": "CWE", "index": 0}]
    taxa = taxonomy["taxa"]
    assert [t["id"] for t in taxa] == sorted({r.cwe[4:] for r in RULES}, key=int)
    for descriptor in run["tool"]["driver"]["rules"]:
        for relationship in descriptor["relationships"]:
            target = relationship["target"]
            assert taxa[target["index"]]["id"] == target["id"]
            assert target["toolComponent"]["index"] == 0


# --- results ------------------------------------------------------------------------------------


def test_one_result_per_finding_in_report_order(report: Report) -> None:
    run = _run(report)
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [r["ruleId"] for r in results] == [f.rule for f in report.findings]
    for result, finding in zip(results, report.findings, strict=True):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == sarif.LEVELS[finding.severity]
        assert result["partialFingerprints"] == {"corsAuditFinding/v1": finding.fingerprint}
        text = result["message"]["text"]
        for part in (finding.url, finding.method, finding.title, finding.detail):
            assert part in text
        assert finding.origin is not None
        assert f"Origin: {finding.origin}" in text
        assert ("with credentials" in text) is finding.credentialed
        assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
        expected: dict[str, object] = {
            "url": finding.url,
            "method": finding.method,
            "origin": finding.origin,
            "credentialed": finding.credentialed,
            "cors_error": finding.cors_error,
            "curl": finding.curl,
            "severity": finding.severity.value,
            "security-severity": sarif.SECURITY_SEVERITY[finding.severity],
            "folded": finding.folded,
        }
        if finding.remediation:
            expected["remediation"] = finding.remediation[0].model_dump(mode="json")
        if finding.exploitability is not None:
            expected["exploitability"] = finding.exploitability.model_dump(mode="json")
        assert result["properties"] == expected
        assert "suppressions" not in result


def test_finding_without_origin_says_so(report: Report) -> None:
    finding = report.findings[0].model_copy(update={"origin": None, "cors_error": "blocked"})
    (result,) = _run(report.model_copy(update={"findings": [finding]}))["results"]
    assert "Origin: (none sent)" in result["message"]["text"]
    assert result["properties"]["origin"] is None
    assert result["properties"]["cors_error"] == "blocked"


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        pytest.param(Severity.CRITICAL, "error", id="critical"),
        pytest.param(Severity.HIGH, "error", id="high"),
        pytest.param(Severity.MEDIUM, "warning", id="medium"),
        pytest.param(Severity.LOW, "note", id="low"),
        pytest.param(Severity.INFO, "note", id="info"),
    ],
)
def test_result_level_per_severity(severity: Severity, level: str, report: Report) -> None:
    finding = report.findings[0].model_copy(update={"severity": severity})
    (result,) = _run(report.model_copy(update={"findings": [finding]}))["results"]
    assert result["level"] == level


@pytest.mark.parametrize(
    ("severity", "low", "high"),
    [
        # GitHub: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low
        pytest.param(Severity.CRITICAL, 9.0, 10.0, id="critical"),
        pytest.param(Severity.HIGH, 7.0, 8.9, id="high"),
        pytest.param(Severity.MEDIUM, 4.0, 6.9, id="medium"),
        pytest.param(Severity.LOW, 0.1, 3.9, id="low"),
        pytest.param(Severity.INFO, 0.0, 0.0, id="info"),
    ],
)
def test_security_severity_falls_in_githubs_band(
    severity: Severity, low: float, high: float
) -> None:
    value = sarif.SECURITY_SEVERITY[severity]
    assert isinstance(value, str)
    assert low <= float(value) <= high
    # and the band agrees with the SARIF level GitHub shows beside it
    level = sarif.LEVELS[severity]
    assert level == ("error" if float(value) >= 7.0 else "warning" if low >= 4.0 else "note")


def test_unknown_rules_get_a_descriptor_after_the_catalogue() -> None:
    report = unknown_rule_report(cwe="CWE-1021")
    run = _run(report)
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules[len(RULES) :]] == ["another-rule/x y", "future-rule"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    future = rules[-1]
    assert future["shortDescription"] == {"text": "Future"}
    assert future["helpUri"] == help_uri("future-rule")
    assert rules[-2]["helpUri"] == help_uri("another-rule%2Fx%20y")
    assert future["properties"]["precision"] == "medium"
    assert "external/cwe/cwe-1021" in future["properties"]["tags"]
    taxa = [t["id"] for t in run["taxonomies"][0]["taxa"]]
    assert {"79", "1021"} <= set(taxa)
    assert taxa == sorted(taxa, key=int)


def test_unknown_rule_without_cwe_has_no_relationship() -> None:
    rules = _run(unknown_rule_report(cwe=""))["tool"]["driver"]["rules"]
    future = rules[-1]
    assert future["id"] == "future-rule"
    assert "relationships" not in future
    assert not [tag for tag in future["properties"]["tags"] if tag.startswith("external/cwe")]


# --- locations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "uri"),
    [
        pytest.param(
            "https://api.example.com/v1/users", "cors/api.example.com/v1/users", id="plain"
        ),
        pytest.param(
            "https://10.0.4.7:8443/internal/feed", "cors/10.0.4.7_8443/internal/feed", id="port"
        ),
        pytest.param("https://Example.COM/", "cors/example.com/_root", id="root-lowercased"),
        pytest.param("https://example.com", "cors/example.com/_root", id="no-path"),
        pytest.param("https://example.com/a//b/", "cors/example.com/a/b", id="empty-segments"),
        pytest.param(
            "https://example.com/search?q=a b&x=1",
            "cors/example.com/search/_q_q_a_b_x_1",
            id="query",
        ),
        pytest.param("https://example.com/?x", "cors/example.com/_root/_q_x", id="root-query"),
        pytest.param("https://example.com/a#frag", "cors/example.com/a", id="fragment-dropped"),
        pytest.param(
            "https://user:secret@example.com/a", "cors/example.com/a", id="userinfo-dropped"
        ),
        pytest.param("https://example.com/%2e%2e/x", "cors/example.com/_2e_2e/x", id="escapes"),
        pytest.param("https://example.com/../../x", "cors/example.com/_/_/x", id="dot-dot"),
        pytest.param("https://example.com/./a..b/.c", "cors/example.com/_/a_b/.c", id="dots"),
        pytest.param("http://[::1]:8080/x", "cors/__1_8080/x", id="ipv6"),
        pytest.param("https://bücher.example/é", "cors/b_cher.example/_", id="non-ascii"),
        pytest.param("not a url", "cors/_nohost/not_a_url", id="no-host"),
        pytest.param(
            "https://x.example:99999/",
            f"cors/_invalid/{hashlib.sha256(b'https://x.example:99999/').hexdigest()[:12]}",
            id="bad-port",
        ),
        pytest.param(
            "https://[::1/x",
            f"cors/_invalid/{hashlib.sha256(b'https://[::1/x').hexdigest()[:12]}",
            id="bad-ipv6",
        ),
    ],
)
def test_artifact_uri_mapping(url: str, uri: str) -> None:
    assert sarif.artifact_uri(url) == uri


def test_long_segments_and_paths_are_bounded_and_stay_distinct() -> None:
    long_segment = "a" * 500
    one = sarif.artifact_uri(f"https://example.com/{long_segment}x")
    two = sarif.artifact_uri(f"https://example.com/{long_segment}y")
    assert one != two
    assert all(len(part) <= 64 for part in one.split("/"))
    deep_one = sarif.artifact_uri("https://example.com/" + "abc/" * 300 + "1")
    deep_two = sarif.artifact_uri("https://example.com/" + "abc/" * 300 + "2")
    assert deep_one != deep_two
    assert len(deep_one) <= 200 + 13
    assert re.fullmatch(r"cors/example\.com/(abc/)+ab?c?~[0-9a-f]{12}", deep_one)


@given(st.text(max_size=400))
def test_artifact_uri_is_always_a_safe_relative_path(tail: str) -> None:
    for url in (tail, f"https://example.com/{tail}", f"https://{tail}/x?{tail}"):
        uri = sarif.artifact_uri(url)
        assert _SAFE_PATH.fullmatch(uri), uri
        assert ".." not in uri
        assert "//" not in uri
        assert "." not in uri.split("/")
        assert len(uri) <= 200 + 13
        assert sarif.artifact_uri(url) == uri


@pytest.mark.parametrize("payload", HOSTILE)
def test_every_location_is_repository_relative(payload: str) -> None:
    for result in _run(report_fixtures.hostile_report(payload))["results"]:
        uri = _uri(result)
        assert _SAFE_PATH.fullmatch(uri), uri
        assert ".." not in uri
        assert not urlsplit(uri).scheme


# --- hostile content and determinism ------------------------------------------------------------


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_strings_survive_as_json_strings(payload: str) -> None:
    report = report_fixtures.hostile_report(payload)
    text = sarif.render(report)
    # Given any payload, the text has no raw control character but the layout's newlines
    assert not re.search(r"[\x00-\x09\x0b-\x1f]", text)
    log = json.loads(text)
    # and every value reads back exactly
    (result,) = log["runs"][0]["results"]
    finding = report.findings[0]
    assert result["properties"]["url"] == finding.url
    assert result["properties"]["curl"] == finding.curl
    assert finding.detail in result["message"]["text"]
    (note,) = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert f"malformed status line {payload}" in note["message"]["text"]


def test_lone_surrogate_becomes_a_replacement_character() -> None:
    text = sarif.render(surrogate_report())
    (result,) = json.loads(text)["runs"][0]["results"]
    assert "bad ? byte" in result["message"]["text"]
    assert result["properties"]["url"] == "https://x.example/?"
    assert _SAFE_PATH.fullmatch(_uri(result))


def test_huge_strings_render_whole_with_a_bounded_location(report: Report) -> None:
    url = "https://example.com/" + "p" * 100_000 + "?" + "q=" * 100_000
    finding = report.findings[0].model_copy(update={"url": url, "detail": "d" * 1_000_000})
    (result,) = _run(report.model_copy(update={"findings": [finding]}))["results"]
    assert result["properties"]["url"] == url
    assert "d" * 1_000_000 in result["message"]["text"]
    assert len(_uri(result)) <= 213


@pytest.mark.parametrize("build", VARIANTS)
def test_output_is_deterministic(build: Callable[[], Report]) -> None:
    report = build()
    text = sarif.render(report)
    assert text == sarif.render(report)
    assert text.endswith("}\n")


def test_output_survives_a_json_round_trip_of_the_report(report: Report) -> None:
    reloaded = Report.model_validate_json(report.to_json())
    assert sarif.render(reloaded) == sarif.render(report)


def test_object_keys_are_sorted(report: Report) -> None:
    text = sarif.render(report)
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- invocation: errors, times, exit code -------------------------------------------------------


def test_unscannable_targets_become_error_notifications(report: Report) -> None:
    (invocation,) = _run(report)["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["exitCode"] == report.gate.exit_code
    (down,) = [t for t in report.targets if t.error is not None]
    assert down.error is not None
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["descriptor"] == {"id": "timeout"}
    for part in (down.url, "timeout", down.error.message):
        assert part in note["message"]["text"]
    assert note["properties"] == {
        "url": down.url,
        "method": "GET",
        "target_index": down.index,
        "error_kind": "timeout",
    }


def test_clean_scan_is_a_successful_execution(clean_report: Report) -> None:
    run = _run(clean_report)
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == []
    assert invocation["exitCode"] == 0
    assert run["results"] == []


@pytest.mark.parametrize(
    ("started", "shown"),
    [
        pytest.param(
            datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC), "2025-03-14T09:26:53.000Z", id="utc"
        ),
        pytest.param(
            datetime(2025, 3, 14, 11, 26, 53, 123456, tzinfo=timezone(timedelta(hours=2))),
            "2025-03-14T09:26:53.123Z",
            id="offset",
        ),
        pytest.param(datetime(2025, 3, 14, 9, 26, 53), "2025-03-14T09:26:53.000Z", id="naive"),
    ],
)
def test_times_are_utc(started: datetime, shown: str, report: Report) -> None:
    odd = report.model_copy(update={"started_at": started, "finished_at": started})
    (invocation,) = _run(odd)["invocations"]
    assert invocation["startTimeUtc"] == shown
    assert invocation["endTimeUtc"] == shown


# --- baseline and run properties ----------------------------------------------------------------


def test_suppressed_findings_carry_an_accepted_external_suppression() -> None:
    report = baseline_report()
    results = _run(report)["results"]
    suppressed = {
        r["partialFingerprints"]["corsAuditFinding/v1"]: r["suppressions"]
        for r in results
        if "suppressions" in r
    }
    expected = {f.fingerprint: f for f in report.findings if f.suppressed}
    assert set(suppressed) == set(expected)
    assert len(expected) == 2
    by_reason = {s[0]["justification"]: s for s in suppressed.values()}
    assert by_reason["legacy partner API"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "legacy partner API",
            "properties": {"expires": "2030-01-01"},
        }
    ]
    assert by_reason["CDN caches preflights"][0]["properties"] == {"expires": None}
    # the expired entry's finding is active again: no suppression, still an error
    private = next(r for r in results if r["ruleId"] == "private-network-allowed")
    assert "suppressions" not in private
    assert private["level"] == "error"


def test_suppressed_finding_without_its_entry_is_still_suppressed(report: Report) -> None:
    finding = report.findings[0].model_copy(update={"suppressed": True, "suppression": None})
    (result,) = _run(report.model_copy(update={"findings": [finding]}))["results"]
    assert result["suppressions"] == [{"kind": "external", "status": "accepted"}]


def test_run_properties_summarize_score_gate_and_baseline() -> None:
    report = baseline_report()
    properties = _run(report)["properties"]
    summary = report.summary
    assert properties["summary"] == {
        "score": summary.score,
        "grade": summary.grade,
        "targets": 4,
        "findings": summary.findings,
        "suppressed": 2,
        "errors": 1,
        "by_severity": summary.by_severity,
    }
    assert properties["gate"] == {"fail_on": "medium", "failing": report.gate.failing}
    assert properties["baseline"] == {"entries": 4, "suppressed": 2, "expired": 1, "fixed": 1}


def test_run_properties_have_no_baseline_without_one(report: Report) -> None:
    properties = _run(report)["properties"]
    assert "baseline" not in properties
    assert properties["gate"] == {"fail_on": "high", "failing": report.gate.failing}


# --- streamed writing ---------------------------------------------------------------------------


def _whole(report: Report) -> str:
    """The reference the streamed text must equal: the log built whole (every lazy array made
    a list) and written by one ``json.dumps``, surrogates replaced in the whole text."""

    def built(value: Any) -> Any:
        if isinstance(value, sarif._Lazy):
            return [built(item) for item in value.items]
        if isinstance(value, dict):
            return {key: built(item) for key, item in value.items()}
        if isinstance(value, list):
            return [built(item) for item in value]
        return value

    text = json.dumps(
        built(sarif._log(report)), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8", "replace").decode("utf-8") + "\n"


@pytest.mark.parametrize("build", VARIANTS)
def test_iter_sarif_is_the_whole_log_byte_for_byte(build: Callable[[], Report]) -> None:
    report = build()
    assert "".join(sarif.iter_sarif(report)) == _whole(report)


@given(st.text(max_size=60))
def test_iter_sarif_matches_the_whole_log_for_any_text(payload: str) -> None:
    # Lone surrogates included: each becomes "?" whether the text is whole or in chunks.
    report = report_fixtures.hostile_report(payload)
    assert "".join(sarif.iter_sarif(report)) == _whole(report)
