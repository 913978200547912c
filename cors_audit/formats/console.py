"""The terminal summary: a plain-text rendering of a report for the CLI to print.

One line per target, the findings sorted worst first (each list cut at `LISTED` lines, with a
line saying how many more the report files hold), and a totals line; ``verbose`` adds the
detail, fix and reproduction lines of each finding. Every string that came from a server or a
user (URLs, origins, header-derived details, error messages) goes through `sanitize`, so a
hostile server cannot move the cursor, clear the screen, retitle the terminal or plant an OSC 8
hyperlink. This module must not print, colour (rich lives in ``cli/`` only) or do any I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Final

from cors_audit.core.models import Severity
from cors_audit.core.text import sanitize
from cors_audit.formats.passes import at, worst_first
from cors_audit.judging.scoring import NO_GRADE
from cors_audit.report.model import FindingModel, ReportView, TargetModel


def _counts(counts: Counter[Severity]) -> str:
    parts = [f"{severity.value} {counts[severity]}" for severity in Severity if counts[severity]]
    return ", ".join(parts)


def _target_line(target: TargetModel, counts: Counter[Severity]) -> str:
    url = sanitize(target.url)
    method = sanitize(target.method)
    if target.error is not None:
        reason = sanitize(f"{target.error.kind}: {target.error.message}")
        return f"  {'-':<2} {'-':>3}  {method} {url}  ERROR {reason}"
    if target.findings == 0:
        outcome = "no findings"
    else:
        noun = "finding" if target.findings == 1 else "findings"
        outcome = f"{target.findings} {noun}"
        if sum(counts.values()) == target.findings:
            outcome += f" ({_counts(counts)})"
    if target.incomplete:
        # A request budget cut the plan short: no grade, and "no findings" proves nothing.
        return f"  {'-':<2} {'-':>3}  {method} {url}  INCOMPLETE (request budget) {outcome}"
    return f"  {sanitize(target.grade):<2} {target.score:>3}  {method} {url}  {outcome}"


TRUSTS_SHOWN = 5
"""Most origins a target's "trusts" line names before it says how many more there are."""


def trusted_list(target: TargetModel) -> list[str]:
    """The origins the server let in that discovery found, with the trusted ones it admitted
    (empty when discovery found nothing beyond them)."""
    observed = target.observed
    if observed is None or not observed.discovered:
        return []
    return list(dict.fromkeys([*observed.allowed_origins, *observed.discovered]))


def _trusts_line(target: TargetModel) -> str | None:
    origins = trusted_list(target)
    if not origins:
        return None
    shown = ", ".join(sanitize(origin) for origin in origins[:TRUSTS_SHOWN])
    more = len(origins) - TRUSTS_SHOWN
    return f"         trusts: {shown}" + (f" (+{more} more)" if more > 0 else "")


def _finding_lines(finding: FindingModel, *, verbose: bool) -> list[str]:
    origin = "(no Origin)" if finding.origin is None else sanitize(finding.origin)
    tags = (" [credentialed]" if finding.credentialed else "") + (
        " [latent]" if finding.latent else ""
    )
    lines = [
        f"  {finding.severity.value.upper():<8}  {sanitize(finding.rule)}  "
        f"{sanitize(finding.method)} {sanitize(finding.url)}  origin {origin}{tags}  "
        f"{sanitize(finding.title)}"
    ]
    if verbose:
        indent = " " * 12
        # split on LF only: str.splitlines() would also eat \r, \x1c-\x1e and \x85 unseen
        lines.extend(f"{indent}{sanitize(line)}" for line in finding.detail.split("\n"))
        if finding.folded:
            lines.append(f"{indent}folded: {sanitize(', '.join(finding.folded))}")
        lines.append(f"{indent}fix: {sanitize(finding.fix)}")
        lines.extend(f"{indent}{sanitize(line)}" for line in finding.curl.split("\n"))
        lines.append(f"{indent}fingerprint {sanitize(finding.fingerprint)}")
    return lines


def _more(count: int, noun: str) -> str:
    return f"  … {_plural(count, f'more {noun}')}: every one is in the report files"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


LISTED: Final = 200
"""Most targets, and most findings, the summary lists one per line. A terminal or a CI log is
read, not searched: past this a line says how many more there are and that the report files
hold them all (and the summary's size stays bounded at any scale)."""


def render(report: ReportView, *, verbose: bool = False) -> str:
    """The terminal summary of ``report`` as plain text (ends with a newline).

    The lists may be spooled to disk: the first `LISTED` targets are read, one pass over the
    findings counts theirs and orders the positions worst first, and the `LISTED` worst
    findings are read back by position; only the text and those aggregates are held."""
    listed = list(report.targets[:LISTED])
    per_target: dict[tuple[str, str], Counter[Severity]] = {
        (target.url, target.method): Counter() for target in listed
    }

    def counted() -> Iterator[FindingModel]:
        for finding in report.findings:
            counts = per_target.get((finding.url, finding.method))
            if counts is not None:
                counts[finding.severity] += 1
            yield finding

    ordered = worst_first(counted()) if len(report.findings) else None

    total = len(report.targets)
    lines = [f"cors-audit {sanitize(report.tool.version)}: {_plural(total, 'target')}"]
    if any(target.policy_free for target in report.targets):
        lines.append(
            "  policy-free judgement: no policy given, each target's own origin is the only "
            "trusted origin"
        )
    for target in listed:
        lines.append(_target_line(target, per_target[(target.url, target.method)]))
        trusts = _trusts_line(target)
        if trusts is not None:
            lines.append(trusts)
        if verbose:
            lines.extend(f"         note: {sanitize(note)}" for note in target.notes)
    if total > len(listed):
        lines.append(_more(total - len(listed), "target"))

    if ordered is not None:
        lines.append("")
        lines.append("Findings")
        for finding in at(report.findings, ordered[:LISTED]):
            lines.extend(_finding_lines(finding, verbose=verbose))
        if len(ordered) > LISTED:
            lines.append(_more(len(ordered) - LISTED, "finding"))

    if report.baseline is not None:
        lines.extend(
            f"baseline: {sanitize(entry.rule or '')} {sanitize(entry.url or '')} "
            f"({sanitize(entry.fingerprint)}) {sanitize(entry.note)}"
            for entry in report.baseline.outgrown
        )
        lines.extend(f"baseline: warning: {sanitize(note)}" for note in report.baseline.notes)

    summary = report.summary
    by_severity = ", ".join(
        f"{severity.value} {summary.by_severity.get(severity.value, 0)}" for severity in Severity
    )
    seconds = (report.finished_at - report.started_at).total_seconds()
    lines.append("")
    grade = (
        (
            "no grade (no target could be scanned)"
            if not summary.incomplete
            else "no grade (no target could be scanned completely)"
        )
        if summary.grade == NO_GRADE
        else f"grade {sanitize(summary.grade)}, score {summary.score}/100"
    )
    incomplete = f"{summary.incomplete} incomplete; " if summary.incomplete else ""
    lines.append(
        f"Total: {grade}; "
        f"{_plural(summary.findings, 'finding')} ({by_severity}); "
        f"{_plural(summary.errors, 'error')}; {incomplete}"
        f"{_plural(summary.requests, 'request')}; "
        f"{seconds:.1f} s"
    )
    return "\n".join(lines) + "\n"
