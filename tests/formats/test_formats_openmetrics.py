"""The metrics file (``--openmetrics``): what prometheus_client's own parser reads out of it
equals the report's numbers, and no value from a scanned server can break a line, a label or
add a metric."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from support.report_fixtures import hostile_report

from cors_audit.core.text import sanitize
from cors_audit.formats import ReportFormat, render
from cors_audit.formats.openmetrics import GRADES, escape_label, host_of
from cors_audit.report.model import ErrorModel, Report

FAMILIES = {
    "info",
    "findings",
    "rule_findings",
    "host_findings",
    "suppressed_findings",
    "targets",
    "target_errors",
    "targets_incomplete",
    "requests",
    "score",
    "gate_failing",
    "gate_exit_code",
    "scan_interrupted",
    "scan_duration_seconds",
    "scan_start_timestamp_seconds",
    "scan_timestamp_seconds",
}


def parse(text: str) -> dict[str, list[Sample]]:
    found: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(text):
        assert family.name.startswith("cors_audit_")
        assert family.type == "gauge"
        assert family.documentation  # every family has its HELP line
        assert family.name not in found
        found[family.name.removeprefix("cors_audit_")] = list(family.samples)
    return found


def by(samples: Iterable[Sample], *keys: str) -> dict[tuple[str, ...], float]:
    return {tuple(s.labels[k] for k in keys): s.value for s in samples}


def single(samples: list[Sample]) -> float:
    assert len(samples) == 1
    assert samples[0].labels == {}
    assert samples[0].timestamp is None  # the textfile collector refuses timestamps
    return samples[0].value


def test_the_metrics_are_the_reports_numbers(report: Report) -> None:
    text = render(ReportFormat.OPENMETRICS, report)
    assert ReportFormat.OPENMETRICS.spec.demo_file == "cors-audit.prom"
    metrics = parse(text)
    assert set(metrics) == FAMILIES
    for raw in text.splitlines():
        assert raw.startswith(("# HELP cors_audit_", "# TYPE cors_audit_", "cors_audit_"))
    active = [f for f in report.findings if not f.suppressed]
    summary = report.summary
    assert by(metrics["findings"], "severity") == {
        (k,): float(v) for k, v in summary.by_severity.items()
    }
    assert by(metrics["rule_findings"], "rule", "severity") == {
        k: float(v) for k, v in Counter((f.rule, f.severity.value) for f in active).items()
    }
    assert by(metrics["host_findings"], "host", "severity") == {
        k: float(v) for k, v in Counter((host_of(f.url), f.severity.value) for f in active).items()
    }
    grades = Counter(t.grade for t in report.targets)
    assert by(metrics["targets"], "grade") == {(g,): float(grades.get(g, 0)) for g in GRADES}
    assert sum(s.value for s in metrics["targets"]) == summary.targets
    errors = Counter(t.error.kind for t in report.targets if t.error is not None)
    assert errors  # the sample has an unreachable target
    assert by(metrics["target_errors"], "kind") == {(k,): float(v) for k, v in errors.items()}
    assert single(metrics["suppressed_findings"]) == summary.suppressed
    assert single(metrics["targets_incomplete"]) == summary.incomplete
    assert single(metrics["requests"]) == summary.requests
    assert single(metrics["score"]) == summary.score
    assert single(metrics["gate_failing"]) == report.gate.failing
    assert single(metrics["gate_exit_code"]) == report.gate.exit_code
    assert single(metrics["scan_interrupted"]) == 0
    duration = (report.finished_at - report.started_at).total_seconds()
    assert single(metrics["scan_duration_seconds"]) == pytest.approx(duration)
    assert single(metrics["scan_timestamp_seconds"]) == pytest.approx(
        report.finished_at.timestamp()
    )
    assert single(metrics["scan_start_timestamp_seconds"]) == pytest.approx(
        report.started_at.timestamp()
    )
    assert [s.value for s in metrics["info"]] == [1]


def test_an_empty_scan_still_reads_zero_everywhere(clean_report: Report) -> None:
    metrics = parse(render(ReportFormat.OPENMETRICS, clean_report))
    assert {s.value for s in metrics["findings"]} == {0}
    assert metrics["rule_findings"] == metrics["host_findings"] == []
    assert len(metrics["findings"]) == 5


def test_an_interrupted_scan_says_so(report: Report) -> None:
    stopped = report.model_copy(update={"interrupted": True})
    metrics = parse(render(ReportFormat.OPENMETRICS, stopped))
    assert single(metrics["scan_interrupted"]) == 1


PAYLOADS = [
    'a"b',
    "back\\slash",
    "line\nbreak",
    '"} 1\ncors_audit_injected 666\n# TYPE x counter\n',
    '\\n\\"',
    "esc\x1b[31mred\x00\r",
    "rtl\u202eoverride",
    "lone\ud800surrogate",
    "ünïcödé",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_label_values_stay_inside_their_label(payload: str) -> None:
    report = hostile_report(payload)
    # A server-controlled URL as a report from elsewhere (merge) may hold it: a host that
    # carries the payload and a "URL" that is not one (its host label is the text itself).
    odd_urls = [f"https://{payload}.example/x", f"no host {payload}"]
    finding = report.findings[0]
    copies = [finding.model_copy(update={"url": url}) for url in odd_urls]
    errored = [
        t.model_copy(update={"error": ErrorModel(kind=f"kind-{payload}", message="m")})
        for t in report.targets
    ]
    report = report.model_copy(update={"findings": [*report.findings, *copies], "targets": errored})
    text = render(ReportFormat.OPENMETRICS, report)
    metrics = parse(text)
    assert set(metrics) == FAMILIES  # nothing injected
    expected = {host_of(url) for url in [finding.url, *odd_urls]}
    hosts = {s.labels["host"] for s in metrics["host_findings"]}
    # What a label can carry comes back exactly: quotes, backslashes, line feeds; controls,
    # bidi overrides and lone surrogates come back as visible escapes.
    visible = {
        sanitize(h, keep_newlines=True).encode("utf-8", "backslashreplace").decode()
        for h in expected
    }
    assert hosts == visible
    kinds = {s.labels["kind"] for s in metrics["target_errors"]}
    assert kinds == {
        sanitize(f"kind-{payload}", keep_newlines=True).encode("utf-8", "backslashreplace").decode()
    }
    text.encode("utf-8")  # always encodable
    for raw in text.split("\n")[:-1]:
        assert raw.startswith(("# HELP cors_audit_", "# TYPE cors_audit_", "cors_audit_"))


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ('say "hi"', 'say \\"hi\\"'),
        ("a\\b", "a\\\\b"),
        ("two\nlines", "two\\nlines"),
        ("tab\there", "tab\there"),
        ("cr\r", "cr\\\\x0d"),
    ],
)
def test_escape_label(value: str, escaped: str) -> None:
    assert escape_label(value) == escaped


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://API.example.com/x", "api.example.com"),
        ("http://127.0.0.1:8080/x", "127.0.0.1:8080"),
        ("http://[::1]:9/x", "[::1]:9"),
        ("https://h.example:99999/x", "https://h.example:99999/x"),  # an invalid port
        ("relative/path", "relative/path"),
    ],
)
def test_host_of(url: str, host: str) -> None:
    assert host_of(url) == host
