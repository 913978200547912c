"""The JUnit XML report: the scan as test results for CI systems (GitLab, Jenkins, GitHub).

``render`` writes one ``<testsuite>`` per report target (named ``METHOD URL``) holding one
``<testcase>`` per rule of the catalogue, in catalogue order, so a CI test view shows every
check that ran and which ones failed. Within a suite:

* a rule with unsuppressed findings at or above the gate (``report.gate.fail_on``) fails:
  ``<failure type="RULE-ID">`` whose text lists each finding (severity, origin, title, detail,
  fix, curl); with ``fail_on = never`` nothing fails;
* findings below the gate leave the test passing and are described in its ``<system-out>``;
* a rule whose findings are all suppressed by the baseline is ``<skipped>`` with the reason;
* a target that could not be scanned holds a single ``scan`` testcase with an ``<error>``; one
  whose plan a request budget cut short gets its rule testcases and a ``scan`` testcase with an
  ``<error type="incomplete">``.

Findings are matched to targets by ``(url, method)``, as `report.assemble` does; findings that
match no target (a hand-merged report) get a suite of their own rather than vanishing. Every
count attribute is computed from the children written, so they always agree.

Only the common JUnit schema is used (Jenkins ``junit-10.xsd``, which GitLab and the GitHub
reporters also read): ``testcase`` carries ``name``, ``classname`` and ``time`` only, and
``timestamp`` is ISO 8601 without an offset (UTC). The report records no per-target duration
(targets are scanned concurrently), so suite and testcase times are 0 and only the root
carries the run's wall time.

Everything in the report may come from a hostile server or a user. ElementTree escapes markup
but not characters XML 1.0 forbids, so every text and attribute goes through `xml_text`:
control characters (ANSI escapes included) become visible ``\\xNN`` escapes, and lone
surrogates, U+FFFE and U+FFFF visible ``\\uNNNN`` escapes; the output is well-formed UTF-8 XML
for any input. ``iter_junit`` yields the same document in chunks, building one suite at a time,
so a large scan's tree is never held whole: one pass over the findings notes where each
target's are and what each rule's testcase will count (the root's totals come first), one pass
over the targets adds the totals up, and a last one writes the suites, reading each target's
findings back (the lists may be spooled to disk). This module builds XML only: it never parses
XML and does no I/O.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # builds only; nothing here parses XML
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cors_audit.core.models import Severity
from cors_audit.core.text import sanitize
from cors_audit.formats import batched
from cors_audit.formats.passes import Key, KeyIndex
from cors_audit.judging.rules.catalogue import RULES
from cors_audit.report.model import FindingModel, ReportView, TargetModel, incomplete_reason

SUITES_NAME = "cors-audit"
SCAN_TESTCASE = "scan"
"""The one testcase of a target that could not be scanned."""
UNMATCHED_SUITE = "findings without a scanned target"

_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
"""What XML 1.0 forbids beyond the controls `sanitize` already escapes (its ``Char``
production excludes surrogates, U+FFFE and U+FFFF)."""


def xml_text(value: object, *, multiline: bool = False) -> str:
    """``value`` as text XML 1.0 can hold, with anything a reader could not see made visible.

    Control characters (NUL, ESC of ANSI sequences, BEL, C1, bidi overrides…) become ``\\xNN``
    / ``\\uNNNN`` escapes (LF and TAB survive when ``multiline``); surrogates, U+FFFE and U+FFFF
    become ``\\uNNNN``. Markup characters are left to ElementTree's escaping.
    """
    text = sanitize(str(value), keep_newlines=multiline)
    return _NOT_XML.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _utc(value: datetime) -> datetime:
    # A hand-written report may carry a time without an offset: take it as UTC, so that it
    # can still be subtracted from an aware one.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _timestamp(value: datetime) -> str:
    # Jenkins' schema wants ISO 8601 without an offset: state the instant in UTC.
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%S")


def _seconds(report: ReportView) -> str:
    elapsed = (_utc(report.finished_at) - _utc(report.started_at)).total_seconds()
    return f"{max(0.0, elapsed):.3f}"


def _hostname(url: str) -> str:
    try:
        host = urlsplit(url).hostname
    except ValueError:  # a malformed URL in a hand-edited report: say so, do not crash
        host = None
    return host or "unknown"


def _label(method: str, url: str) -> str:
    return f"{method} {url}"


@dataclass(slots=True)
class _Counts:
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0

    def add(self, other: _Counts) -> None:
        self.tests += other.tests
        self.failures += other.failures
        self.errors += other.errors
        self.skipped += other.skipped

    def set_on(self, element: ET.Element, *, skipped: bool = True) -> None:
        element.set("tests", str(self.tests))
        element.set("failures", str(self.failures))
        element.set("errors", str(self.errors))
        if skipped:  # Jenkins' junit-10.xsd has no skipped on <testsuites> (xunit validates)
            element.set("skipped", str(self.skipped))


def _describe(finding: FindingModel) -> str:
    """The multi-line account of one finding, for a failure or system-out."""
    origin = "(no Origin header)" if finding.origin is None else finding.origin
    credentials = " (credentialed)" if finding.credentialed else ""
    lines = [
        f"[{finding.severity.value}] {finding.title}",
        f"  {finding.method} {finding.url}",
        f"  origin: {origin}{credentials}",
        f"  detail: {finding.detail}",
    ]
    if finding.folded:
        lines.append(f"  folded: {', '.join(finding.folded)}")
    lines.append(f"  fix: {finding.fix}")
    if finding.suppression is not None:
        expires = finding.suppression.expires
        until = "" if expires is None else f" (until {expires.isoformat()})"
        lines.append(f"  suppressed by baseline: {finding.suppression.reason}{until}")
    lines.append("  reproduce:")
    lines.extend(f"    {line}" for line in finding.curl.split("\n"))
    lines.append(f"  fingerprint: {finding.fingerprint}")
    return "\n".join(lines)


def _describe_all(findings: Sequence[FindingModel]) -> str:
    return "\n\n".join(_describe(finding) for finding in findings) + "\n"


def _failure_message(failing: Sequence[FindingModel], fail_on: Severity) -> str:
    worst = max(failing, key=lambda finding: finding.severity.rank)
    message = f"{worst.severity.value}: {worst.title}"
    if len(failing) > 1:
        message += f" (+{len(failing) - 1} more at or above {fail_on.value})"
    return message


def _skip_message(suppressed: Sequence[FindingModel]) -> str:
    reasons = dict.fromkeys(
        finding.suppression.reason for finding in suppressed if finding.suppression is not None
    )
    return "suppressed by baseline: " + ("; ".join(reasons) or "no reason recorded")


def _testcase(
    suite: ET.Element,
    *,
    classname: str,
    rule: str,
    findings: Sequence[FindingModel],
    fail_on: Severity | None,
) -> _Counts:
    """One rule on one target; returns what it adds to the counts."""
    case = ET.SubElement(
        suite,
        "testcase",
        name=xml_text(rule),
        classname=xml_text(classname),
        time="0",
    )
    counts = _Counts(tests=1)
    active = [finding for finding in findings if not finding.suppressed]
    suppressed = [finding for finding in findings if finding.suppressed]

    def fails(finding: FindingModel) -> bool:
        return fail_on is not None and finding.severity.at_least(fail_on)

    failing = [finding for finding in active if fails(finding)]
    passing = [finding for finding in active if not fails(finding)]
    if failing:
        assert fail_on is not None  # for mypy: only a gate makes findings fail
        failure = ET.SubElement(
            case,
            "failure",
            message=xml_text(_failure_message(failing, fail_on)),
            type=xml_text(rule),
        )
        failure.text = xml_text(_describe_all(failing), multiline=True)
        counts.failures = 1
    elif suppressed and not active:
        ET.SubElement(case, "skipped", message=xml_text(_skip_message(suppressed)))
        counts.skipped = 1
    # Below-gate and suppressed findings are not failures but must stay visible.
    if passing or suppressed:
        out = ET.SubElement(case, "system-out")
        out.text = xml_text(_describe_all([*passing, *suppressed]), multiline=True)
    return counts


def _suite(parent: ET.Element, report: ReportView, name: str, hostname: str) -> ET.Element:
    suite = ET.SubElement(parent, "testsuite", name=xml_text(name))
    suite.set("timestamp", _timestamp(report.started_at))
    suite.set("hostname", xml_text(hostname))
    suite.set("time", "0")
    return suite


def _properties(suite: ET.Element, target: TargetModel) -> None:
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("url", target.url),
        ("method", target.method),
        ("site_origin", target.site_origin),
        ("source", target.source),
        ("grade", target.grade),
        ("score", str(target.score)),
        ("requests", str(target.requests)),
    ):
        ET.SubElement(properties, "property", name=f"cors-audit.{name}", value=xml_text(value))


def _rule_cases(
    suite: ET.Element,
    classname: str,
    findings: Sequence[FindingModel],
    fail_on: Severity | None,
) -> _Counts:
    by_rule: dict[str, list[FindingModel]] = {rule.id: [] for rule in RULES}
    for finding in findings:
        # A rule unknown to this catalogue (a report from another version) still gets a test.
        by_rule.setdefault(finding.rule, []).append(finding)
    counts = _Counts()
    for rule, own in by_rule.items():
        counts.add(_testcase(suite, classname=classname, rule=rule, findings=own, fail_on=fail_on))
    return counts


def _target_suite(
    root: ET.Element,
    report: ReportView,
    target: TargetModel,
    findings: Sequence[FindingModel],
    fail_on: Severity | None,
) -> _Counts:
    label = _label(target.method, target.url)
    suite = _suite(root, report, label, _hostname(target.url))
    _properties(suite, target)
    classname = f"{SUITES_NAME}.{label}"
    if target.error is None:
        counts = _rule_cases(suite, classname, findings, fail_on)
        if target.incomplete:
            # The plan was cut short by a request budget: the rules above rest on part of it.
            case = ET.SubElement(
                suite, "testcase", name=SCAN_TESTCASE, classname=xml_text(classname), time="0"
            )
            reason = incomplete_reason(target)
            error = ET.SubElement(case, "error", message=xml_text(reason), type="incomplete")
            error.text = xml_text(f"{label} was scanned only in part: {reason}\n", multiline=True)
            counts.add(_Counts(tests=1, errors=1))
    else:
        case = ET.SubElement(
            suite, "testcase", name=SCAN_TESTCASE, classname=xml_text(classname), time="0"
        )
        error = ET.SubElement(
            case,
            "error",
            message=xml_text(f"{target.error.kind}: {target.error.message}"),
            type=xml_text(target.error.kind),
        )
        error.text = xml_text(
            f"{label} could not be scanned ({target.error.kind}): {target.error.message}\n",
            multiline=True,
        )
        counts = _Counts(tests=1, errors=1)
    counts.set_on(suite)
    return counts


def render(report: ReportView) -> str:
    """The report as a JUnit XML document (UTF-8 declaration, ends with a newline)."""
    return "".join(iter_junit(report))


def iter_junit(report: ReportView) -> Iterator[str]:
    """`render`'s document in chunks of about 64 KiB: what ``ET.indent`` + ``ET.tostring``
    write for the whole tree, but only one ``<testsuite>`` is built at a time (the root's
    totals, which come first, are counted beforehand from what the findings hold)."""
    return batched(_chunks(report))


def stream(report: ReportView) -> Iterator[str]:
    """The registry's name (``formats.Renderer``) for `iter_junit`."""
    return iter_junit(report)


_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_CLOSE_ROOT = "</testsuites>"


def _set_totals(root: ET.Element, totals: _Counts, report: ReportView) -> None:
    totals.set_on(root, skipped=False)
    root.set("time", _seconds(report))


_RULE_IDS = frozenset(rule.id for rule in RULES)

_FAILING, _ACTIVE, _SUPPRESSED = 1, 2, 4
"""What a rule's findings on one target hold, as bits: one that fails the gate, one not
suppressed, one suppressed. That decides its testcase's counts (see `_testcase`)."""


class _Outcomes:
    """Per target key, per rule, the `_FAILING` / `_ACTIVE` / `_SUPPRESSED` bits of its
    findings, gathered while they stream past: the root's totals, which come first in the
    document, then need no second reading of the findings."""

    def __init__(self, fail_on: Severity | None) -> None:
        self.fail_on = fail_on
        self.bits: dict[Key, dict[str, int]] = {}

    def watch(self, findings: Iterable[FindingModel]) -> Iterator[FindingModel]:
        """``findings``, unchanged, noting each one's bits."""
        for finding in findings:
            bits = _SUPPRESSED
            if not finding.suppressed:
                bits = _ACTIVE
                if self.fail_on is not None and finding.severity.at_least(self.fail_on):
                    bits |= _FAILING
            rules = self.bits.setdefault((finding.url, finding.method), {})
            rules[finding.rule] = rules.get(finding.rule, 0) | bits
            yield finding

    @staticmethod
    def counts(rules: dict[str, int]) -> _Counts:
        """What the rule testcases of findings with these bits add up to (every catalogue
        rule has one, and so has any other rule with findings)."""
        counts = _Counts()
        for rule in [*(rule.id for rule in RULES), *(r for r in rules if r not in _RULE_IDS)]:
            bits = rules.get(rule, 0)
            counts.tests += 1
            if bits & _FAILING:
                counts.failures += 1
            elif bits & _SUPPRESSED and not bits & _ACTIVE:
                counts.skipped += 1
        return counts


def _totals(report: ReportView, outcomes: _Outcomes) -> _Counts:
    """The counts of every suite `_suites` writes, from the targets and the findings' bits."""
    totals = _Counts()
    matched: set[Key] = set()
    for target in report.targets:
        key = (target.url, target.method)
        if key in outcomes.bits:
            matched.add(key)
        if target.error is not None:
            totals.add(_Counts(tests=1, errors=1))
            continue
        totals.add(outcomes.counts(outcomes.bits.get(key, {})))
        if target.incomplete:
            totals.add(_Counts(tests=1, errors=1))
    unmatched: dict[str, int] = {}
    for key, rules in outcomes.bits.items():
        if key not in matched:
            for rule, bits in rules.items():
                unmatched[rule] = unmatched.get(rule, 0) | bits
    if unmatched:
        totals.add(outcomes.counts(unmatched))
    return totals


def _root(report: ReportView, totals: _Counts) -> ET.Element:
    """The ``<testsuites>`` element with the totals of every suite (and no children)."""
    root = ET.Element("testsuites", name=SUITES_NAME)
    _set_totals(root, totals, report)
    return root


def _chunks(report: ReportView) -> Iterator[str]:
    # What ET.indent(root) + ET.tostring(root) write, one suite at a time: the root's start
    # tag, then per suite "\n  " and the suite indented as a level-1 subtree, then "\n" and
    # the end tag. A root without suites is the empty element "<testsuites ... />".
    # One pass over the findings indexes them and notes their outcomes, so the totals come
    # from one pass over the targets; the suites then read each target's findings back.
    outcomes = _Outcomes(_fail_on(report))
    index = KeyIndex(outcomes.watch(report.findings))
    root = _root(report, _totals(report, outcomes))
    del outcomes
    yield _DECLARATION
    opened = False
    for suite, _ in _suites(report, index):
        if not opened:
            start = ET.tostring(root, encoding="unicode", short_empty_elements=False)
            yield start.removesuffix(_CLOSE_ROOT)
            opened = True
        ET.indent(suite, level=1)
        yield "\n  " + ET.tostring(suite, encoding="unicode")
    yield f"\n{_CLOSE_ROOT}\n" if opened else ET.tostring(root, encoding="unicode") + "\n"


def _fail_on(report: ReportView) -> Severity | None:
    return None if report.gate.fail_on == "never" else Severity(report.gate.fail_on)


def _suites(
    report: ReportView, index: KeyIndex | None = None
) -> Iterator[tuple[ET.Element, _Counts]]:
    """Each ``<testsuite>`` (built when asked for, with no parent) and its counts: one per
    target in report order, then the suite of findings that match no target, if any.
    ``index`` is where each target's findings are (made here when not given)."""
    fail_on = _fail_on(report)
    if index is None:
        index = KeyIndex(report.findings)
    matched: set[Key] = set()
    for target in report.targets:
        key = (target.url, target.method)
        if key in index:
            matched.add(key)
        # One target's findings: what its suite describes, so as large as what is written.
        own = [] if target.error is not None else list(index.read(report.findings, key))
        holder = ET.Element("testsuites")
        counts = _target_suite(holder, report, target, own, fail_on)
        yield holder[0], counts

    # Findings that match no target are all written in the suite below.
    unmatched = [
        finding
        for key in index
        if key not in matched
        for finding in index.read(report.findings, key)
    ]
    if unmatched:
        holder = ET.Element("testsuites")
        suite = _suite(holder, report, UNMATCHED_SUITE, "unknown")
        counts = _rule_cases(suite, f"{SUITES_NAME}.unmatched", unmatched, fail_on)
        counts.set_on(suite)
        yield suite, counts
