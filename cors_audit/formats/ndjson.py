"""The NDJSON log: one JSON object per line, for log pipelines (Filebeat, Elasticsearch's
``_bulk`` API, Loki, ``jq``) and for following a long scan with ``tail -f``.

Records, in order (schema: ``cors_audit/formats/schema/ndjson-v1.schema.json``):

* one ``scan`` record: the scan's start, the tool and how many targets it will scan;
* per finished target, one ``target`` record followed by one ``finding`` record per finding
  on it (suppressed ones included, with ``"suppressed": true``);
* one closing ``summary`` record: the totals, the grade and the gate.

Every record has ``schema_version`` "1", ``record``, ``scan_id`` (the same on every line of one
scan, derived from its start time, so a report of the same scan can be joined) and
``@timestamp`` (ISO 8601, UTC: when the line's event happened). ``target`` and ``finding``
records have ``host``; ``finding`` records have ``rule``, ``severity`` and ``severity_level``
(0 info, 1 low, 2 medium, 3 high, 4 critical) to sort and threshold on.

A scan writes the file as it goes (``app/live.py``): the ``scan`` line first, each target's
lines when it finishes, the ``summary`` last. `render` / `stream` write the same records from a
finished report (``merge --ndjson``), with every target at the report's finish time, holding
only where each target's findings are (the lists may be spooled to disk). Lines are
ASCII (``ensure_ascii``), so a hostile value can neither break a line nor the encoding. This
module renders text only; the records are built from (redacted) report models.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, Final

from cors_audit import __version__
from cors_audit.formats import batched
from cors_audit.formats.openmetrics import host_of
from cors_audit.formats.passes import KeyIndex
from cors_audit.report.model import FindingModel, ReportView, ShardModel, TargetModel

SCHEMA_VERSION: Final = "1"
SCHEMA_FILE: Final = "schema/ndjson-v1.schema.json"
"""The records' JSON Schema, relative to this package (shipped in the wheel)."""

Record = dict[str, Any]


def scan_id(started_at: datetime) -> str:
    """The scan's id: a UUID derived from its start time (microseconds), the same in the live
    file and in anything later rendered from the scan's report."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cors-audit:scan:{started_at.isoformat()}"))


def timestamp(moment: datetime) -> str:
    """``moment`` as ISO 8601 in UTC, milliseconds, ``Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def line(record: Record) -> str:
    """One record as one line of ASCII JSON, newline included."""
    return json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n"


def _base(kind: str, sid: str, moment: datetime) -> Record:
    return {
        "schema_version": SCHEMA_VERSION,
        "record": kind,
        "scan_id": sid,
        "@timestamp": timestamp(moment),
    }


def scan_record(
    sid: str, started_at: datetime, *, targets: int, shard: ShardModel | None = None
) -> Record:
    """The first line: the scan started and will scan ``targets`` targets."""
    return _base("scan", sid, started_at) | {
        "started_at": timestamp(started_at),
        "tool": {"name": "cors-audit", "version": __version__},
        "targets": targets,
        "shard": None if shard is None else shard.model_dump(),
    }


def target_records(
    sid: str, moment: datetime, target: TargetModel, findings: Iterable[FindingModel]
) -> Iterator[Record]:
    """A finished target's line, then one line per finding on it."""
    host = host_of(target.url)
    yield _base("target", sid, moment) | {
        "index": target.index,
        "url": target.url,
        "method": target.method,
        "host": host,
        "site_origin": target.site_origin,
        "source": target.source,
        "grade": target.grade,
        "score": target.score,
        "requests": target.requests,
        "findings": target.findings,
        "incomplete": target.incomplete,
        "policy_free": target.policy_free,
        "error": None if target.error is None else target.error.model_dump(),
        "stack": None if target.stack is None else target.stack.name,
    }
    for finding in findings:
        yield _base("finding", sid, moment) | {
            "index": target.index,
            "url": finding.url,
            "method": finding.method,
            "host": host_of(finding.url),
            "rule": finding.rule,
            "severity": finding.severity.value,
            "severity_level": finding.severity.rank,
            "title": finding.title,
            "detail": finding.detail,
            "origin": finding.origin,
            "credentialed": finding.credentialed,
            "latent": finding.latent,
            "suppressed": finding.suppressed,
            "cors_error": finding.cors_error,
            "cwe": finding.cwe,
            "fingerprint": finding.fingerprint,
        }


def summary_record(sid: str, report: ReportView) -> Record:
    """The last line: the scan's totals and how the gate ended it."""
    summary = report.summary
    return _base("summary", sid, report.finished_at) | {
        "started_at": timestamp(report.started_at),
        "finished_at": timestamp(report.finished_at),
        "duration_seconds": round((report.finished_at - report.started_at).total_seconds(), 3),
        "targets": summary.targets,
        "findings": summary.findings,
        "suppressed": summary.suppressed,
        "by_severity": dict(summary.by_severity),
        "score": summary.score,
        "grade": summary.grade,
        "errors": summary.errors,
        "incomplete": summary.incomplete,
        "requests": summary.requests,
        "fail_on": report.gate.fail_on,
        "failing": report.gate.failing,
        "exit_code": report.gate.exit_code,
        "interrupted": report.interrupted,
    }


def records(report: ReportView) -> Iterator[Record]:
    """Every record of ``report``, in the order a scan writes them."""
    sid = scan_id(report.started_at)
    yield scan_record(sid, report.started_at, targets=len(report.targets), shard=report.shard)
    # Where each target's findings are (one pass), then each target with its findings read
    # back; a key's findings go to its first target only.
    index = KeyIndex(report.findings)
    for target in report.targets:
        key = (target.url, target.method)
        yield from target_records(sid, report.finished_at, target, index.read(report.findings, key))
        index.forget(key)
    yield summary_record(sid, report)


def stream(report: ReportView) -> Iterator[str]:
    """`render`'s text in chunks of whole lines (about 64 KiB each)."""
    return batched(line(record) for record in records(report))


def render(report: ReportView) -> str:
    """The report as NDJSON records."""
    return "".join(stream(report))


__all__ = [
    "SCHEMA_FILE",
    "SCHEMA_VERSION",
    "line",
    "records",
    "render",
    "scan_id",
    "scan_record",
    "stream",
    "summary_record",
    "target_records",
]
