"""GitHub Actions workflow annotations for the findings that fail the gate.

Under GitHub Actions (``GITHUB_ACTIONS=true``) every unsuppressed finding at or above
``--fail-on`` becomes an ``::error`` (critical, high) or ``::warning`` (medium and below)
workflow command, at most `MAX_ANNOTATIONS` of them, then one ``::notice`` saying how many more
there are. Text in them comes from servers (titles and details quote headers), so it is escaped
the way the runner unescapes it (``%``, CR and LF in the message; also ``:`` and ``,`` in a
property) and can never start a line of its own: no workflow command can be injected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Final

from cors_audit.core.text import sanitize

if TYPE_CHECKING:
    from cors_audit.report.model import FindingModel, ReportView

MAX_ANNOTATIONS: Final = 50
"""Most findings annotated; a notice counts the rest."""

_ERROR_SEVERITIES: Final = frozenset({"critical", "high"})
_LINE_BREAK: Final = re.compile(r"(\r\n|\r|\n)")


def in_github_actions(environ: Mapping[str, str]) -> bool:
    """Whether the run is a GitHub Actions step (the runner sets ``GITHUB_ACTIONS=true``)."""
    return environ.get("GITHUB_ACTIONS", "").lower() == "true"


def _neutralized(text: str) -> str:
    """``text`` with control characters other than line breaks escaped (``sanitize``) and no
    line starting with ``::`` (a workflow command), whatever a reader later unescapes."""
    pieces = _LINE_BREAK.split(text)
    for i in range(0, len(pieces), 2):  # the lines; the line breaks are between them
        line = sanitize(pieces[i])
        if line.lstrip().startswith("::"):
            at = line.index("::")
            line = line[:at] + ": :" + line[at + 2 :]
        pieces[i] = line
    return "".join(pieces)


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as the runner unescapes it."""
    text = _neutralized(text)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (``file=``, ``title=``), escaped."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, message: str, **properties: str | None) -> str:
    given = ",".join(
        f"{name}={escape_property(value)}" for name, value in properties.items() if value
    )
    return f"::{kind}{' ' + given if given else ''}::{escape_data(message)}"


def failing_findings(
    report: ReportView, limit: int | None = None
) -> tuple[list[FindingModel], int]:
    """The unsuppressed findings at or above the gate's ``fail_on``, worst first (in report
    order within a severity), the first ``limit`` of them only; and how many there are in all.
    Only those kept are held: the report's findings may be spooled (``report/spool.py``)."""
    import heapq

    from cors_audit.core.models import Severity

    fail_on = report.gate.fail_on
    if fail_on == "never":
        return [], 0
    floor = Severity(fail_on)
    total = 0

    def found() -> Iterator[tuple[int, int, FindingModel]]:
        nonlocal total
        for number, finding in enumerate(report.findings):
            if not finding.suppressed and finding.severity.at_least(floor):
                total += 1
                yield -finding.severity.rank, number, finding

    if limit is None:
        kept = sorted(found(), key=lambda item: item[:2])
    else:
        kept = heapq.nsmallest(limit, found(), key=lambda item: item[:2])
    return [finding for _, _, finding in kept], total


def workflow_commands(
    report: ReportView, *, file: str | None = None, limit: int = MAX_ANNOTATIONS
) -> list[str]:
    """The workflow commands for ``report``'s failing findings (``file``: the policy file the
    annotations point at, if any)."""
    findings, total = failing_findings(report, limit)
    lines = [
        _command(
            "error" if finding.severity.value in _ERROR_SEVERITIES else "warning",
            f"{finding.method} {finding.url}: {finding.detail}",
            file=file,
            title=f"cors-audit {finding.severity.value} {finding.rule}: {finding.title}",
        )
        for finding in findings
    ]
    rest = total - limit
    if rest > 0:
        lines.append(
            _command(
                "notice",
                f"{rest} more finding(s) at or above --fail-on {report.gate.fail_on} are not "
                "annotated; see the report",
                title="cors-audit",
            )
        )
    return lines


__all__ = [
    "MAX_ANNOTATIONS",
    "escape_data",
    "escape_property",
    "failing_findings",
    "in_github_actions",
    "workflow_commands",
]
