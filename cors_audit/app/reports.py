"""The commands that work on reports already written: ``merge`` (shards into one report),
``diff`` (what changed between two), ``baseline create`` (accept a report's findings) and
``init`` (the starter policy, or one drafted from a report).

Reports read back are untrusted input: an error about one is a `ReportReadError`, whose message
may quote the report (the command line shows it sanitized)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from cors_audit.app.configure import parse_fail_on
from cors_audit.app.outputs import write_text_atomic
from cors_audit.app.settings import SETTINGS
from cors_audit.core.errors import CorsAuditError, UsageError
from cors_audit.core.models import Severity
from cors_audit.inputs.policy import starter_policy
from cors_audit.report.baseline import render_baseline
from cors_audit.report.build import GateSettings
from cors_audit.report.diff import ReportDiff, diff_reports
from cors_audit.report.drafting import draft_policy
from cors_audit.report.merge import merge_stream
from cors_audit.report.model import load_report
from cors_audit.report.spool import SpooledReport


class ReportReadError(CorsAuditError):
    """A report read back (or what was asked of it) cannot be used; the message may quote the
    report."""


def merge_files(paths: Sequence[Path], gate: GateSettings) -> SpooledReport:
    """The JSON reports at ``paths`` (one per shard) merged into one, gated anew. Each file is
    read only once the previous one is spooled (`merge_stream`): memory holds the largest
    shard, not all of them."""
    try:
        return merge_stream(((str(path), load_report(path)) for path in paths), gate)
    except CorsAuditError as error:
        raise ReportReadError(str(error)) from error


def diff_files(old: Path, new: Path) -> ReportDiff:
    """What changed from the JSON report ``old`` to ``new``."""
    try:
        return diff_reports(load_report(old), load_report(new))
    except CorsAuditError as error:
        raise ReportReadError(str(error)) from error


def parse_date(value: str | None, option: str) -> date | None:
    """An ISO date given to ``option``, or ``None``."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{option} must be an ISO date such as 2027-03-01, not {value!r}"
        ) from None


def create_baseline(
    report_path: Path,
    output: Path,
    *,
    reason: str,
    expires: str | None,
    min_severity: str,
    force: bool,
) -> int:
    """Write to ``output`` a baseline accepting every finding of the report at ``report_path``
    at or above ``min_severity`` (a suppressed one keeps its reason while it is valid); returns
    how many it accepts."""
    try:
        until = parse_date(expires, "--expires")
        lowest = parse_fail_on(min_severity, "--min-severity") or Severity.INFO
        if not reason.strip():
            raise UsageError("--reason must not be empty")
        if output.exists() and not force:
            raise UsageError(f"{output} already exists (use --force to overwrite)")
        report = load_report(report_path)
    except CorsAuditError as error:
        raise ReportReadError(str(error)) from error
    entries = []
    for finding in report.findings:
        if not finding.severity.at_least(lowest):
            continue
        kept = finding.suppression
        if kept is not None and (kept.expires is None or kept.expires > date.today()):
            entries.append((finding, finding.severity.value, kept.reason, _iso(kept.expires)))
        else:
            entries.append((finding, finding.severity.value, reason, _iso(until)))
    text = render_baseline(entries, source=str(report_path), created=date.today())
    write_text_atomic(output, text, make_parents=True)
    return len(entries)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def write_policy(path: Path, *, from_report: Path | None, force: bool) -> None:
    """Write the commented starter policy to ``path``, or with ``from_report`` one drafted from
    what that report saw the servers do."""
    if path.exists() and not force:
        raise UsageError(f"{path} already exists (use --force to overwrite)")
    text = starter_policy(SETTINGS)
    if from_report is not None:
        try:
            text = draft_policy(load_report(from_report), source=str(from_report))
        except CorsAuditError as error:
            raise ReportReadError(str(error)) from error
    write_text_atomic(path, text, make_parents=False)


__all__ = [
    "ReportReadError",
    "create_baseline",
    "diff_files",
    "merge_files",
    "parse_date",
    "write_policy",
]
