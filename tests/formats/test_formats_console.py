"""The terminal summary and its terminal-injection defence."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.report_fixtures import hostile_report

from cors_audit.core import text as core_text
from cors_audit.formats import console
from cors_audit.report.model import Report

CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
"""Every C0 (except the line feeds the renderer itself puts between lines), DEL and C1."""


def test_one_line_per_target(report: Report) -> None:
    lines = console.render(report).splitlines()
    rows = [line for line in lines if " https://" in line and not line.lstrip().isupper()][:4]
    assert rows == [
        "  F   20  PATCH https://staging.example.com/api/posts/20  "
        "3 findings (critical 1, medium 1, low 1)",
        "  D   60  GET https://10.0.4.7:8443/internal/feed  3 findings (high 1, low 1, info 1)",
        "  A  100  GET https://staging.example.com/health  no findings",
        "  -    -  GET https://down.example.com/api/v1/users  "
        "ERROR timeout: no response within 10.0 s (connect)",
    ]


def test_findings_sorted_worst_first(report: Report) -> None:
    text = console.render(report)
    findings = text.split("\nFindings\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split()[0] for line in findings] == [
        "CRITICAL",
        "HIGH",
        "MEDIUM",
        "LOW",
        "LOW",
        "INFO",
    ]
    first = findings[0]
    for part in (
        "reflected-origin",
        "PATCH https://staging.example.com/api/posts/20",
        "origin https://q7zk2m.invalid-attacker.net",
        "[credentialed]",
        "Any origin can read responses",
    ):
        assert part in first


def test_totals_line(report: Report) -> None:
    last = console.render(report).splitlines()[-1]
    assert last == (
        "Total: grade F, score 40/100; 6 findings "
        "(critical 1, high 1, medium 1, low 2, info 1); 1 error; 8 requests; 12.2 s"
    )


def test_clean_policy_free_report(clean_report: Report) -> None:
    text = console.render(clean_report)
    assert "policy-free judgement" in text
    assert "Findings" not in text
    assert text.splitlines()[1:] == [
        "  policy-free judgement: no policy given, each target's own origin is the only "
        "trusted origin",
        "  A  100  GET https://clean.example.com/  no findings",
        "",
        "Total: grade A, score 100/100; 0 findings "
        "(critical 0, high 0, medium 0, low 0, info 0); 0 errors; 1 request; 12.2 s",
    ]
    assert text.endswith("\n")


def test_single_finding_target_and_unmatched_counts(report: Report) -> None:
    # A target whose findings cannot be matched by (url, method) still shows its count.
    only = report.model_copy(
        update={
            "targets": [report.targets[0].model_copy(update={"findings": 1, "url": "https://o/"})]
        }
    )
    assert "  F   20  PATCH https://o/  1 finding\n" in console.render(only)


def test_verbose_adds_detail_fix_curl_and_notes(report: Report) -> None:
    quiet = console.render(report)
    loud = console.render(report, verbose=True)
    assert len(loud.splitlines()) > len(quiet.splitlines())
    finding = report.findings[0]
    for line in (
        "            folded: null-origin, prefix-match",
        f"            fix: {finding.fix}",
        "            curl -i -X PATCH 'https://staging.example.com/api/posts/20' \\",
        "              -H 'Origin: https://q7zk2m.invalid-attacker.net'",
        f"            fingerprint {finding.fingerprint}",
        "         note: probe origins derived from --site-origin https://feed.example.com",
    ):
        assert line in loud.splitlines()
        assert line not in quiet.splitlines()
    assert "Chromium lets `https://q7zk2m.invalid-attacker.net` read PATCH" in loud


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param(
            "\x1b]8;;https://evil.test\x1b\\click\x1b]8;;\x1b\\",
            "\\x1b]8;;https://evil.test\\x1b\\click\\x1b]8;;\\x1b\\",
            id="osc8-hyperlink",
        ),
        pytest.param("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H", id="clear-screen"),
        pytest.param("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07", id="window-title"),
        pytest.param("a\rb\nc", "a\\x0db\\x0ac", id="cr-lf"),
        pytest.param("\x9b2J\x9d0;t\x9c", "\\x9b2J\\x9d0;t\\x9c", id="c1"),
        pytest.param("\x00\x7f\x08", "\\x00\\x7f\\x08", id="nul-del-backspace"),
        pytest.param("evil\u202egnp.exe", "evil\\u202egnp.exe", id="bidi-override"),
        pytest.param("zero\u200bwidth", "zero\\u200bwidth", id="zero-width"),
    ],
)
def test_sanitize(raw: str, shown: str) -> None:
    assert console.sanitize(raw) == shown


def test_sanitize_keeps_printable_text() -> None:
    text = "https://exämple.com/ü?x=1&y=<2> — ok\\x41"
    assert console.sanitize(text) == text
    assert console.sanitize("a\n\tb\x1b", keep_newlines=True) == "a\n\tb\\x1b"


@given(text=st.text(), keep_newlines=st.booleans())
def test_sanitize_is_the_escape_table_applied(text: str, keep_newlines: bool) -> None:
    # The printable fast path must change nothing: sanitize is exactly the table's translation
    table = core_text._TABLE_MULTILINE if keep_newlines else core_text._TABLE
    assert console.sanitize(text, keep_newlines=keep_newlines) == text.translate(table)


@pytest.mark.parametrize(
    "verbose", [pytest.param(False, id="summary"), pytest.param(True, id="verbose")]
)
def test_hostile_strings_cannot_reach_the_terminal(verbose: bool) -> None:
    # Given ANSI/OSC sequences in a URL, origin, header-derived detail, error and note
    payload = "\x1b]8;;https://evil.test\x07\x1b[2J\x1b[31mRED\r\nX\x9b0m\x1c\x85"
    report = hostile_report(payload)
    # When the summary is rendered
    text = console.render(report, verbose=verbose)
    # Then no control character survives, and the value is still visible, escaped
    assert CONTROL.search(text) is None
    shown = console.sanitize(payload)
    assert f"https://victim.example.com/api?q={shown}" in text
    assert f"ERROR protocol: malformed status line {shown}" in text
    if verbose:
        # multi-line details continue on an indented line of their own, CR still visible
        first, second = payload.split("\n")
        indent = " " * 12
        expected = f"reflected {console.sanitize(first)}\n{indent}{console.sanitize(second)}\n"
        assert expected in text
        assert f"note: note {shown}" in text


def test_a_large_scan_lists_the_first_targets_and_the_worst_findings_only() -> None:
    from support.scaled_report import scaled_report

    report = scaled_report(console.LISTED + 40)  # 240 targets, 360 findings
    text = console.render(report)
    lines = text.splitlines()
    target_lines = [line for line in lines if "://" in line and "origin " not in line]
    assert len(target_lines) == console.LISTED
    assert target_lines[0].split("  ")[-2].endswith(report.targets[0].url)
    assert "  … 40 more targets: every one is in the report files" in lines
    finding_lines = [line for line in lines if " origin " in line]
    assert len(finding_lines) == console.LISTED
    worst = sorted(report.findings, key=lambda f: -f.severity.rank)[: console.LISTED]
    assert [line.split()[0] for line in finding_lines] == [f.severity.value.upper() for f in worst]
    more = len(report.findings) - console.LISTED
    assert f"  … {more} more findings: every one is in the report files" in lines
    assert lines[-1].startswith("Total: ")
    assert f"{report.summary.findings} findings" in lines[-1]


def test_a_scan_within_the_limit_lists_everything(report: Report) -> None:
    text = console.render(report)
    assert "more target" not in text
    assert "more finding" not in text
