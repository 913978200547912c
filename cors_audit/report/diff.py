"""``cors-audit diff old.json new.json``: what changed between two reports.

Findings are matched by fingerprint (stable across runs, shards and target order), so the diff
says which findings appeared, which disappeared and which changed severity. Suppressed findings
are accepted risk: they are listed but never count as new. Pure: two reports in, a `ReportDiff`
out; the CLI prints it and turns it into an exit code.
"""

from __future__ import annotations

from dataclasses import dataclass

from cors_audit.core.models import Severity
from cors_audit.core.text import sanitize
from cors_audit.report.model import FindingModel, Report


@dataclass(frozen=True, slots=True)
class Change:
    """One finding present in both reports whose severity changed."""

    old: FindingModel
    new: FindingModel

    @property
    def worse(self) -> bool:
        """True when the severity went up."""
        return self.new.severity.rank > self.old.severity.rank


@dataclass(frozen=True, slots=True)
class ReportDiff:
    """The difference between two reports, in the new report's order."""

    appeared: tuple[FindingModel, ...]
    disappeared: tuple[FindingModel, ...]
    changed: tuple[Change, ...]
    unchanged: int

    def failing(self, fail_on: Severity | None) -> list[FindingModel]:
        """New or worsened unsuppressed findings at or above ``fail_on``."""
        if fail_on is None:
            return []
        candidates = [*self.appeared, *(c.new for c in self.changed if c.worse)]
        return [f for f in candidates if not f.suppressed and f.severity.at_least(fail_on)]


def diff_reports(old: Report, new: Report) -> ReportDiff:
    """Compare two reports by finding fingerprint."""
    before = {f.fingerprint: f for f in old.findings}
    after = {f.fingerprint: f for f in new.findings}
    changed = tuple(
        Change(before[fp], finding)
        for fp, finding in after.items()
        if fp in before and before[fp].severity is not finding.severity
    )
    return ReportDiff(
        appeared=tuple(f for fp, f in after.items() if fp not in before),
        disappeared=tuple(f for fp, f in before.items() if fp not in after),
        changed=changed,
        unchanged=sum(1 for fp in after if fp in before) - len(changed),
    )


def render_diff(diff: ReportDiff) -> str:
    """Plain-text listing: ``+`` appeared, ``-`` disappeared, ``~`` severity changed. The
    reports are untrusted input: control characters in them are shown escaped, so nothing they
    hold starts a line of a terminal or CI log (``::add-mask::`` and other workflow commands)."""

    def line(mark: str, severity: str, finding: FindingModel) -> str:
        origin = f" (Origin: {sanitize(finding.origin)})" if finding.origin else ""
        suppressed = " [suppressed]" if finding.suppressed else ""
        return (
            f"{mark} {severity:<17} {sanitize(finding.rule)}  {sanitize(finding.method)} "
            f"{sanitize(finding.url)}{origin}{suppressed}"
        )

    lines = [line("+", f.severity.value, f) for f in diff.appeared]
    lines += [line("-", f.severity.value, f) for f in diff.disappeared]
    lines += [
        line("~", f"{c.old.severity.value}->{c.new.severity.value}", c.new) for c in diff.changed
    ]
    lines.append(
        f"{len(diff.appeared)} appeared, {len(diff.disappeared)} disappeared, "
        f"{len(diff.changed)} changed severity, {diff.unchanged} unchanged"
    )
    return "\n".join(lines) + "\n"
