"""The Markdown report: a short GitHub-flavoured summary for PR comments and job summaries.

``render`` writes the overall grade and score, the gate outcome (``fail_on``, failing count,
exit code), counts by severity, the unsuppressed findings worst first (rule ids link to their
help), unscannable targets, suppressed findings (collapsed), what the baseline did, the
targets and a footer with the tool version. It is a digest: evidence lives in the JSON and
HTML reports.

Every string in the report may come from a hostile server or a user, and GitHub renders
Markdown *and* HTML. So no report value is ever emitted as Markdown or HTML:

* line breaks become spaces, control characters (ANSI escapes included) and bidi overrides
  visible ``\\xNN`` / ``\\uNNNN`` escapes, lone surrogates ``\\uNNNN`` (`clean`);
* prose is escaped character by character (`escape_text`): ``& < >`` as entities, every other
  ASCII punctuation character backslash-escaped, which also defuses ``|`` in table cells,
  emphasis, links, ``$`` math and GFM autolinks (``http\\://``, ``www\\.``, ``a\\@b``);
* URLs, origins, error messages and fingerprints go in code spans (`code_span`), where nothing
  is linkified or interpreted; the fence is longer than any backtick run inside;
* the only links are our own: rule help (`help_uri`, for ids of this catalogue only) and the
  project page; the only raw HTML is our constant ``<details>``/``<summary>`` wrapper.

GitHub cuts comments at 65 536 characters, so the document never exceeds `MAX_BYTES` UTF-8
bytes: every value is capped in length, and when the full document would be larger the
tables are cut (findings worst first keep the most room) with a note saying how many rows are
left out and where the full report is. This module renders text only: no I/O.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cors_audit import HOMEPAGE
from cors_audit.core.models import Severity
from cors_audit.core.text import sanitize
from cors_audit.judging.rules.catalogue import RULES_BY_ID, help_uri
from cors_audit.judging.scoring import NO_GRADE
from cors_audit.report.model import BaselineEntryModel, FindingModel, Report

MAX_BYTES = 65_536
"""The largest document ``render`` returns, in UTF-8 bytes (GitHub's comment limit is 65 536
characters; bytes are never fewer)."""

VALUE_LIMIT = 300
"""Characters kept of one value (a URL, a reason…) after cleaning; longer ones end in ``…``."""

FULL_REPORT = "the JSON and HTML reports (`--json`, `--html`) list everything"

_LINE_BREAKS = re.compile("\r\n|[\n\r\t\x0b\x0c\x85\u2028\u2029]")
_NOT_TEXT = re.compile("[\ud800-\udfff\ufffe\uffff]")
_BACKTICKS = re.compile("`+")
_CODE_NOTATION = re.compile(r"`([^`]+)`")
_INERT = frozenset("'\",;?/%")
"""Punctuation no Markdown, GFM or GitHub construct starts or needs once ``[ ] ( ) < > & : @ .
# \\`` are escaped (no link, autolink or entity can form): left as is for readability."""
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPES = str.maketrans(
    {
        char: _ENTITIES.get(char, "\\" + char)
        for char in map(chr, range(0x21, 0x7F))
        if not char.isalnum() and char not in _INERT
    }
)
"""ASCII punctuation: ``& < >`` as entities, the rest backslash-escaped (CommonMark allows a
backslash before any of them)."""


def clean(value: object, limit: int = VALUE_LIMIT) -> str:
    """``value`` on one line with nothing invisible or unencodable, at most ``limit`` characters.

    Line breaks and tabs become spaces; other controls (ESC, NUL, BEL, C1…) and bidi/zero-width
    characters become visible escapes (`console.sanitize`); lone surrogates, U+FFFE and U+FFFF
    become ``\\uNNNN`` (a surrogate could not even be encoded as UTF-8).
    """
    text = sanitize(_LINE_BREAKS.sub(" ", str(value)))
    text = _NOT_TEXT.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clean_block(value: object) -> str:
    """Multi-line text for a fenced code block: lines kept, controls visibly escaped."""
    text = sanitize(str(value), keep_newlines=True)
    return _NOT_TEXT.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _escape(text: str) -> str:
    return text.translate(_ESCAPES)


def escape_text(value: object, limit: int = VALUE_LIMIT) -> str:
    """``value`` as Markdown that renders as exactly its (cleaned) text, also in a table cell:
    no emphasis, link, autolink, HTML, math or cell break can come out of it."""
    return _escape(clean(value, limit))


def _span(text: str, *, table: bool) -> str:
    if not text.strip():
        return escape_text(f"({'empty' if not text else 'blank'})")
    if table and "\\|" in text:
        # In a table a pipe inside a code span must be written \|, but a backslash right
        # before it would then escape the backslash instead: escaped text renders the same.
        return _escape(text)
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    # One space each side is stripped by the parser: needed when the text starts or ends with
    # a backtick (it would merge with the fence) or a space (it would be stripped).
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    if table:
        text = text.replace("|", "\\|")
    return f"{fence}{pad}{text}{pad}{fence}"


def code_span(value: object, *, table: bool = False, limit: int = VALUE_LIMIT) -> str:
    """``value`` (cleaned) as a code span: shown verbatim, never linkified or interpreted.
    ``table`` escapes pipes for a table cell."""
    return _span(clean(value, limit), table=table)


def prose(value: object, *, table: bool = False, limit: int = VALUE_LIMIT) -> str:
    """Text in the rule catalogue's notation: `` `code` `` parts as code spans, the rest
    escaped. Safe for any input: each part goes through `code_span` or `escape_text` rules."""
    text = clean(value, limit)
    parts: list[str] = []
    start = 0
    for match in _CODE_NOTATION.finditer(text):
        parts.append(_escape(text[start : match.start()]))
        parts.append(_span(match.group(1), table=table))
        start = match.end()
    parts.append(_escape(text[start:]))
    return "".join(parts)


def _rule_link(rule: str) -> str:
    # Only ids of this catalogue become links (kebab-case, safe as link text and fragment);
    # a report from elsewhere could carry anything in `rule`.
    if rule in RULES_BY_ID:
        return f"[{rule}]({help_uri(rule)})"
    return code_span(rule, table=True)


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
    """A heading (always shown) and an optional table the size cap may cut."""

    lead: str
    header: Sequence[str] = ()
    rows: Sequence[str] = ()
    noun: str = "rows"
    hint: str = ""
    """Said about the rows kept when some are cut, e.g. which ones they are."""
    close: str = ""

    def render(self, shown: int | None = None) -> str:
        shown = len(self.rows) if shown is None else shown
        blocks = [self.lead]
        if shown:
            blocks.append("\n".join([*self.header, *self.rows[:shown]]))
        if shown < len(self.rows):
            left = len(self.rows) - shown
            blocks.append(
                f"*{left} more {self.noun} not shown here ({self.hint}size limit of "
                f"{MAX_BYTES // 1024} KiB); {FULL_REPORT}.*"
            )
        if self.close:
            blocks.append(self.close)
        return "\n\n".join(blocks)

    def fit(self, budget: int) -> str:
        """The section with as many rows as fit in ``budget`` bytes (at least the lead)."""
        # An upper bound of render(shown): the lead, close and the note for *all* rows (with
        # fewer rows left out its count is never longer), the table header and the rows.
        shown = 0
        used = _size(self.render(0)) + sum(_size(line) + 1 for line in self.header) + 2
        for row in self.rows:
            used += _size(row) + 1
            if used > budget:
                break
            shown += 1
        return self.render(shown)


def _sort_key(finding: FindingModel) -> tuple[int, str, str, str, str]:
    return (-finding.severity.rank, finding.url, finding.method, finding.rule, finding.origin or "")


def _timestamp(value: datetime) -> str:
    if value.utcoffset() == timedelta(0):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return value.isoformat(sep=" ", timespec="seconds")


def _duration(report: Report) -> str:
    try:
        seconds = max(0.0, (report.finished_at - report.started_at).total_seconds())
    except TypeError:  # one time with an offset, one without (a hand-written report)
        return "unknown duration"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def _gate(report: Report) -> str:
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


def _head(report: Report) -> str:
    summary = report.summary
    suppressed = Counter(f.severity for f in report.findings if f.suppressed)
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
    if any(target.policy_free for target in report.targets):
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


def _findings(report: Report) -> _Section:
    active = sorted((f for f in report.findings if not f.suppressed), key=_sort_key)
    if not active:
        return _Section("## Findings\n\nNo unsuppressed findings.")
    return _Section(
        "## Findings",
        _header("Severity", "Rule", "Target", "Origin", "Title"),
        [
            _row(
                [
                    f.severity.value,
                    _rule_link(f.rule),
                    _target(f.method, f.url),
                    _origin(f),
                    prose(f.title, table=True) + (" (latent)" if f.latent else ""),
                ]
            )
            for f in active
        ],
        noun="findings",
        hint="the table keeps the worst; ",
    )


def _fence(snippet: str) -> str:
    """A backtick fence longer than any backtick run in ``snippet``."""
    longest = max((len(run) for run in re.findall(r"`+", snippet)), default=0)
    return "`" * max(3, longest + 1)


def _fixes(report: Report) -> _Section | None:
    """One fix snippet per (rule, stack) among the unsuppressed findings, worst first:
    the detected stack's snippet when there is one, else the generic one."""
    seen: set[tuple[str, str]] = set()
    rows: list[str] = []
    for finding in sorted((f for f in report.findings if not f.suppressed), key=_sort_key):
        if not finding.remediation:
            continue
        fix = finding.remediation[0]
        if (finding.rule, fix.stack) in seen:
            continue
        seen.add((finding.rule, fix.stack))
        snippet = clean_block(fix.snippet)
        fence = _fence(snippet)
        language = re.sub(r"[^a-z0-9+-]", "", fix.language.lower())
        rows.append(
            f"**{code_span(finding.rule)}** for {escape_text(fix.stack)}: "
            f"{escape_text(fix.title)}\n\n{fence}{language}\n{snippet}\n{fence}\n"
        )
    if not rows:
        return None
    return _Section(
        "## How to fix", rows=rows, noun="fix snippets", hint="the worst findings' come first; "
    )


def _unscannable(report: Report) -> _Section | None:
    failed = [target for target in report.targets if target.error is not None]
    if not failed:
        return None
    return _Section(
        "## Unscannable targets",
        _header("Target", "Error"),
        [
            _row(
                [
                    _target(target.method, target.url),
                    code_span(f"{target.error.kind}: {target.error.message}", table=True),
                ]
            )
            for target in failed
            if target.error is not None
        ],
        noun="unscannable targets",
    )


def _suppressed(report: Report) -> _Section | None:
    suppressed = sorted((f for f in report.findings if f.suppressed), key=_sort_key)
    if not suppressed:
        return None
    rows = []
    for f in suppressed:
        reason, expires = "(none recorded)", "never"
        if f.suppression is not None:
            reason = prose(f.suppression.reason, table=True)
            if f.suppression.expires is not None:
                expires = f.suppression.expires.isoformat()
        rows.append(
            _row(
                [
                    f.severity.value,
                    _rule_link(f.rule),
                    _target(f.method, f.url),
                    _origin(f),
                    reason,
                    expires,
                ]
            )
        )
    return _Section(
        "## Suppressed findings\n\n<details>\n"
        f"<summary>{_plural(len(suppressed), 'finding')} accepted by the baseline</summary>",
        _header("Severity", "Rule", "Target", "Origin", "Reason", "Expires"),
        rows,
        noun="suppressed findings",
        close="</details>",
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


def _baseline(report: Report) -> list[_Section]:
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


def _targets(report: Report) -> _Section:
    if not report.targets:
        return _Section("## Targets\n\nNo targets.")
    return _Section(
        "## Targets",
        _header("Grade", "Score", "Findings", "Target", right=(1, 2)),
        [
            _row(
                [
                    escape_text(target.grade, 8) + (" (incomplete)" if target.incomplete else ""),
                    "n/a" if target.error or target.incomplete else str(target.score),
                    str(target.findings),
                    _target(target.method, target.url),
                ]
            )
            for target in report.targets
        ],
        noun="targets",
    )


def _footer(report: Report) -> str:
    return (
        f"---\n\nGenerated by [cors-audit]({HOMEPAGE}) {escape_text(report.tool.version, 40)} "
        f"on {_timestamp(report.started_at)}; {FULL_REPORT} with evidence."
    )


def render(report: Report) -> str:
    """The report as GitHub-flavoured Markdown, at most `MAX_BYTES` bytes (ends with a
    newline)."""
    head, footer = _head(report), _footer(report)
    sections = [
        _findings(report),
        *(
            section
            for section in (_fixes(report), _unscannable(report), _suppressed(report))
            if section
        ),
        *_baseline(report),
        _targets(report),
    ]
    document = "\n\n".join([head, *(section.render() for section in sections), footer]) + "\n"
    if _size(document) <= MAX_BYTES:
        return document
    # Too big: give each section in turn (findings first) what is left after the others'
    # leads; blocks are joined by a blank line (2 bytes) and the document ends with a newline.
    budget = MAX_BYTES - _size(head) - _size(footer) - 1 - 2 * (len(sections) + 1)
    minimal = [_size(section.render(0)) for section in sections]
    fitted = []
    for index, section in enumerate(sections):
        text = section.fit(budget - sum(minimal[index + 1 :]))
        budget -= _size(text)
        fitted.append(text)
    return "\n\n".join([head, *fitted, footer]) + "\n"


def stream(report: Report) -> Iterator[str]:
    """`render`'s text as one chunk: at most `MAX_BYTES` by construction, nothing to gain by
    streaming (the registry's ``formats.Renderer`` interface)."""
    yield render(report)
