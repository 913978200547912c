"""The metrics file: the report's numbers in the Prometheus text exposition format (0.0.4), for
node_exporter's textfile collector (``--collector.textfile.directory``) and from there Grafana.

Every metric is a gauge named ``cors_audit_*`` describing the last scan (a new scan replaces
the file, so nothing here is a counter):

* ``cors_audit_findings{severity}``: unsuppressed findings by severity (every severity, 0 too);
* ``cors_audit_rule_findings{rule,severity}``: the same by rule;
* ``cors_audit_host_findings{host,severity}``: the same by host (``name`` or ``name:port``);
* ``cors_audit_suppressed_findings``: findings a baseline accepts;
* ``cors_audit_targets{grade}``: targets by grade (``A`` … ``F``, ``-`` for no grade);
* ``cors_audit_target_errors{kind}``: targets that could not be scanned, by error kind;
* ``cors_audit_targets_incomplete``, ``cors_audit_requests``, ``cors_audit_score``,
  ``cors_audit_gate_failing``, ``cors_audit_gate_exit_code``, ``cors_audit_scan_interrupted``;
* ``cors_audit_scan_duration_seconds``, ``cors_audit_scan_start_timestamp_seconds`` and
  ``cors_audit_scan_timestamp_seconds`` (when the scan finished: alert on staleness with
  ``time() - cors_audit_scan_timestamp_seconds``);
* ``cors_audit_info{version}`` = 1.

Samples carry no timestamp: the textfile collector refuses them. Label values come from
scanned URLs (server- and user-controlled), so they are escaped as the format requires
(``\\`` → ``\\\\``, ``"`` → ``\\"``, a line feed → ``\\n``); other control characters, bidi
overrides and lone surrogates are shown as visible escapes first (``core.text.sanitize``), so
a value never breaks a line, a label or the UTF-8 encoding. This module renders text only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Final
from urllib.parse import urlsplit

from cors_audit import __version__
from cors_audit.core.models import Severity
from cors_audit.core.text import sanitize
from cors_audit.judging.scoring import NO_GRADE
from cors_audit.report.model import ReportView

PREFIX: Final = "cors_audit_"
GRADES: Final = ("A", "B", "C", "D", "F", NO_GRADE)
"""Every grade, so a grade nobody has still reads 0 (and a panel never shows "no data")."""

Labels = tuple[tuple[str, str], ...]


def escape_label(value: str) -> str:
    """``value`` as the inside of a quoted label value: controls made visible, then ``\\``,
    ``"`` and line feeds escaped as the exposition format requires."""
    text = sanitize(value, keep_newlines=True)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def host_of(url: str) -> str:
    """The host of ``url`` (``name`` or ``name:port`` when a port is given); the URL itself
    when it has none (a report from elsewhere could hold anything)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url
    if not host:
        return url
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    return host if port is None else f"{host}:{port}"


def _number(value: float) -> str:
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    return repr(float(value))


def _family(name: str, help_text: str, samples: Iterable[tuple[Labels, float]]) -> Iterator[str]:
    full = PREFIX + name
    yield f"# HELP {full} {_escape_help(help_text)}\n"
    yield f"# TYPE {full} gauge\n"
    for labels, value in samples:
        if labels:
            inside = ",".join(f'{key}="{escape_label(text)}"' for key, text in labels)
            yield f"{full}{{{inside}}} {_number(value)}\n"
        else:
            yield f"{full} {_number(value)}\n"


def _counted(counts: Mapping[Labels, int]) -> list[tuple[Labels, float]]:
    return [(labels, counts[labels]) for labels in sorted(counts)]


def _chunks(report: ReportView) -> Iterator[str]:
    summary = report.summary
    # One pass over each list; only the counters stay.
    by_rule: Counter[Labels] = Counter()
    by_host: Counter[Labels] = Counter()
    for finding in report.findings:
        if finding.suppressed:
            continue
        severity = finding.severity.value
        by_rule[(("rule", finding.rule), ("severity", severity))] += 1
        by_host[(("host", host_of(finding.url)), ("severity", severity))] += 1
    grades: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for target in report.targets:
        grades[target.grade] += 1
        if target.error is not None:
            errors[target.error.kind] += 1
    started = report.started_at.timestamp()
    finished = report.finished_at.timestamp()
    yield from _family(
        "info", "The cors-audit version that wrote this file.", [((("version", __version__),), 1)]
    )
    yield from _family(
        "findings",
        "Unsuppressed findings of the last scan, by severity.",
        [
            ((("severity", s.value),), summary.by_severity.get(s.value, 0))
            for s in sorted(Severity, key=lambda s: -s.rank)
        ],
    )
    yield from _family(
        "rule_findings", "Unsuppressed findings of the last scan, by rule.", _counted(by_rule)
    )
    yield from _family(
        "host_findings", "Unsuppressed findings of the last scan, by host.", _counted(by_host)
    )
    yield from _family(
        "suppressed_findings", "Findings a baseline accepts.", [((), summary.suppressed)]
    )
    known = [(("grade", grade),) for grade in GRADES]
    others = sorted((("grade", g),) for g in grades if g not in GRADES)
    yield from _family(
        "targets",
        "Targets of the last scan by grade (- = no grade: an error or an incomplete plan).",
        [(labels, grades.get(labels[0][1], 0)) for labels in [*known, *others]],
    )
    yield from _family(
        "target_errors",
        "Targets that could not be scanned, by error kind.",
        _counted({(("kind", kind),): count for kind, count in errors.items()}),
    )
    yield from _family(
        "targets_incomplete",
        "Targets whose plan a request budget cut short.",
        [((), summary.incomplete)],
    )
    yield from _family("requests", "Requests the last scan sent.", [((), summary.requests)])
    yield from _family(
        "score", "Overall score of the last scan (0-100; 0 when ungraded).", [((), summary.score)]
    )
    yield from _family(
        "gate_failing",
        "Unsuppressed findings at or above --fail-on.",
        [((), report.gate.failing)],
    )
    yield from _family(
        "gate_exit_code",
        "The exit code the gate chose (0 pass, 1 findings, 3 errors).",
        [((), report.gate.exit_code)],
    )
    yield from _family(
        "scan_interrupted",
        "1 when the scan was stopped before every target finished.",
        [((), int(report.interrupted))],
    )
    yield from _family(
        "scan_duration_seconds",
        "How long the last scan took.",
        [((), round(finished - started, 3))],
    )
    yield from _family(
        "scan_start_timestamp_seconds",
        "When the last scan started (Unix time).",
        [((), round(started, 3))],
    )
    yield from _family(
        "scan_timestamp_seconds",
        "When the last scan finished (Unix time).",
        [((), round(finished, 3))],
    )


def stream(report: ReportView) -> Iterator[str]:
    """`render`'s text, one family at a time."""
    pending: list[str] = []
    for chunk in _chunks(report):
        pending.append(chunk)
        if chunk.startswith("# HELP") and len(pending) > 1:
            yield "".join(pending[:-1])
            del pending[:-1]
    if pending:
        yield "".join(pending)


def render(report: ReportView) -> str:
    """The report's numbers as a Prometheus text exposition file."""
    return "".join(_chunks(report))


__all__ = ["GRADES", "PREFIX", "escape_label", "host_of", "render", "stream"]
