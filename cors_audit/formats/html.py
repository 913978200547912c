"""The HTML report: one self-contained page to triage a scan, from 1 to 10 000 targets.

``render`` fills ``templates/report.html.j2`` from the report and the rule catalogue. The top
of the page answers "what do I do first": a severity chart, the grade distribution and a
"Fix first" table (findings grouped by rule and stack, worst first, one fix per group with the
targets it covers). Each fix text is rendered once, in a deduplicated "Fixes" section keyed by
(rule, fix text, stack snippets), and every finding links to it. Findings are collapsed
``<details>`` rows, worst first: the first `INITIAL_FINDINGS` as HTML, and every finding (its
summary, filter keys, card body and evidence) in a JSON data block (`DataEncoder`, written in
pieces while the page streams). A small inline script (``templates/report.js``) filters the
findings (severity, rule, host, stack, target, text search) over that data and draws 200 rows
at a time, draws a card's body when it is opened, sorts the targets table and copies
snippets, always through ``textContent``. Without JavaScript the summary, Fix first, targets,
fixes, rules and the first rows are still there.

The page has inline CSS and script (``templates/report.css``, ``templates/report.js``), inline
SVG charts and no external asset. Its
Content-Security-Policy ``<meta>`` allows the style and the script by their SHA-256 hashes
(``'unsafe-inline'`` appears nowhere) and nothing else to load.

Everything in the report may come from a hostile server (header names and values, reason
phrases) or a user (URLs): autoescape is on explicitly (``select_autoescape`` does not cover
``.j2``), no report value is ever marked safe, and control characters are shown as visible
``\\xNN`` escapes (`visible` filters, plus a ``finalize`` hook as a backstop for every
expression). Inline Markdown (code, bold, links) is rendered by `markdown_inline`, which escapes
first. ``iter_html`` yields the same page in chunks (jinja2's ``generate``). The report's lists
may be spooled to disk, so no list is held: `triage` reads the targets and the findings once
each, keeping aggregates and positions, and the targets table and the data block read them
again while the page streams. This module does no I/O besides reading its own template,
stylesheet and script. It is longer than most (about 720 lines) because the triage summaries,
the finding rows and the data block they feed are one model of the page.
"""

from __future__ import annotations

import base64
import hashlib
import json
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from cors_audit.core.models import Severity
from cors_audit.core.text import sanitize
from cors_audit.core.wire import url_origin
from cors_audit.formats import batched
from cors_audit.formats.console import trusted_list
from cors_audit.formats.markdown_inline import render_inline
from cors_audit.formats.passes import Key, at, worst_first
from cors_audit.judging.rules.catalogue import RULES, RULES_BY_ID
from cors_audit.report.model import (
    EvidenceModel,
    FindingModel,
    RemediationModel,
    ReportView,
    TargetModel,
)

TEMPLATE = "report.html.j2"


def _asset(name: str) -> str:
    """A text file next to the template (the page's stylesheet and script)."""
    return (files("cors_audit.formats") / "templates" / name).read_text(encoding="utf-8")


_STYLE = _asset("report.css")
"""The page's stylesheet; allowed by its hash, so the page needs no ``'unsafe-inline'``."""

_SCRIPT = _asset("report.js")
"""Progressive enhancement: filters, paging, sorting, card bodies. It never builds markup from
report data as HTML: every value goes through ``textContent`` (no ``innerHTML``)."""


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_sha256(_STYLE)}'; "
    f"script-src 'sha256-{_sha256(_SCRIPT)}'; img-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)
"""Computed at import from the very texts the page inlines; no ``'unsafe-inline'``."""

_GRADE_CLASS = {"A": "a", "B": "b", "C": "c", "D": "d", "F": "f"}
GRADES = ("A", "B", "C", "D", "F", "-")
"""The grade-distribution rows; ``-`` is an ungraded (errored or incomplete) target."""

INITIAL_FINDINGS = 200
"""Finding rows in the page's HTML, worst first; the script shows the rest 200 at a time
(every finding is in the page's data block), so a 10 000-target page opens in about a second."""

FIX_FIRST_TARGETS = 50
"""Targets listed by name under one "Fix first" group; the filter shows the rest."""

_SEVERITY_RANK = {severity.value: rank for rank, severity in enumerate(Severity)}

# Chart geometry (SVG user units; the SVG scales to the page width).
_CHART_WIDTH = 640
_LABEL_WIDTH = 92
_BAR_MAX = 470
_ROW = 30
_BAR_HEIGHT = 18


@dataclass(frozen=True, slots=True)
class Bar:
    """One row of a bar chart (severities or grades)."""

    severity: str
    count: int
    y: int
    width: int
    label: str = ""
    css: str = ""


@dataclass(frozen=True, slots=True)
class FindingRow:
    """A finding with what its row needs: target, host, stack and the id of its fix."""

    finding: FindingModel
    target: int | None
    host: str
    stack: str
    fix_id: str
    data: int = -1
    """The index of the finding's card body in the page's data block (``"f"``)."""


@dataclass(frozen=True, slots=True)
class FindingGroup:
    """The findings of one severity, in report order."""

    severity: str
    findings: tuple[FindingRow, ...]
    total: int = 0
    """Findings of this severity in the report (``findings`` may be the first few only)."""


@dataclass(slots=True)
class Fix:
    """One deduplicated fix text: a rule's fix with its per-stack snippets."""

    id: str
    rule: str
    text: str
    remediation: tuple[RemediationModel, ...]
    findings: int = 0
    stacks: set[str] = field(default_factory=set)

    @property
    def known_stacks(self) -> list[str]:
        return sorted(self.stacks - {"unknown"})


@dataclass(slots=True)
class FixFirst:
    """A "Fix first" group: the findings of one rule on one stack."""

    rule: str
    stack: str
    severity: str
    findings: int = 0
    target_ids: set[int] = field(default_factory=set)
    named: list[tuple[int, str]] = field(default_factory=list)
    """The first `FIX_FIRST_TARGETS` targets (index, URL), listed by name."""
    fixes: Counter[str] = field(default_factory=Counter)

    @property
    def targets(self) -> set[int]:
        return self.target_ids

    def add_target(self, index: int, url: str) -> None:
        if index not in self.target_ids:
            self.target_ids.add(index)
            if len(self.named) < FIX_FIRST_TARGETS:
                self.named.append((index, url))

    @property
    def fix_id(self) -> str:
        return self.fixes.most_common(1)[0][0]

    @property
    def shown_targets(self) -> list[tuple[int, str]]:
        return self.named


@dataclass(frozen=True, slots=True)
class TargetRow:
    """A targets-table row with what the template cannot compute safely itself."""

    target: TargetModel
    grade_class: str
    shown_site_origin: str | None
    """The browser-visible origin when it differs from the URL's own (``--site-origin``)."""
    trusts: tuple[str, ...] = ()
    """The server's allowlist as discovery found it (empty when it found nothing new)."""
    first_finding: str | None = None
    """The fingerprint of the target's first finding (its row links there)."""


def visible(value: object) -> str:
    """A single-line value with every control character (LF and TAB too) visibly escaped."""
    return sanitize(str(value))


def visible_block(value: object) -> str:
    """A multi-line value: control characters escaped, LF and TAB kept."""
    return sanitize(str(value), keep_newlines=True)


def prose(value: object) -> Markup:
    """Escaped text with inline Markdown (`` `code` ``, ``**bold**``, links) rendered.

    The text is escaped *before* any markup is added, so the result is safe for any input.
    """
    return render_inline(value, visible_block)


class DataEncoder:
    """The page's JSON data block, written finding by finding while the page streams.

    Each finding is one array (its summary line, filter keys, card body and evidence); the
    page's script draws rows and cards from it with ``textContent``. Short strings that repeat
    (header names and values, reasons, rules, titles …) are stored once in a string table
    (``"s"``, written last, at most `_TABLE_MAX` entries, so memory stays bounded) and referred
    to by index; other strings are inline. Every string has its control characters made
    visible. An exchange is ``[kind, purpose, origin_class, credentialed, elapsed_ms, method,
    url, request_headers, status, http_version, reason, response_headers, body_bytes,
    truncated, error_kind, error_message]`` with ``-1`` for absent values and headers as flat
    ``[name, value, …]`` lists.
    """

    def __init__(self) -> None:
        self.strings: list[str] = []
        self._ids: dict[str, int] = {}

    def s(self, value: str | None) -> int | str:
        """``value`` as a table index (or inline when long or the table is full); -1: None."""
        if value is None:
            return -1
        shown = visible(value)
        found = self._ids.get(shown)
        if found is not None:
            return found
        if len(shown) > _INTERN_MAX or len(self.strings) >= _TABLE_MAX:
            return shown
        self._ids[shown] = len(self.strings)
        self.strings.append(shown)
        return len(self.strings) - 1

    def _headers(self, headers: Sequence[Any]) -> list[int | str]:
        return [i for h in headers for i in (self.s(h.name), self.s(h.value))]

    def exchange(self, ev: EvidenceModel) -> list[Any]:
        """One exchange as an array."""
        response, error = ev.response, ev.error
        return [
            self.s(ev.kind),
            self.s(ev.purpose or None),
            self.s(ev.origin_class),
            int(ev.credentialed),
            round(ev.elapsed_ms),
            self.s(ev.request.method),
            visible(ev.request.url),
            self._headers(ev.request.headers),
            response.status if response else -1,
            self.s(response.http_version if response else None),
            self.s(response.reason if response else None),
            self._headers(response.headers) if response else [],
            response.body_bytes if response else -1,
            int(response.body_truncated) if response else 0,
            self.s(error.kind if error else None),
            visible(error.message) if error else -1,
        ]

    def finding(self, row: FindingRow) -> list[Any]:
        """A finding for the script: its summary line, filter keys and card body."""
        finding = row.finding
        verified = finding.verified
        verified_text = ""
        if verified is not None:
            extra = f" ({verified.cors_error})" if verified.cors_error else ""
            verified_text = f"{verified.result} in {verified.browser}{extra}: {verified.detail}"
        cookies = ""
        exploit = finding.exploitability
        if exploit is not None and exploit.cookies:
            names = ", ".join(
                f"{c.name} (SameSite={c.same_site}{', Secure' if c.secure else ''})"
                for c in exploit.cookies
            )
            sent = (
                "sent cross-site by Chromium"
                if exploit.cross_site_cookies
                else "not sent cross-site by a default Chromium"
            )
            cookies = f"{names} — {sent}"
        cwe = finding.cwe.removeprefix("CWE-")
        return [
            visible_block(finding.detail),
            visible_block(finding.curl),
            row.fix_id,
            cwe if cwe.isdigit() else "",
            [visible(rule) for rule in finding.folded],
            visible(finding.cors_error or ""),
            visible(verified_text),
            visible(cookies),
            [self.exchange(ev) for ev in finding.evidence],
            visible(finding.fingerprint),
            self.s(finding.severity.value),
            self.s(finding.rule),
            self.s(finding.title),
            self.s(finding.method),
            visible(finding.url),
            visible(finding.origin) if finding.origin is not None else "(none)",
            int(finding.credentialed),
            int(finding.latent),
            self.s(row.host),
            self.s(row.stack),
            -1 if row.target is None else row.target,
            visible(verified.result) if verified is not None else "",
            visible(verified.browser) if verified is not None else "",
        ]

    def pieces(self, rows: Iterator[FindingRow]) -> Iterator[Markup]:
        """The data block's JSON, safe inside ``<script type="application/json">``, in pieces
        of `_DATA_ROWS` findings: streaming the page never holds it whole."""
        yield Markup('{"f":[')
        batch: list[list[Any]] = []
        first = True
        for row in rows:
            batch.append(self.finding(row))
            if len(batch) == _DATA_ROWS:
                yield Markup(("" if first else ",") + script_json(batch)[1:-1])  # noqa: S704
                batch, first = [], False
        if batch:
            yield Markup(("" if first else ",") + script_json(batch)[1:-1])  # noqa: S704
        yield Markup('],"s":') + script_json(self.strings) + Markup("}")


_DATA_ROWS = 100
"""Findings of the data block per streamed piece."""
_INTERN_MAX = 120
"""Longer strings are written inline, not in the string table."""
_TABLE_MAX = 1024
"""The string table's size limit (bounded memory while streaming)."""

_SCRIPT_UNSAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def script_json(value: object) -> Markup:
    """``value`` as JSON with ``<``, ``>``, ``&`` and the JS line separators escaped, so no
    string in it can close the ``<script>`` data block or start a comment in it."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return Markup(text.translate(_SCRIPT_UNSAFE))  # noqa: S704 - no raw <, > or & left


def _finalize(value: Any) -> Any:
    # Backstop: any plain string printed without a `visible` filter still cannot carry raw
    # control characters. Markup is ours (already escaped) and passes through.
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible_block(value)
    return value


def _timestamp(value: datetime) -> str:
    if value.utcoffset() == timedelta(0):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return value.isoformat(sep=" ", timespec="seconds")


def _duration(report: ReportView) -> str:
    seconds = max(0.0, (report.finished_at - report.started_at).total_seconds())
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def grade_class(grade: str) -> str:
    """CSS class suffix of a grade; ``none`` for an ungraded (errored) target."""
    return _GRADE_CLASS.get(grade, "none")


def _bars(counts: Sequence[tuple[str, int]], css: Sequence[str]) -> list[Bar]:
    largest = max((count for _, count in counts), default=0)
    return [
        Bar(
            severity=name,
            count=count,
            y=index * _ROW + 6,
            width=round(_BAR_MAX * count / largest) if largest else 0,
            label=name,
            css=css[index],
        )
        for index, (name, count) in enumerate(counts)
    ]


def chart_bars(by_severity: dict[str, int]) -> list[Bar]:
    """One bar per severity, worst first, widths relative to the largest count."""
    counts = [(severity.value, by_severity.get(severity.value, 0)) for severity in Severity]
    bars = _bars(counts, [f"fill-{name}" for name, _ in counts])
    return [Bar(b.severity, b.count, b.y, b.width, b.severity.capitalize(), b.css) for b in bars]


def grade_bars(targets: Iterable[TargetModel]) -> list[Bar]:
    """One bar per grade (A to F, then ``-`` for ungraded targets)."""
    return _grade_bars(Counter(_grade_row(t.grade) for t in targets))


def _grade_row(grade: str) -> str:
    return grade if grade in _GRADE_CLASS else "-"


def _grade_bars(tally: Counter[str]) -> list[Bar]:
    """`grade_bars` from the targets counted by `_grade_row`."""
    counts = [(grade, tally.get(grade, 0)) for grade in GRADES]
    bars = _bars(counts, [f"fill-{grade_class(grade)}" for grade in GRADES])
    return [
        Bar(
            b.severity,
            b.count,
            b.y,
            b.width,
            "ungraded" if b.severity == "-" else b.severity,
            b.css,
        )
        for b in bars
    ]


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _stack_of(target: TargetModel) -> str:
    if target.stack is None or target.stack.name == "unknown":
        return "unknown"
    return target.stack.name


def _fix_key(finding: FindingModel) -> tuple[object, ...]:
    return (
        finding.rule,
        finding.fix,
        tuple(
            (r.stack, r.title, r.language, r.snippet, tuple(r.notes)) for r in finding.remediation
        ),
    )


TargetRef = tuple[int, str]
"""What a finding's row needs of its target: the target's index and its stack."""


@dataclass(frozen=True, slots=True)
class Triage:
    """Everything the page derives from the targets and findings, from one pass over each
    that keeps only aggregates and positions (the first rows are read back by position; the
    data block and the targets table are written by later passes while the page streams)."""

    groups: list[FindingGroup]
    fixes: list[Fix]
    fix_first: list[FixFirst]
    first_finding: dict[int, str]
    hosts: int
    fix_ids: dict[tuple[object, ...], str]
    targets: dict[Key, TargetRef]
    order: array[int]
    """The findings' positions, worst severity first (report order within a severity)."""
    rule_counts: Counter[str]
    grades: Counter[str]
    """Targets per grade row (`_grade_row`)."""
    policy_free: bool
    """Some target was judged without a policy."""


_ROW_DROPS: dict[str, Any] = {"evidence": [], "remediation": [], "exploitability": None}
"""What a shown finding row (the template's ``group.findings``) never reads."""


def _row(
    finding: FindingModel,
    targets: dict[Key, TargetRef],
    fix_ids: dict[tuple[object, ...], str],
    data: int = -1,
) -> FindingRow:
    target = targets.get((finding.url, finding.method))
    return FindingRow(
        finding,
        target[0] if target is not None else None,
        _host(finding.url),
        target[1] if target is not None else "unknown",
        fix_ids[_fix_key(finding)],
        data,
    )


def finding_rows(report: ReportView, found: Triage) -> Iterator[FindingRow]:
    """Every finding's row, worst severity first (report order within a severity), read
    back by position."""
    for finding in at(report.findings, found.order):
        yield _row(finding, found.targets, found.fix_ids)


def triage(report: ReportView) -> Triage:
    """Deduplicated fixes, "Fix first" groups (worst, then largest) and the first rows.

    Per target it keeps its index and stack (by key; the last target of a key wins) and the
    fingerprint of its first finding in page order; per finding its position; the rest is
    per rule, stack, fix or host. No model is kept but the fixes' snippets and the first
    `INITIAL_FINDINGS` rows, which the page shows."""
    by_key: dict[Key, TargetRef] = {}
    stacks: dict[str, str] = {}  # one string per stack name, shared by the targets
    grades: Counter[str] = Counter()
    policy_free = False
    for target in report.targets:
        stack = _stack_of(target)
        by_key[(target.url, target.method)] = (target.index, stacks.setdefault(stack, stack))
        grades[_grade_row(target.grade)] += 1
        policy_free = policy_free or target.policy_free
    fixes: dict[tuple[object, ...], Fix] = {}
    groups: dict[tuple[str, str], FixFirst] = {}
    per_severity: Counter[str] = Counter()
    rule_counts: Counter[str] = Counter()
    hosts: set[str] = set()
    # The first finding of each target in page order (worst severity, then report order):
    # its severity's rank and its fingerprint.
    first: dict[int, tuple[int, str]] = {}

    def counted() -> Iterator[FindingModel]:
        for finding in report.findings:
            target = by_key.get((finding.url, finding.method))
            stack = "unknown" if target is None else target[1]
            fix = fixes.get(key := _fix_key(finding))
            if fix is None:
                fix = fixes[key] = Fix(
                    f"fix-{len(fixes) + 1}", finding.rule, finding.fix, tuple(finding.remediation)
                )
            fix.findings += 1
            fix.stacks.add(stack)
            hosts.add(_host(finding.url))
            severity = finding.severity.value
            per_severity[severity] += 1
            rule_counts[finding.rule] += 1
            group = groups.get((finding.rule, stack))
            if group is None:
                group = groups[(finding.rule, stack)] = FixFirst(finding.rule, stack, severity)
            elif _SEVERITY_RANK[severity] < _SEVERITY_RANK[group.severity]:
                group.severity = severity
            group.findings += 1
            group.fixes[fix.id] += 1
            if target is not None:
                group.add_target(target[0], finding.url)
                known = first.get(target[0])
                if known is None or _SEVERITY_RANK[severity] < known[0]:
                    first[target[0]] = (_SEVERITY_RANK[severity], finding.fingerprint)
            yield finding

    order = worst_first(counted())
    fix_ids = {key: fix.id for key, fix in fixes.items()}
    shown: list[FindingGroup] = []
    members: list[FindingRow] = []
    for position, finding in enumerate(at(report.findings, order[:INITIAL_FINDINGS])):
        if members and members[0].finding.severity is not finding.severity:
            severity = members[0].finding.severity.value
            shown.append(FindingGroup(severity, tuple(members), per_severity[severity]))
            members = []
        # The row shows the finding's summary only (its body is in the data block): its
        # evidence and snippets need not stay in memory while the page streams.
        row = _row(finding, by_key, fix_ids, position)
        members.append(replace(row, finding=finding.model_copy(update=_ROW_DROPS)))
    if members:
        severity = members[0].finding.severity.value
        shown.append(FindingGroup(severity, tuple(members), per_severity[severity]))
    ordered = sorted(
        groups.values(),
        key=lambda g: (_SEVERITY_RANK[g.severity], -len(g.targets), -g.findings, g.rule, g.stack),
    )
    return Triage(
        groups=shown,
        fixes=list(fixes.values()),
        fix_first=ordered,
        first_finding={index: fingerprint for index, (_, fingerprint) in first.items()},
        hosts=len(hosts),
        fix_ids=fix_ids,
        targets=by_key,
        order=order,
        rule_counts=rule_counts,
        grades=grades,
        policy_free=policy_free,
    )


class _TargetRows:
    """The targets table's rows, made one at a time while the page streams (a pass over the
    targets); true when there is any target."""

    def __init__(self, targets: Sequence[TargetModel], first_finding: dict[int, str]) -> None:
        self._targets = targets
        self._first_finding = first_finding

    def __bool__(self) -> bool:
        return len(self._targets) > 0

    def __iter__(self) -> Iterator[TargetRow]:
        for target in self._targets:
            yield TargetRow(
                target=target,
                grade_class=grade_class(target.grade),
                shown_site_origin=_site_origin_shown(target),
                trusts=tuple(trusted_list(target)),
                first_finding=self._first_finding.get(target.index),
            )


def _site_origin_shown(target: TargetModel) -> str | None:
    try:
        own = url_origin(target.url)
    except ValueError:  # a malformed port in a hand-edited report: show what we have
        own = None
    return None if target.site_origin == own else target.site_origin


def _policy_source(policy: dict[str, Any]) -> str | None:
    for key in ("source", "path", "file"):
        value = policy.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("cors_audit.formats", "templates"),
        autoescape=True,  # explicit: select_autoescape() would not cover .html.j2
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["visible"] = visible
    env.filters["visible_block"] = visible_block
    env.filters["prose"] = prose
    env.filters["timestamp"] = _timestamp
    return env


_ENV = _environment()


def render(report: ReportView) -> str:
    """The report as one self-contained HTML page."""
    return _ENV.get_template(TEMPLATE).render(_context(report))


def iter_html(report: ReportView) -> Iterator[str]:
    """`render`'s page in chunks of about 64 KiB (jinja2's ``generate``): their concatenation
    is byte for byte ``render(report)``, but the page is never one string."""
    return batched(_ENV.get_template(TEMPLATE).generate(_context(report)))


def stream(report: ReportView) -> Iterator[str]:
    """The registry's name (``formats.Renderer``) for `iter_html`."""
    return iter_html(report)


def _context(report: ReportView) -> dict[str, Any]:
    found = triage(report)
    rule_counts = found.rule_counts
    policy_free = found.policy_free or report.policy.get("policy_free") is True
    chart = {
        "width": _CHART_WIDTH,
        "label_width": _LABEL_WIDTH,
        "bar_max": _BAR_MAX,
        "bar_height": _BAR_HEIGHT,
    }
    return {
        "report": report.head,  # the page reads the lists only through what is below
        "summary": report.summary,
        "grade_class": grade_class(report.summary.grade),
        "duration": _duration(report),
        "policy_free": policy_free,
        "policy_source": _policy_source(report.policy),
        "policy_json": json.dumps(report.policy, indent=2, sort_keys=True, default=str),
        "severities": [severity.value for severity in Severity],
        "bars": chart_bars(report.summary.by_severity),
        "grade_bars": _grade_bars(found.grades),
        "chart": chart | {"height": len(Severity) * _ROW + 6},
        "grade_chart": chart | {"height": len(GRADES) * _ROW + 6},
        "target_rows": _TargetRows(report.targets, found.first_finding),
        "groups": found.groups,
        "fixes": found.fixes,
        "fix_first": found.fix_first,
        "fix_first_targets": FIX_FIRST_TARGETS,
        "hosts": found.hosts,
        "finding_total": len(report.findings),
        "initial_findings": INITIAL_FINDINGS,
        "page_data": DataEncoder().pieces(finding_rows(report, found)),
        "filter_rules": sorted(rule_counts),
        "filter_stacks": sorted({f.stack for f in found.fix_first}),
        "rules": RULES,
        "rules_by_id": RULES_BY_ID,
        "rule_counts": rule_counts,
        "csp": CONTENT_SECURITY_POLICY,
        "style": Markup(_STYLE),  # noqa: S704 - a constant of this module, hashed in the CSP
        "script": Markup(_SCRIPT),  # noqa: S704 - a constant of this module, hashed in the CSP
    }
