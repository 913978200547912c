"""The Markdown report: a short GitHub-flavoured summary for PR comments and job summaries.

``render`` writes the overall grade and score, the gate outcome (``fail_on``, failing count,
exit code), counts by severity, then the unsuppressed findings grouped by rule, worst rule
first: an overview table (one row per rule: worst severity, rule id linking to its help,
counts, title), and per rule its findings worst first and one fix snippet per detected stack.
Then unscannable targets, suppressed findings, what the baseline did, a grade count and every
target worst first (findings, then unscannable, then clean), and a footer with the tool
version. Tables longer than `OPEN_ROWS` rows and fix snippets are collapsed in our own
``<details>`` blocks. It is a digest: evidence lives in the JSON and HTML reports.

Every string in the report may come from a hostile server or a user, and GitHub renders
Markdown *and* HTML: no report value is ever emitted as Markdown or HTML (``markdown_text.py``:
values cleaned onto one visible line, prose escaped character by character, URLs and messages
in code spans); the only links are our own (rule help for ids of this catalogue, the project
page) and the only raw HTML is our constant ``<details>``/``<summary>`` wrapper.

GitHub cuts comments at 65 536 characters, so the document never exceeds `MAX_BYTES` UTF-8
bytes: every value is capped in length, and when the full document would be larger it is cut
by priority (`_cut`): the head, the rule overview and every section's heading always stay;
the details of the worst rules come next; then rows are added worst first, level by level
(`LEVELS`), to every rule's findings and fixes, the unscannable targets, the targets,
suppressed findings and baseline entries in turn, so each keeps its worst rows. A line under
the head says how many findings, targets… were left out and where the full report is, and
each cut table ends with a note. The report's lists may be spooled to disk: one pass over the
findings and one over the targets keep counts and, per table, only the rows the size cap could
ever show (`_Worst`), so memory follows the document, not the scan. This module renders text
only: no I/O. It is longer than most (about 750 lines) because the sections, the bounded row
selection and the cut by priority are one algorithm over one size budget.
"""

from __future__ import annotations

import re
from bisect import bisect
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from cors_audit import HOMEPAGE
from cors_audit.core.models import Severity
from cors_audit.formats.markdown_text import (
    VALUE_LIMIT,
    clean,
    clean_block,
    code_span,
    escape_text,
    prose,
)
from cors_audit.judging.rules.catalogue import RULES_BY_ID, help_uri
from cors_audit.judging.scoring import NO_GRADE
from cors_audit.report.model import BaselineEntryModel, FindingModel, ReportView, TargetModel

M = TypeVar("M", FindingModel, TargetModel)

MAX_BYTES = 65_536
"""The largest document ``render`` returns, in UTF-8 bytes (GitHub's comment limit is 65 536
characters; bytes are never fewer)."""

FULL_REPORT = "the JSON and HTML reports (`--json`, `--html`) list everything"


def _rule_link(rule: str, *, table: bool = True) -> str:
    # Only ids of this catalogue become links (kebab-case, safe as link text and fragment);
    # a report from elsewhere could carry anything in `rule`.
    if rule in RULES_BY_ID:
        return f"[{rule}]({help_uri(rule)})"
    return code_span(rule, table=table)


def _target(method: str, url: str) -> str:
    return code_span(f"{clean(method, 20)} {clean(url)}", table=True, limit=VALUE_LIMIT + 21)


def _origin(finding: FindingModel) -> str:
    origin = "(none)" if finding.origin is None else code_span(finding.origin, table=True)
    return origin + (" · credentialed" if finding.credentialed else "")


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _header(*columns: str, right: Sequence[int] = ()) -> list[str]:
    rule = ["--:" if index in right else ":--" for index in range(len(columns))]
    return [_row(columns), "|" + "|".join(rule) + "|"]


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class _Section:
    """A lead (always shown), an optional table or list the size cap may cut, and a closing
    line. ``lead`` may open a ``<details>`` wrapper that ``close`` ends."""

    lead: str
    header: Sequence[str] = ()
    rows: Sequence[str] = ()
    noun: str = "rows"
    """What the rows are, for the notes: ``findings``, ``targets``…"""
    hint: str = ""
    """Said about the rows kept when some are cut, e.g. which ones they are."""
    close: str = ""
    separator: str = "\n"
    """Between rows: a newline for table rows, a blank line for paragraphs."""
    total: int | None = None
    """How many rows the section has when ``rows`` holds only the first ones (those the size
    cap could ever show, see `_Worst`); None: ``rows`` are all of them."""

    @property
    def count(self) -> int:
        """How many rows the section has, shown or not."""
        return len(self.rows) if self.total is None else self.total

    def render(self, shown: int | None = None) -> str:
        shown = len(self.rows) if shown is None else shown
        blocks = [self.lead] if self.lead else []
        if shown:
            blocks.append(
                "\n".join([*self.header, self.separator.join(self.rows[:shown])]).rstrip("\n")
            )
        if shown < self.count:
            left = self.count - shown
            blocks.append(
                f"*{left} more {self.noun} not shown here ({self.hint}size limit of "
                f"{MAX_BYTES // 1024} KiB).*"
            )
        if self.close:
            blocks.append(self.close)
        return "\n\n".join(blocks)

    def step(self, shown: int) -> int:
        """An upper bound of what showing row ``shown`` (0-based) adds to `render` in bytes,
        given ``shown`` rows already: the table header comes with the first row; the note
        (counted in ``render(0)`` for all rows) only ever gets shorter or goes."""
        cost = _size(self.rows[shown]) + _size(self.separator)
        if shown == 0:
            cost += 2 + sum(_size(line) + 1 for line in self.header)
        return cost


def _sort_key(finding: FindingModel, position: int) -> tuple[int, str, str, str, str, int]:
    # Worst first; the position keeps report order among equal keys (as a stable sort would).
    return (
        -finding.severity.rank,
        finding.url,
        finding.method,
        finding.rule,
        finding.origin or "",
        position,
    )


class _Worst:
    """The rows of one cut section that the document can ever show, from rows offered in any
    order with a sort key (unique: it ends with a position), without holding the others.

    Why this is enough for a byte-identical document. Rows are shown as a prefix in key
    order. In `_cut`, `_Section.step` charges each shown row at least its size plus its
    separator's, against a budget below `MAX_BYTES`: so the rows shown always add up to less
    than `MAX_BYTES` bytes that way. Keeping the shortest prefix whose sizes (each with a
    separator) add up to more than `MAX_BYTES` therefore keeps every row `_cut` can show, and
    `_cut` stops before the last one kept. When rows were dropped, the rows kept alone make
    the uncut document longer than `MAX_BYTES` (the head comes on top), so `render` never
    returns it uncut. Memory: about `MAX_BYTES` of row text per section, plus one row."""

    def __init__(self, separator: str = "\n") -> None:
        self._separator = _size(separator)
        self._keys: list[Any] = []
        self._rows: list[str] = []
        self._costs: list[int] = []
        self._cost = 0
        self.total = 0
        """Rows offered, kept or not."""

    def offer(self, key: Any, row: Callable[[M], str], item: M) -> None:
        """One more row, ``row(item)``, made only when it may be kept."""
        self.total += 1
        if self._cost > MAX_BYTES and key > self._keys[-1]:
            return
        text = row(item)
        cost = _size(text) + self._separator
        where = bisect(self._keys, key)
        self._keys.insert(where, key)
        self._rows.insert(where, text)
        self._costs.insert(where, cost)
        self._cost += cost
        while self._cost - self._costs[-1] > MAX_BYTES:
            self._cost -= self._costs.pop()
            self._keys.pop()
            self._rows.pop()

    @property
    def rows(self) -> list[str]:
        """The rows kept, in key order."""
        return self._rows


def _timestamp(value: datetime) -> str:
    if value.utcoffset() == timedelta(0):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return value.isoformat(sep=" ", timespec="seconds")


def _duration(report: ReportView) -> str:
    try:
        seconds = max(0.0, (report.finished_at - report.started_at).total_seconds())
    except TypeError:  # one time with an offset, one without (a hand-written report)
        return "unknown duration"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def _gate(report: ReportView) -> str:
    gate = report.gate
    errors = report.summary.errors
    verdict = "passed" if gate.exit_code == 0 else "failed"
    level = code_span(gate.fail_on)
    if gate.fail_on == "never":
        reasons = ["the findings gate is off (`--fail-on never`)"]
    elif gate.failing:
        reasons = [f"{_plural(gate.failing, 'unsuppressed finding')} at or above {level}"]
    else:
        reasons = [f"no unsuppressed finding at or above {level}"]
    allowed = " (allowed by `--allow-errors`)" if gate.allow_errors else ""
    if errors:
        could = "target could" if errors == 1 else "targets could"
        reasons.append(f"{errors} {could} not be scanned{allowed}")
    incomplete = report.summary.incomplete
    if incomplete:
        was = "target was" if incomplete == 1 else "targets were"
        reasons.append(f"{incomplete} {was} cut short by a request budget{allowed}")
    return f"**Gate: {verdict}** (exit code {gate.exit_code}): {'; '.join(reasons)}."


def _head(report: ReportView, found: _Found) -> str:
    summary = report.summary
    suppressed = found.suppressed_by_severity
    lines = [
        (
            "# CORS audit: no grade (no target could be scanned completely)"
            if summary.incomplete
            else "# CORS audit: no grade (no target could be scanned)"
        )
        if summary.grade == NO_GRADE
        else f"# CORS audit: grade {escape_text(summary.grade, 8)} ({summary.score}/100)",
        "",
        _gate(report),
        "",
        " · ".join(
            [
                _plural(summary.targets, "target")
                + (f" ({summary.errors} unscannable)" if summary.errors else "")
                + (f" ({summary.incomplete} incomplete)" if summary.incomplete else ""),
                _plural(summary.findings, "finding"),
                f"{summary.suppressed} suppressed",
                _plural(summary.requests, "request"),
                _duration(report),
            ]
        ),
    ]
    if report.shard is not None:
        shard = report.shard
        lines += ["", f"Shard {shard.index}/{shard.count} of {shard.total_targets} targets."]
    if found.policy_free:
        lines += [
            "",
            "Policy-free judgement: no policy given, each target's own origin is the only "
            "trusted origin.",
        ]
    lines += ["", *_header("Severity", "Findings", "Suppressed", right=(1, 2))]
    lines += [
        _row(
            [
                severity.value,
                str(summary.by_severity.get(severity.value, 0)),
                str(suppressed[severity]),
            ]
        )
        for severity in Severity
    ]
    lines.append(_row(["**total**", str(summary.findings), str(summary.suppressed)]))
    return "\n".join(lines)


OPEN_ROWS = 5
"""Tables longer than this are collapsed in a ``<details>`` block (the reader expands them)."""

LEVELS = (1, 3, 10, 25, 50, 100, 250, 1000, 1 << 62)
"""How far every cut section is filled in turn when the document is too big: first each one's
worst row, then its worst 3, 10… so every rule, the targets and the unscannable ones all keep
their worst rows rather than the first section taking the whole budget."""


def _details(summary: str) -> str:
    """Our own ``<details>`` opening; ``summary`` is our text (counts and fixed words)."""
    return f"<details>\n<summary>{summary}</summary>"


_GRADES = ("A", "B", "C", "D", "F", NO_GRADE)


@dataclass(slots=True)
class _Group:
    """The unsuppressed findings of one rule: counts, the worst finding's severity and title,
    the rows that can be shown (worst first) and the best fix snippet per stack."""

    rule: str
    first: tuple[Any, ...]
    """The sort key of the rule's worst finding (`_sort_key`)."""
    worst: Severity
    title: str
    """The worst finding's title."""
    bit: int
    """The rule's bit in `_Found.marks`."""
    findings: int = 0
    credentialed: int = 0
    targets: int = 0
    """Distinct targets (method and URL) with findings of the rule (set after the pass)."""
    rows: _Worst = field(default_factory=_Worst)
    fixes: dict[str, tuple[tuple[Any, ...], str]] = field(default_factory=dict)
    """Per stack, the sort key of the worst finding whose first snippet is for that stack,
    and that snippet's text."""


@dataclass(slots=True)
class _Found:
    """What one pass over the findings and one over the targets leave: counts and the rows
    the document may show, never the models."""

    groups: dict[str, _Group] = field(default_factory=dict)
    marks: dict[tuple[str, str], int] = field(default_factory=dict)
    """Per target (method, URL) with unsuppressed findings: the bits of their rules, shifted
    left by 3, or'ed with their worst severity's rank plus one."""
    suppressed_by_severity: Counter[Severity] = field(default_factory=Counter)
    suppressed: _Worst = field(default_factory=_Worst)
    policy_free: bool = False
    failed: _Worst = field(default_factory=_Worst)
    targets: _Worst = field(default_factory=_Worst)
    grades: Counter[str] = field(default_factory=Counter)


def _finding_row(finding: FindingModel) -> str:
    return _row([_severity_cell(finding), _target(finding.method, finding.url), _origin(finding)])


def _suppressed_row(finding: FindingModel) -> str:
    reason, expires = "(none recorded)", "never"
    if finding.suppression is not None:
        reason = prose(finding.suppression.reason, table=True)
        if finding.suppression.expires is not None:
            expires = finding.suppression.expires.isoformat()
    return _row(
        [
            _severity_cell(finding),
            _rule_link(finding.rule),
            _target(finding.method, finding.url),
            _origin(finding),
            reason,
            expires,
        ]
    )


def _fix_row(finding: FindingModel) -> str:
    fix = finding.remediation[0]
    snippet = clean_block(fix.snippet).rstrip("\n")
    fence = _fence(snippet)
    language = re.sub(r"[^a-z0-9+-]", "", fix.language.lower())
    return (
        f"*{escape_text(fix.stack, 60).strip() or 'generic'}*: {escape_text(fix.title)}\n\n"
        f"{fence}{language}\n{snippet}\n{fence}"
    )


def _note_finding(found: _Found, finding: FindingModel, position: int) -> None:
    key = _sort_key(finding, position)
    if finding.suppressed:
        found.suppressed_by_severity[finding.severity] += 1
        found.suppressed.offer(key, _suppressed_row, finding)
        return
    group = found.groups.get(finding.rule)
    if group is None:
        group = found.groups[finding.rule] = _Group(
            finding.rule, key, finding.severity, finding.title, len(found.groups)
        )
    elif key < group.first:
        group.first, group.worst, group.title = key, finding.severity, finding.title
    group.findings += 1
    group.credentialed += finding.credentialed
    group.rows.offer(key, _finding_row, finding)
    if finding.remediation:
        stack = finding.remediation[0].stack
        best = group.fixes.get(stack)
        if best is None or key < best[0]:
            group.fixes[stack] = (key, _fix_row(finding))
    target = (finding.method, finding.url)
    mark = found.marks.get(target, 0)
    found.marks[target] = ((mark >> 3) | (1 << group.bit)) << 3 | max(
        mark & 7, finding.severity.rank + 1
    )


def _target_order(found: _Found, target: TargetModel, position: int) -> tuple[int, ...]:
    """Targets worst first: those with unsuppressed findings (worst severity, then lowest
    score, then most findings), then unscannable and incomplete ones, then clean ones
    (lowest score first); ties in scan order."""
    mark = found.marks.get((target.method, target.url))
    rank = None if mark is None else (mark & 7) - 1
    problem = target.error is not None or target.incomplete
    bucket = 0 if rank is not None else 1 if problem else 2
    return (bucket, -(rank or 0), target.score, -target.findings, target.index, position)


def _target_row(target: TargetModel) -> str:
    return _row(
        [
            escape_text(target.grade, 8) + (" (incomplete)" if target.incomplete else ""),
            "n/a" if target.error or target.incomplete else str(target.score),
            str(target.findings),
            _target(target.method, target.url),
        ]
    )


def _failed_row(target: TargetModel) -> str:
    assert target.error is not None  # for mypy: only unscannable targets are offered
    return _row(
        [
            _target(target.method, target.url),
            code_span(f"{target.error.kind}: {target.error.message}", table=True),
        ]
    )


def _find(report: ReportView) -> _Found:
    """One pass over the findings, then one over the targets (whose order needs the
    findings' marks)."""
    found = _Found()
    for position, finding in enumerate(report.findings):
        _note_finding(found, finding, position)
    per_bit = Counter[int]()
    for mark in found.marks.values():
        rules = mark >> 3
        while rules:
            low = rules & -rules
            per_bit[low.bit_length() - 1] += 1
            rules ^= low
    for group in found.groups.values():
        group.targets = per_bit[group.bit]
    for position, target in enumerate(report.targets):
        found.policy_free = found.policy_free or target.policy_free
        found.grades[target.grade if target.grade in _GRADES else "other"] += 1
        if target.error is not None:
            found.failed.offer(position, _failed_row, target)
        found.targets.offer(_target_order(found, target, position), _target_row, target)
    return found


def _groups(found: _Found) -> list[_Group]:
    """Rules worst first (worst severity, then most findings, then most targets, then id)."""
    return sorted(
        found.groups.values(),
        key=lambda g: (-g.worst.rank, -g.findings, -g.targets, g.rule),
    )


def _severity_cell(finding: FindingModel) -> str:
    return finding.severity.value + (" (latent)" if finding.latent else "")


def _overview(groups: Sequence[_Group]) -> _Section:
    if not groups:
        return _Section("## Findings\n\nNo unsuppressed findings.")
    return _Section(
        "## Findings\n\nBy rule, worst first; each rule's findings and fix follow.",
        _header("Severity", "Rule", "Findings", "Targets", "Title", right=(2, 3)),
        [
            _row(
                [
                    group.worst.value,
                    _rule_link(group.rule),
                    str(group.findings),
                    str(group.targets),
                    prose(group.title, table=True),
                ]
            )
            for group in groups
        ],
        noun="rules",
        hint="the table keeps the worst; ",
    )


def _group_findings(group: _Group) -> _Section:
    credentialed = group.credentialed
    counts = f"{_plural(group.findings, 'finding')} on {_plural(group.targets, 'target')}"
    if credentialed:
        counts += f", {credentialed} credentialed"
    heading = (
        f"### {group.worst.value}: {_rule_link(group.rule, table=False)}\n\n"
        f"{prose(group.title)}: {counts}."
    )
    long = group.findings > OPEN_ROWS
    return _Section(
        heading + ("\n\n" + _details(f"{counts}, worst first") if long else ""),
        _header("Severity", "Target", "Origin"),
        group.rows.rows,
        noun="findings of this rule",
        hint="the table keeps the worst; ",
        close="</details>" if long else "",
        total=group.rows.total,
    )


def _fence(snippet: str) -> str:
    """A backtick fence longer than any backtick run in ``snippet``."""
    longest = max((len(run) for run in re.findall(r"`+", snippet)), default=0)
    return "`" * max(3, longest + 1)


def _group_fixes(group: _Group) -> _Section | None:
    """One fix snippet per stack among the rule's findings, worst finding first: the detected
    stack's snippet when there is one, else the generic one; collapsed."""
    if not group.fixes:
        return None
    return _Section(
        _details("How to fix"),
        rows=[row for _, row in sorted(group.fixes.values())],
        noun="fix snippets",
        close="</details>",
        separator="\n\n",
    )


def _unscannable(found: _Found) -> _Section | None:
    failed = found.failed.total
    if not failed:
        return None
    long = failed > OPEN_ROWS
    return _Section(
        "## Unscannable targets"
        + ("\n\n" + _details(_plural(failed, "target") + " could not be scanned") if long else ""),
        _header("Target", "Error"),
        found.failed.rows,
        noun="unscannable targets",
        close="</details>" if long else "",
        total=failed,
    )


def _suppressed(found: _Found) -> _Section | None:
    suppressed = found.suppressed.total
    if not suppressed:
        return None
    return _Section(
        "## Suppressed findings\n\n"
        + _details(f"{_plural(suppressed, 'finding')} accepted by the baseline"),
        _header("Severity", "Rule", "Target", "Origin", "Reason", "Expires"),
        found.suppressed.rows,
        noun="suppressed findings",
        close="</details>",
        total=suppressed,
    )


def _entry_row(entry: BaselineEntryModel, *, expired: bool) -> str:
    cells = [
        "(any)" if entry.rule is None else _rule_link(entry.rule),
        "(any)" if entry.url is None else code_span(entry.url, table=True),
        prose(entry.reason, table=True),
    ]
    if expired and entry.expires is not None:
        cells.append(entry.expires.isoformat())
    cells.append(code_span(entry.fingerprint, table=True, limit=64))
    return _row(cells)


def _baseline(report: ReportView) -> list[_Section]:
    baseline = report.baseline
    if baseline is None:
        return []
    entries = _plural(baseline.entries, "entry", "entries")
    lead = (
        f"## Baseline\n\n{code_span(baseline.path)}: {entries}, {baseline.suppressed} "
        f"suppressed, {len(baseline.expired)} expired, {len(baseline.fixed)} fixed."
    )
    sections = [_Section(lead)]
    if baseline.expired:
        sections.append(
            _Section(
                "### Expired entries\n\nThey suppress nothing any more: renew or delete them.",
                _header("Rule", "URL", "Reason", "Expired on", "Fingerprint"),
                # An entry is listed as expired only when it has an expiry date.
                [_entry_row(entry, expired=True) for entry in baseline.expired],
                noun="expired entries",
            )
        )
    if baseline.fixed:
        sections.append(
            _Section(
                "### Fixed entries\n\nTheir finding is gone although the URL was scanned: "
                "delete them.",
                _header("Rule", "URL", "Reason", "Fingerprint"),
                [_entry_row(entry, expired=False) for entry in baseline.fixed],
                noun="fixed entries",
            )
        )
    return sections


def _targets(found: _Found) -> _Section:
    total = found.targets.total
    if not total:
        return _Section("## Targets\n\nNo targets.")
    grades = found.grades
    spread = " · ".join(
        f"{escape_text(grade)} {grades[grade]}" for grade in (*_GRADES, "other") if grades[grade]
    )
    long = total > OPEN_ROWS
    return _Section(
        f"## Targets\n\nGrades: {spread}."
        + ("\n\n" + _details(f"{_plural(total, 'target')}, worst first") if long else ""),
        _header("Grade", "Score", "Findings", "Target", right=(1, 2)),
        found.targets.rows,
        noun="targets",
        hint="the table keeps the worst; ",
        close="</details>" if long else "",
        total=total,
    )


def _footer(report: ReportView) -> str:
    return (
        f"---\n\nGenerated by [cors-audit]({HOMEPAGE}) {escape_text(report.tool.version, 40)} "
        f"on {_timestamp(report.started_at)}; {FULL_REPORT} with evidence."
    )


def _cut_line(hidden: Counter[str]) -> str:
    """The line under the head saying what the size cap left out, by kind of row."""
    parts = [
        f"{count} {_singular(noun) if count == 1 else noun}"
        for noun, count in hidden.items()
        if count
    ] or ["nothing"]
    listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return (
        f"**Cut to fit GitHub's {MAX_BYTES // 1024} KiB comment limit** (worst first kept): "
        f"{listed} not shown here; {FULL_REPORT}."
    )


def _singular(noun: str) -> str:
    return noun[:-3] + "y" if noun.endswith("ies") else noun.removesuffix("s")


def _noun(section: _Section) -> str:
    return section.noun.removesuffix(" of this rule")


def render(report: ReportView) -> str:
    """The report as GitHub-flavoured Markdown, at most `MAX_BYTES` bytes (ends with a
    newline). One pass over the findings and one over the targets; what stays is counts and
    the rows that can be shown (`_Worst`)."""
    found = _find(report)
    head, footer = _head(report, found), _footer(report)
    groups = _groups(found)
    overview = _overview(groups)
    details: list[list[_Section]] = []
    for group in groups:
        fixes = _group_fixes(group)
        details.append([_group_findings(group), *([fixes] if fixes else [])])
    rest = [
        *(section for section in (_unscannable(found), _suppressed(found)) if section),
        *_baseline(report),
        _targets(found),
    ]
    sections = [overview, *(part for parts in details for part in parts), *rest]
    document = "\n\n".join([head, *(section.render() for section in sections), footer]) + "\n"
    if _size(document) <= MAX_BYTES:
        return document
    return _cut(head, footer, overview, details, rest)


def _cut(
    head: str,
    footer: str,
    overview: _Section,
    details: Sequence[Sequence[_Section]],
    rest: Sequence[_Section],
) -> str:
    """The document cut to `MAX_BYTES`: the head, the rule overview and every section's lead
    always; the per-rule details of the worst rules while they take at most half of what is
    left; then rows, worst first, filled level by level (`LEVELS`) across the sections."""
    every = [overview, *(part for parts in details for part in parts), *rest]
    hidden_all: Counter[str] = Counter()
    for section in every:
        hidden_all[_noun(section)] += section.count
    dropped_note = f"*{len(details)} more rules not detailed here (size limit).*"
    # Blocks are joined by a blank line (2 bytes) and the document ends with a newline; the
    # cut line and the dropped-rules note are reserved at their longest.
    budget = MAX_BYTES - _size(head) - _size(footer) - 1 - 2 * 2
    budget -= _size(_cut_line(hidden_all)) + 2 + _size(dropped_note) + 2
    fixed = [overview, *rest]
    budget -= sum(_size(section.render(0)) + 2 for section in fixed)
    shown: dict[int, int] = {id(section): 0 for section in every}

    def fill(sections: Sequence[_Section], limit: int, budget: int) -> int:
        for section in sections:
            key = id(section)
            while shown[key] < min(limit, len(section.rows)):
                cost = section.step(shown[key])
                if cost > budget:
                    break
                budget -= cost
                shown[key] += 1
        return budget

    # The overview of rules first, up to half of what is left.
    budget = budget // 2 + fill([overview], len(overview.rows), budget - budget // 2)
    # The details of the worst rules while their leads take at most half of the rest.
    kept: list[Sequence[_Section]] = []
    allowance = budget // 2
    for parts in details:
        lead = sum(_size(part.render(0)) + 2 for part in parts)
        if lead > allowance:
            break
        allowance -= lead
        budget -= lead
        kept.append(parts)
    order = [*(part for parts in kept for part in parts), *rest]
    for level in LEVELS:
        budget = fill(order, level, budget)
    hidden: Counter[str] = Counter(dict.fromkeys(hidden_all, 0))
    for section in every:
        hidden[_noun(section)] += section.count - shown[id(section)]
    blocks = [head, _cut_line(hidden), overview.render(shown[id(overview)])]
    blocks += [part.render(shown[id(part)]) for parts in kept for part in parts]
    if len(kept) < len(details):
        blocks.append(f"*{len(details) - len(kept)} more rules not detailed here (size limit).*")
    blocks += [section.render(shown[id(section)]) for section in rest]
    return "\n\n".join([*blocks, footer]) + "\n"


def stream(report: ReportView) -> Iterator[str]:
    """`render`'s text as one chunk: at most `MAX_BYTES` by construction, nothing to gain by
    streaming (the registry's ``formats.Renderer`` interface)."""
    yield render(report)
