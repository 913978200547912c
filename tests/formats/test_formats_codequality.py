"""The GitLab Code Quality report: valid against GitLab's documented format, one issue per
unsuppressed finding and per unscannable or incomplete target, stable fingerprints and pseudo
paths, severities mapped in order, and hostile values kept as plain one-line JSON strings.

The schema (tests/assets/gitlab-codequality.schema.json) is written from GitLab's documented
fields; see tests/assets/README.md.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from support import report_fixtures
from support.cli import assert_clean, invoke
from support.report_fixtures import hostile_report

from cors_audit.core.models import Severity
from cors_audit.formats import ReportFormat, codequality, render, stream
from cors_audit.formats.sarif import artifact_uri
from cors_audit.report.baseline import Baseline, BaselineEntry
from cors_audit.report.build import GateSettings, assemble, build_report
from cors_audit.report.model import Report

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "assets" / "gitlab-codequality.schema.json").read_text(
        encoding="utf-8"
    )
)
VALIDATOR = Draft202012Validator(SCHEMA)
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def issues_of(report: Report) -> list[dict[str, Any]]:
    text = codequality.render(report)
    data: list[dict[str, Any]] = json.loads(text)
    VALIDATOR.validate(data)
    return data


def test_schema_is_a_valid_json_schema_and_rejects_what_gitlab_rejects() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    good = {
        "description": "d",
        "check_name": "c",
        "fingerprint": "f",
        "severity": "minor",
        "location": {"path": "a/b", "lines": {"begin": 1}},
    }
    assert VALIDATOR.is_valid([good])
    assert VALIDATOR.is_valid(
        [{**good, "location": {"path": "a", "positions": {"begin": {"line": 3}}}}]
    )
    bad = [
        {k: v for k, v in good.items() if k != "fingerprint"},
        {**good, "severity": "high"},
        {**good, "location": {"path": "./a/b", "lines": {"begin": 1}}},
        {**good, "location": {"path": "https://x.example/", "lines": {"begin": 1}}},
        {**good, "location": {"path": "a/b"}},
        {**good, "location": {"path": "a/b", "lines": {"begin": 0}}},
    ]
    for issue in bad:
        assert not VALIDATOR.is_valid([issue]), issue


def test_sample_report(report: Report) -> None:
    data = issues_of(report)
    findings = [f for f in report.findings if not f.suppressed]
    errored = [t for t in report.targets if t.error is not None]
    assert len(data) == len(findings) + len(errored) == 7
    for issue, finding in zip(data, findings, strict=False):
        assert issue["check_name"] == f"cors-audit/{finding.rule}"
        assert issue["fingerprint"] == finding.fingerprint
        assert issue["severity"] == codequality.SEVERITIES[finding.severity]
        assert issue["location"] == {"path": artifact_uri(finding.url), "lines": {"begin": 1}}
        assert issue["type"] == "issue"
        assert issue["categories"] == ["Security"]
        assert f"{finding.method} {finding.url}" in issue["description"]
        assert issue["description"].startswith(f"{finding.rule} ({finding.severity.value}): ")
    first = data[0]
    assert first["severity"] == "blocker"
    assert "from Origin https://q7zk2m.invalid-attacker.net, credentialed." in first["description"]
    down = data[-1]
    assert down["check_name"] == "cors-audit/unscannable"
    assert down["severity"] == "major"
    assert down["categories"] == ["Bug Risk"]
    assert down["location"]["path"] == "cors/down.example.com/api/v1/users"
    assert down["description"] == (
        "GET https://down.example.com/api/v1/users could not be scanned: "
        "timeout: no response within 10.0 s (connect)"
    )
    assert len({issue["fingerprint"] for issue in data}) == len(data)


def test_severity_mapping_keeps_the_order() -> None:
    assert [codequality.SEVERITIES[s] for s in Severity] == [
        "blocker",
        "critical",
        "major",
        "minor",
        "info",
    ]


def test_clean_report_is_an_empty_array(clean_report: Report) -> None:
    assert codequality.render(clean_report) == "[]\n"
    assert issues_of(clean_report) == []


def test_stream_is_render_in_chunks(report: Report) -> None:
    text = render(ReportFormat.CODEQUALITY, report)
    assert "".join(stream(ReportFormat.CODEQUALITY, report)) == text == codequality.render(report)
    assert text.endswith("]\n")
    assert ReportFormat.CODEQUALITY.spec.demo_file == "cors-audit.codequality.json"
    assert ReportFormat.CODEQUALITY.spec.option == "--codequality"


def test_suppressed_findings_are_left_out(report: Report) -> None:
    reflected = next(f for f in report.findings if f.rule == "reflected-origin")
    baseline = Baseline(
        path="b.toml", entries=(BaselineEntry(fingerprint=reflected.fingerprint, reason="ok"),)
    )
    suppressed = build_report(
        report_fixtures.sample_results(),
        policy=report_fixtures.POLICY,
        started_at=report_fixtures.STARTED,
        finished_at=report_fixtures.FINISHED,
        gate=GateSettings(fail_on=Severity.HIGH),
        baseline=baseline,
        today=date(2025, 3, 14),
    )
    fingerprints = [issue["fingerprint"] for issue in issues_of(suppressed)]
    assert reflected.fingerprint not in fingerprints
    assert len(fingerprints) == 6


def test_incomplete_target_and_fingerprints_ignore_the_error_message(report: Report) -> None:
    health = report.targets[2].model_copy(
        update={"incomplete": True, "notes": ["Incomplete: 3 planned probes were not sent."]}
    )
    down = report.targets[3]
    flapping = down.model_copy(
        update={"error": down.error.model_copy(update={"kind": "reset", "message": "reset"})}
        if down.error
        else {}
    )
    first = _reassembled(report, [*report.targets[:2], health, down])
    second = _reassembled(report, [*report.targets[:2], health, flapping])
    one, two = issues_of(first), issues_of(second)
    (incomplete,) = [i for i in one if i["check_name"] == "cors-audit/incomplete"]
    assert incomplete["description"] == (
        "GET https://staging.example.com/health was scanned only in part: "
        "Incomplete: 3 planned probes were not sent."
    )
    assert incomplete["severity"] == "major"
    assert [i["fingerprint"] for i in one] == [i["fingerprint"] for i in two]
    assert one[-1]["description"] != two[-1]["description"]


def test_repeated_fingerprints_are_made_unique(report: Report) -> None:
    finding = report.findings[0]
    twin = finding.model_copy(update={"origin": "https://other.example"})
    data = issues_of(_reassembled(report, report.targets, [finding, twin]))
    fingerprints = [issue["fingerprint"] for issue in data]
    assert fingerprints[0] == finding.fingerprint
    assert len(set(fingerprints)) == len(fingerprints)
    # Deterministic: the same report gives the same fingerprints.
    assert fingerprints == [
        i["fingerprint"] for i in issues_of(_reassembled(report, report.targets, [finding, twin]))
    ]


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param("<script>alert(1)</script>", id="script"),
        pytest.param('"},{"x":"', id="json-break"),
        pytest.param("a\nb\r\nc", id="newlines"),
        pytest.param("\x1b[2J\x07\x00", id="controls"),
        pytest.param("\u202eevil", id="bidi"),
        pytest.param("\ud800", id="lone-surrogate"),
        pytest.param("x" * 5000, id="long"),
    ],
)
def test_hostile_values_stay_one_line_strings(payload: str) -> None:
    report = hostile_report("MARKER")
    data_in = report.model_dump()
    text_report = Report.model_validate(_replaced(data_in, "MARKER", payload))
    text = codequality.render(text_report)
    text.encode("utf-8")  # strict: a lone surrogate would raise here
    data = json.loads(text)
    VALIDATOR.validate(data)
    assert data
    for issue in data:
        assert not RAW_CONTROL.search(issue["description"])
        assert len(issue["description"]) <= codequality.DESCRIPTION_LIMIT
        assert not issue["location"]["path"].startswith(("/", "./"))
        assert "://" not in issue["location"]["path"]


def test_merge_writes_a_code_quality_report(report: Report, cli_isolated: None) -> None:
    Path("r.json").write_text(report.to_json(), encoding="utf-8")
    result = invoke("merge", "r.json", "--codequality", "cq.json", "--fail-on", "never")
    assert_clean(result)
    data = json.loads(Path("cq.json").read_text(encoding="utf-8"))
    VALIDATOR.validate(data)
    assert len(data) == 7


def _reassembled(report: Report, targets: Any, findings: Any = None) -> Report:
    return assemble(
        targets,
        report.findings if findings is None else findings,
        policy=report.policy,
        started_at=report.started_at,
        finished_at=report.finished_at,
        gate=GateSettings(),
        baseline=None,
        shard=None,
    )


def _replaced(value: object, marker: str, payload: str) -> object:
    if isinstance(value, str):
        return value.replace(marker, payload)
    if isinstance(value, list):
        return [_replaced(item, marker, payload) for item in value]
    if isinstance(value, dict):
        return {key: _replaced(item, marker, payload) for key, item in value.items()}
    return value
