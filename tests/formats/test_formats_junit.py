"""The JUnit XML report: structure, gate levels, baselines and well-formedness for any input."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from support import report_fixtures
from support.report_fixtures import hostile_report

from cors_audit.core.models import Severity
from cors_audit.formats import junit
from cors_audit.judging.rules.catalogue import RULES
from cors_audit.report.baseline import Baseline, BaselineEntry
from cors_audit.report.build import GateSettings, assemble, build_report
from cors_audit.report.model import FindingModel, Report, SuppressionModel

RULE_IDS = [rule.id for rule in RULES]
POSTS = "PATCH https://staging.example.com/api/posts/20"
FEED = "GET https://10.0.4.7:8443/internal/feed"
HEALTH = "GET https://staging.example.com/health"
DOWN = "GET https://down.example.com/api/v1/users"

ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""What XML 1.0's ``Char`` production excludes."""

# The Jenkins xunit-plugin junit-10.xsd, as data: allowed children and attributes per element,
# required attributes, and the SUREFIRE_TIME pattern of ``time``. `skipped` on <testsuites> is
# not in that schema; the lead asked for it and the other readers (GitLab, GitHub reporters,
# the Jenkins JUnit plugin) accept or ignore it, so it is the one allowed extra.
SCHEMA_CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"testsuite", "properties", "testcase", "system-out", "system-err"},
    "properties": {"property"},
    "property": set(),
    "testcase": {"skipped", "error", "failure", "system-out", "system-err"},
    "skipped": set(),
    "error": set(),
    "failure": set(),
    "system-out": set(),
    "system-err": set(),
}
SCHEMA_ATTRIBUTES = {
    "testsuites": {"name", "time", "tests", "failures", "errors"},
    "testsuite": {
        "name",
        "tests",
        "failures",
        "errors",
        "group",
        "time",
        "skipped",
        "timestamp",
        "hostname",
        "id",
        "package",
    },
    "properties": set(),
    "property": {"name", "value"},
    "testcase": {"name", "time", "classname"},
    "skipped": {"type", "message"},
    "error": {"type", "message"},
    "failure": {"type", "message"},
    "system-out": set(),
    "system-err": set(),
}
SCHEMA_REQUIRED = {
    "testsuite": {"name", "tests", "failures", "errors"},
    "property": {"name", "value"},
    "testcase": {"name"},
}
SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?")
ISO_WITHOUT_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def parse(report: Report) -> ET.Element:
    """Render, check the declaration and the encoding, parse as bytes (as a CI tool would)."""
    text = junit.render(report)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    assert text.endswith("\n")
    assert not ILLEGAL_XML.search(text)
    return ET.fromstring(text.encode("utf-8"))


def check_schema(element: ET.Element) -> None:
    """Fail unless ``element`` and its descendants fit the junit-10.xsd structure."""
    tag = element.tag
    assert set(element.attrib) <= SCHEMA_ATTRIBUTES[tag], (tag, element.attrib)
    assert SCHEMA_REQUIRED.get(tag, set()) <= set(element.attrib), (tag, element.attrib)
    if "time" in element.attrib and tag in {"testsuites", "testsuite"}:
        assert SUREFIRE_TIME.fullmatch(element.attrib["time"]), element.attrib["time"]
    if "timestamp" in element.attrib:
        assert ISO_WITHOUT_OFFSET.fullmatch(element.attrib["timestamp"])
    for child in element:
        assert child.tag in SCHEMA_CHILDREN[tag], (tag, child.tag)
        check_schema(child)


def check_counts(root: ET.Element) -> None:
    """Every count attribute agrees with the children, and the root with the suites."""
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": sum(1 for case in cases if case.find("failure") is not None),
            "errors": sum(1 for case in cases if case.find("error") is not None),
            "skipped": sum(1 for case in cases if case.find("skipped") is not None),
        }
        assert {key: int(suite.attrib[key]) for key in counts} == counts, suite.attrib["name"]
        for key, value in counts.items():
            totals[key] += value
        for case in cases:
            verdicts = [child.tag for child in case if child.tag in {"failure", "error", "skipped"}]
            assert len(verdicts) <= 1, verdicts
    assert "skipped" not in root.attrib  # not in Jenkins' junit-10.xsd
    del totals["skipped"]
    assert {key: int(root.attrib[key]) for key in totals} == totals


def skipped_total(root: ET.Element) -> str:
    """Skipped testcases over all suites (the root carries no count: see check_counts)."""
    return str(sum(int(suite.attrib["skipped"]) for suite in root.iter("testsuite")))


def suites(root: ET.Element) -> dict[str, ET.Element]:
    return {suite.attrib["name"]: suite for suite in root.findall("testsuite")}


def case(root: ET.Element, suite: str, name: str) -> ET.Element:
    found = suites(root)[suite].find(f"testcase[@name='{name}']")
    assert found is not None, (suite, name)
    return found


def verdict(testcase: ET.Element) -> str:
    for tag in ("failure", "error", "skipped"):
        if testcase.find(tag) is not None:
            return tag
    return "passed"


def gated(fail_on: Severity | None, baseline: Baseline | None = None) -> Report:
    return build_report(
        report_fixtures.sample_results(),
        policy=report_fixtures.POLICY,
        started_at=report_fixtures.STARTED,
        finished_at=report_fixtures.FINISHED,
        gate=GateSettings(fail_on=fail_on),
        baseline=baseline,
        today=date(2025, 3, 14),
    )


def with_findings(report: Report, findings: Sequence[FindingModel]) -> Report:
    """``report`` re-assembled (scores, summary, gate) around other findings."""
    fail_on = None if report.gate.fail_on == "never" else Severity(report.gate.fail_on)
    return assemble(
        report.targets,
        findings,
        policy=report.policy,
        started_at=report.started_at,
        finished_at=report.finished_at,
        gate=GateSettings(fail_on=fail_on),
        baseline=report.baseline,
        shard=report.shard,
    )


def finding_of(report: Report, rule: str) -> FindingModel:
    return next(finding for finding in report.findings if finding.rule == rule)


def test_sample_report_structure(report: Report) -> None:
    root = parse(report)
    assert root.tag == "testsuites"
    assert root.attrib["name"] == "cors-audit"
    assert root.attrib["time"] == "12.250"
    assert list(suites(root)) == [POSTS, FEED, HEALTH, DOWN]
    for name in (POSTS, FEED, HEALTH):
        suite = suites(root)[name]
        assert [c.attrib["name"] for c in suite.findall("testcase")] == RULE_IDS
        assert {c.attrib["classname"] for c in suite.findall("testcase")} == {f"cors-audit.{name}"}
        assert suite.attrib["timestamp"] == "2025-03-14T09:26:53"
    assert suites(root)[FEED].attrib["hostname"] == "10.0.4.7"
    assert suites(root)[POSTS].attrib["hostname"] == "staging.example.com"
    check_counts(root)
    check_schema(root)


def test_sample_report_verdicts(report: Report) -> None:
    root = parse(report)
    outcomes = {
        (suite.attrib["name"], c.attrib["name"]): verdict(c)
        for suite in root.findall("testsuite")
        for c in suite.findall("testcase")
        if verdict(c) != "passed"
    }
    assert outcomes == {
        (POSTS, "reflected-origin"): "failure",
        (FEED, "private-network-allowed"): "failure",
        (DOWN, "scan"): "error",
    }
    assert (root.attrib["failures"], root.attrib["errors"], skipped_total(root)) == (
        "2",
        "1",
        "0",
    )
    assert int(root.attrib["tests"]) == 3 * len(RULES) + 1


def test_failure_lists_the_finding(report: Report) -> None:
    failure = case(parse(report), POSTS, "reflected-origin").find("failure")
    assert failure is not None
    assert failure.attrib == {
        "message": "critical: Any origin can read responses",
        "type": "reflected-origin",
    }
    text = failure.text or ""
    for part in (
        "[critical] Any origin can read responses",
        "origin: https://q7zk2m.invalid-attacker.net (credentialed)",
        "detail: Chromium lets",
        "folded: null-origin, prefix-match",
        "fix: Compare the Origin header",
        "curl -i -X PATCH 'https://staging.example.com/api/posts/20' \\\n",
        "-H 'Origin: https://q7zk2m.invalid-attacker.net'",
        f"fingerprint: {finding_of(report, 'reflected-origin').fingerprint}",
    ):
        assert part in text


def test_findings_below_the_gate_pass_with_system_out(report: Report) -> None:
    root = parse(report)
    for suite, rule, severity in (
        (POSTS, "missing-vary-origin", "medium"),
        (POSTS, "missing-max-age", "low"),
        (FEED, "headers-beyond-policy", "low"),
        (FEED, "max-age-out-of-range", "info"),
    ):
        testcase = case(root, suite, rule)
        assert verdict(testcase) == "passed"
        out = testcase.find("system-out")
        assert out is not None
        assert (out.text or "").startswith(f"[{severity}] ")
    assert case(root, HEALTH, "reflected-origin").find("system-out") is None


def test_unscannable_target_is_one_error(report: Report) -> None:
    suite = suites(parse(report))[DOWN]
    cases = suite.findall("testcase")
    assert [c.attrib["name"] for c in cases] == ["scan"]
    error = cases[0].find("error")
    assert error is not None
    assert error.attrib == {
        "message": "timeout: no response within 10.0 s (connect)",
        "type": "timeout",
    }
    assert DOWN in (error.text or "")
    assert (suite.attrib["tests"], suite.attrib["errors"]) == ("1", "1")


def test_target_properties(report: Report) -> None:
    suite = suites(parse(report))[FEED]
    properties = {p.attrib["name"]: p.attrib["value"] for p in suite.iter("property")}
    assert properties == {
        "cors-audit.url": "https://10.0.4.7:8443/internal/feed",
        "cors-audit.method": "GET",
        "cors-audit.site_origin": "https://feed.example.com",
        "cors-audit.source": "urls.txt:2",
        "cors-audit.grade": "D",
        "cors-audit.score": "60",
        "cors-audit.requests": "1",
    }


@pytest.mark.parametrize(
    ("fail_on", "failing"),
    [
        pytest.param(Severity.CRITICAL, {(POSTS, "reflected-origin")}, id="critical"),
        pytest.param(
            Severity.HIGH,
            {(POSTS, "reflected-origin"), (FEED, "private-network-allowed")},
            id="high",
        ),
        pytest.param(
            Severity.MEDIUM,
            {
                (POSTS, "reflected-origin"),
                (POSTS, "missing-vary-origin"),
                (FEED, "private-network-allowed"),
            },
            id="medium",
        ),
        pytest.param(
            Severity.LOW,
            {
                (POSTS, "reflected-origin"),
                (POSTS, "missing-vary-origin"),
                (POSTS, "missing-max-age"),
                (FEED, "private-network-allowed"),
                (FEED, "headers-beyond-policy"),
            },
            id="low",
        ),
        pytest.param(
            Severity.INFO,
            {
                (POSTS, "reflected-origin"),
                (POSTS, "missing-vary-origin"),
                (POSTS, "missing-max-age"),
                (FEED, "private-network-allowed"),
                (FEED, "headers-beyond-policy"),
                (FEED, "max-age-out-of-range"),
            },
            id="info",
        ),
        pytest.param(None, set(), id="never"),
    ],
)
def test_gate_levels(fail_on: Severity | None, failing: set[tuple[str, str]]) -> None:
    report = gated(fail_on)
    root = parse(report)
    failed = {
        (suite.attrib["name"], c.attrib["name"])
        for suite in root.findall("testsuite")
        for c in suite.findall("testcase")
        if verdict(c) == "failure"
    }
    assert failed == failing
    # One finding per rule and target in the sample: failing testcases = the gate's count.
    assert int(root.attrib["failures"]) == report.gate.failing
    # Nothing disappears: every finding is in a failure or a system-out.
    texts = " ".join(element.text or "" for element in root.iter() if element.tag != "property")
    for finding in report.findings:
        assert finding.fingerprint in texts
    check_counts(root)


def test_baseline_suppressed_rule_is_skipped() -> None:
    reflected = finding_of(report_fixtures.sample_report(), "reflected-origin")
    vary = finding_of(report_fixtures.sample_report(), "missing-vary-origin")
    baseline = Baseline(
        path="cors-baseline.toml",
        entries=(
            BaselineEntry(fingerprint=reflected.fingerprint, reason="legacy partner API"),
            BaselineEntry(
                fingerprint=vary.fingerprint, reason="CDN adds Vary", expires=date(2026, 1, 1)
            ),
        ),
    )
    report = gated(Severity.MEDIUM, baseline)
    root = parse(report)
    for rule, reason, until in (
        ("reflected-origin", "legacy partner API", ""),
        ("missing-vary-origin", "CDN adds Vary", " (until 2026-01-01)"),
    ):
        testcase = case(root, POSTS, rule)
        skipped = testcase.find("skipped")
        assert skipped is not None
        assert skipped.attrib == {"message": f"suppressed by baseline: {reason}"}
        out = testcase.find("system-out")
        assert out is not None
        assert f"suppressed by baseline: {reason}{until}" in (out.text or "")
    assert skipped_total(root) == "2"
    assert root.attrib["failures"] == "1"  # only private-network-allowed is left at medium+
    assert report.gate.failing == 1
    check_counts(root)
    check_schema(root)


def test_expired_baseline_entry_suppresses_nothing() -> None:
    reflected = finding_of(report_fixtures.sample_report(), "reflected-origin")
    entry = BaselineEntry(
        fingerprint=reflected.fingerprint, reason="was fine", expires=date(2025, 1, 1)
    )
    root = parse(gated(Severity.HIGH, Baseline(path="b.toml", entries=(entry,))))
    assert verdict(case(root, POSTS, "reflected-origin")) == "failure"
    assert skipped_total(root) == "0"


def test_suppressed_beside_active_is_not_skipped(report: Report) -> None:
    reflected = finding_of(report, "reflected-origin")
    accepted = reflected.model_copy(
        update={
            "origin": "null",
            "fingerprint": "0" * 32,
            "suppressed": True,
            "suppression": SuppressionModel(reason="sandboxed widget", expires=None),
        }
    )
    root = parse(with_findings(report, [*report.findings, accepted]))
    testcase = case(root, POSTS, "reflected-origin")
    assert verdict(testcase) == "failure"
    failure = testcase.find("failure")
    assert failure is not None
    assert "0" * 32 not in (failure.text or "")
    out = testcase.find("system-out")
    assert out is not None
    assert "suppressed by baseline: sandboxed widget" in (out.text or "")


def test_skip_without_recorded_reason(report: Report) -> None:
    # A hand-edited report may mark a finding suppressed without saying why.
    findings = [
        f.model_copy(update={"suppressed": True}) if f.rule == "missing-max-age" else f
        for f in report.findings
    ]
    skipped = case(parse(with_findings(report, findings)), POSTS, "missing-max-age").find("skipped")
    assert skipped is not None
    assert skipped.attrib["message"] == "suppressed by baseline: no reason recorded"


def test_several_failing_findings_of_one_rule(report: Report) -> None:
    reflected = finding_of(report, "reflected-origin")
    second = reflected.model_copy(
        update={"origin": "null", "fingerprint": "1" * 32, "severity": Severity.HIGH}
    )
    root = parse(with_findings(report, [*report.findings, second]))
    failure = case(root, POSTS, "reflected-origin").find("failure")
    assert failure is not None
    assert failure.attrib["message"] == (
        "critical: Any origin can read responses (+1 more at or above high)"
    )
    assert (failure.text or "").count("[critical] ") == 1
    assert (failure.text or "").count("[high] ") == 1
    assert "origin: null" in (failure.text or "")
    check_counts(root)


def test_no_origin_is_said(report: Report) -> None:
    findings = [
        f.model_copy(update={"origin": None}) if f.rule == "missing-max-age" else f
        for f in report.findings
    ]
    out = case(parse(with_findings(report, findings)), POSTS, "missing-max-age").find("system-out")
    assert out is not None
    assert "origin: (no Origin header)" in (out.text or "")


def test_unknown_rule_and_unmatched_findings_are_kept(report: Report) -> None:
    vary = finding_of(report, "missing-vary-origin")
    future = vary.model_copy(update={"rule": "from-a-newer-version", "fingerprint": "2" * 32})
    stray = vary.model_copy(
        update={"url": "https://elsewhere.example.com/", "fingerprint": "3" * 32}
    )
    root = parse(with_findings(report, [*report.findings, future, stray]))
    names = [c.attrib["name"] for c in suites(root)[POSTS].findall("testcase")]
    assert names == [*RULE_IDS, "from-a-newer-version"]
    unmatched = suites(root)["findings without a scanned target"]
    assert unmatched.attrib["hostname"] == "unknown"
    assert [c.attrib["name"] for c in unmatched.findall("testcase")] == RULE_IDS
    assert verdict(case(root, "findings without a scanned target", "missing-vary-origin")) == (
        "passed"
    )
    check_counts(root)
    check_schema(root)


def test_empty_report(clean_report: Report) -> None:
    root = parse(clean_report)
    assert list(suites(root)) == ["GET https://clean.example.com/"]
    assert root.attrib == {
        "name": "cors-audit",
        "tests": str(len(RULES)),
        "failures": "0",
        "errors": "0",
        "time": "12.250",
    }
    assert all(verdict(c) == "passed" for c in root.iter("testcase"))
    assert not list(root.iter("system-out"))
    check_schema(root)


def test_report_without_targets(report: Report) -> None:
    root = parse(with_findings(report.model_copy(update={"targets": []}), []))
    assert root.attrib["tests"] == "0"
    assert not root.findall("testsuite")


@pytest.mark.parametrize(
    ("started", "expected"),
    [
        pytest.param(datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC), "2025-03-14T09:26:53", id="utc"),
        pytest.param(
            datetime(2025, 3, 14, 11, 26, 53, tzinfo=timezone(timedelta(hours=2))),
            "2025-03-14T09:26:53",
            id="offset-converted-to-utc",
        ),
        pytest.param(datetime(2025, 3, 14, 9, 26, 53), "2025-03-14T09:26:53", id="naive"),
    ],
)
def test_timestamp_without_offset(report: Report, started: datetime, expected: str) -> None:
    # A naive time (hand-written report) is taken as UTC, also when the other one is aware.
    root = parse(report.model_copy(update={"started_at": started}))
    assert {suite.attrib["timestamp"] for suite in root.findall("testsuite")} == {expected}
    assert root.attrib["time"] == "12.250"


def test_negative_duration_is_zero(report: Report) -> None:
    later = report.finished_at + timedelta(seconds=5)
    assert parse(report.model_copy(update={"started_at": later})).attrib["time"] == "0.000"


def test_malformed_target_url_has_unknown_host(report: Report) -> None:
    target = report.targets[2].model_copy(update={"url": "https://[::1/"})
    root = parse(report.model_copy(update={"targets": [target]}))
    assert root.find("testsuite").attrib["hostname"] == "unknown"  # type: ignore[union-attr]


def test_testcases_are_unique(report: Report) -> None:
    root = parse(report)
    pairs = [(c.attrib["classname"], c.attrib["name"]) for c in root.iter("testcase")]
    assert len(pairs) == len(set(pairs))


def _replaced(value: object, marker: str, payload: str) -> object:
    if isinstance(value, str):
        return value.replace(marker, payload)
    if isinstance(value, list):
        return [_replaced(item, marker, payload) for item in value]
    if isinstance(value, dict):
        return {key: _replaced(item, marker, payload) for key, item in value.items()}
    return value


def hostile(payload: str) -> Report:
    """`hostile_report`, also for payloads its fingerprint helper cannot encode (a lone
    surrogate): those are planted after building, in every string of the report."""
    try:
        return hostile_report(payload)
    except UnicodeEncodeError:
        marker = "PAYLOAD-MARKER"
        data = _replaced(hostile_report(marker).model_dump(), marker, payload)
        return Report.model_validate(data)


HOSTILE = [
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param("]]>", id="cdata-end"),
    pytest.param('"', id="quote"),
    pytest.param("a\x00b", id="nul"),
    pytest.param("\x1b[2J", id="ansi-clear"),
    pytest.param("\x1b]8;;http://x\x07link\x1b]8;;\x07", id="osc8-hyperlink"),
    pytest.param("\ud800", id="lone-surrogate"),
    pytest.param("\uffff\ufffe", id="non-characters"),
    pytest.param("line1\nline2\r\nline3", id="newlines"),
    pytest.param("\x0b\x0c\x7f\x85\x9b\u202e", id="other-controls"),
    pytest.param("&amp; &#0; &#x1b;", id="entities"),
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_report_is_well_formed(payload: str) -> None:
    report = hostile(payload)
    text = junit.render(report)
    text.encode("utf-8")  # strict: a lone surrogate would raise here
    root = parse(report)
    check_counts(root)
    check_schema(root)
    assert next(iter(suites(root))).startswith("GET https://victim.example.com/api?q=")
    # Markup survives as text (escaped on the way in, restored by the parser), controls are
    # visible escapes, and nothing the parser returns holds a character XML forbids.
    for element in root.iter():
        for value in [element.text or "", *element.attrib.values()]:
            assert not ILLEGAL_XML.search(value)
            assert "\x1b" not in value
    failure = root.find(".//failure")
    assert failure is not None
    failure_text = failure.text or ""
    if payload.startswith("<script>"):
        assert "reflected <script>alert(1)</script>" in failure_text
        assert "<script>" not in text  # escaped in the document itself
    if payload == "\x1b[2J":
        assert "reflected \\x1b[2J" in failure_text
    if payload == "\ud800":
        assert "reflected \\ud800" in failure_text
    if payload == "a\x00b":
        assert "reflected a\\x00b" in failure_text


def test_xml_text_escapes_visibly() -> None:
    assert junit.xml_text("a\x1b[31mb\x00\ud800\uffff") == "a\\x1b[31mb\\x00\\ud800\\uffff"
    assert junit.xml_text("one\ntwo\tthree\r") == "one\\x0atwo\\x09three\\x0d"
    assert junit.xml_text("one\ntwo\tthree\r", multiline=True) == "one\ntwo\tthree\\x0d"
    assert junit.xml_text('<&">') == '<&">'  # markup is ElementTree's job


# --- streamed writing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(report_fixtures.sample_report, id="sample"),
        pytest.param(report_fixtures.empty_report, id="empty"),
        pytest.param(
            lambda: report_fixtures.sample_report().model_copy(update={"targets": []}),
            id="only-unmatched-findings",
        ),
        pytest.param(
            lambda: report_fixtures.sample_report().model_copy(
                update={"targets": [], "findings": []}
            ),
            id="no-suite-at-all",
        ),
        *(
            pytest.param(lambda p=p.values[0]: hostile_report(p), id=f"hostile-{p.id}")
            for p in HOSTILE
        ),
    ],
)
def test_iter_junit_is_the_whole_tree_byte_for_byte(build: Callable[[], Report]) -> None:
    report = build()
    # The reference: every suite appended to one root, indented and written at once.
    root = ET.Element("testsuites", name=junit.SUITES_NAME)
    totals = junit._Counts()
    for suite, counts in junit._suites(report):
        root.append(suite)
        totals.add(counts)
    junit._set_totals(root, totals, report)
    ET.indent(root)
    whole = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    chunks = list(junit.iter_junit(report))
    assert "".join(chunks) == whole + "\n"
    assert chunks[0].startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
