"""The SARIF 2.1.0 log, for GitHub code scanning and other SARIF viewers.

``render`` turns one report into one SARIF log with one run: ``tool.driver.rules`` holds every
rule of the catalogue (in catalogue order, so ``ruleIndex`` is stable across scans), one
``result`` per report finding (report order), suppressed findings carry an external, accepted
``suppression`` (their baseline entry), and targets that could not be scanned become
``toolExecutionNotifications`` of the one invocation. Rule text comes from the catalogue only.

Locations. SARIF results point at files, and GitHub code scanning rejects a result whose
``artifactLocation.uri`` is a URL (it must be relative to the repository root). A CORS finding
has no source file, so each finding gets a stable *pseudo path* derived from its URL
(`artifact_uri`)::

    https://api.example.com/v1/users      -> cors/api.example.com/v1/users
    https://10.0.4.7:8443/internal/feed   -> cors/10.0.4.7_8443/internal/feed
    https://example.com/                  -> cors/example.com/_root
    https://example.com/search?q=a b      -> cors/example.com/search/_q_q_a_b

* host lower-cased, ``_<port>`` appended when the URL names a port; user info, scheme and
  fragment are dropped (so ``http://`` and ``https://`` of one host share a path);
* each non-empty path segment kept, every character outside ``[A-Za-z0-9._~-]`` (including
  ``%`` of percent-escapes) replaced by ``_``, runs of dots (``..``) and lone ``.`` segments
  replaced by ``_``; an empty path is ``_root``;
* a query string is folded in as one last segment ``_q_<sanitized query>``;
* a segment longer than 64 characters is cut and suffixed ``~<12 hex of its SHA-256>``, and a
  path longer than 200 characters likewise with the digest of the whole URL, so long URLs stay
  distinct and bounded;
* a URL that cannot be parsed at all maps to ``cors/_invalid/<12 hex of its SHA-256>``.

The result is always relative, has no scheme, no leading ``/`` and no ``..``, and depends on
the URL only. The mapping is not injective (see the ``http``/``https`` case): that only groups
alerts under one pseudo file; a result's identity is its ``partialFingerprints``
(``corsAuditFinding/v1`` = the finding fingerprint), and the exact URL, method and origin are in
the message and ``result.properties``.

Everything a scanned server or a user supplied is only ever a JSON string value, serialized by
``json.dumps`` (control characters escaped); a lone surrogate, which UTF-8 cannot carry, becomes
``?``. Output is deterministic: object keys sorted, tags sorted, arrays in report or catalogue
order. ``iter_sarif`` yields the same text in chunks: the results (one per finding) and the
notifications (one per unscannable target) are encoded one at a time, so a large scan's log is
never one string nor one object tree. The findings are read in two passes (the rules they use,
then the results) and the targets in two (the positions of those to report, then those), so a
report whose lists are spooled to disk is never held whole. This module does no I/O and never
reaches back into the scan: it reads the report.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from array import array
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import chain
from typing import Any, Final, Literal
from urllib.parse import quote, urlsplit

from cors_audit import HOMEPAGE
from cors_audit.core.models import Severity
from cors_audit.formats import batched
from cors_audit.formats.passes import at
from cors_audit.judging.rules.catalogue import RULES, Rule, help_uri
from cors_audit.report.model import (
    ErrorModel,
    FindingModel,
    ReportView,
    TargetModel,
    incomplete_reason,
)

SARIF_VERSION: Final = "2.1.0"
SARIF_SCHEMA_URI: Final = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME: Final = "cors-audit"
FINGERPRINT_KEY: Final = "corsAuditFinding/v1"
"""``partialFingerprints`` key; bump the version suffix if the fingerprint recipe changes."""

Level = Literal["error", "warning", "note"]

LEVELS: Final[dict[Severity, Level]] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
"""SARIF ``level`` per severity (result level and rule ``defaultConfiguration.level``)."""

SECURITY_SEVERITY: Final[dict[Severity, str]] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
"""GitHub's ``security-severity`` (a numeric string): it shows >= 9.0 as critical, 7.0-8.9 high,
4.0-6.9 medium and 0.1-3.9 low; each value sits inside its severity's band."""

PRECISION: Final[dict[str, str]] = {
    # The browser model proves that a crafted, untrusted origin may read the reply.
    "origin": "very-high",
    # A grant of private-network access to an untrusted origin is read straight off the reply.
    "network": "very-high",
    # The browser would reject the headers or block a trusted origin: a model verdict, not a
    # guess about intent.
    "validity": "very-high",
    # `*` is certain, but whether the endpoint is public is intent the policy may not state.
    "wildcard": "high",
    # Measured against the declared (or, without a policy, inferred) policy.
    "preflight": "high",
    # Harmless when no cache may store the reply (e.g. `Cache-Control: no-store`).
    "caching": "high",
    # Which exposed header names are sensitive is a name-based heuristic.
    "exposure": "medium",
}
"""GitHub's ``precision`` per rule family (how likely a result is a true positive)."""

_UNKNOWN_PRECISION: Final = "medium"
_CWE_RE: Final = re.compile(r"CWE-([0-9]+)")
_UNSAFE_RE: Final = re.compile(r"[^A-Za-z0-9._~-]")
_DOTS_RE: Final = re.compile(r"\.{2,}")
_MAX_SEGMENT: Final = 64
_MAX_PATH: Final = 200
_DIGEST: Final = 12


def render(report: ReportView) -> str:
    """The report as a SARIF 2.1.0 log (pretty-printed JSON text, one run)."""
    return "".join(iter_sarif(report))


def iter_sarif(report: ReportView) -> Iterator[str]:
    """`render`'s log in chunks of about 64 KiB: what ``json.dumps(log, indent=2,
    sort_keys=True)`` writes, but only one result is built and encoded at a time."""
    chunks = chain(_chunks(_log(report), 0), ["\n"])
    return batched(_utf8(chunk) for chunk in chunks)


def stream(report: ReportView) -> Iterator[str]:
    """The registry's name (``formats.Renderer``) for `iter_sarif`."""
    return iter_sarif(report)


def _utf8(text: str) -> str:
    # A lone surrogate (possible in a str, impossible in UTF-8) would break writing the file.
    # Python's UTF-8 codec replaces each surrogate on its own, so this is the same per chunk.
    return text.encode("utf-8", "replace").decode("utf-8")


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)


class _Lazy:
    """A JSON array whose items are made only while it is being encoded (by `_chunks`)."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def _has_lazy(value: Any) -> bool:
    if isinstance(value, _Lazy):
        return True
    if isinstance(value, dict):
        return any(_has_lazy(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_has_lazy(item) for item in value)
    return False


def _chunks(value: Any, level: int) -> Iterator[str]:
    """``_dumps(value)`` (with each `_Lazy` as its list) in pieces, as it would appear nested
    ``level`` deep: ``json.dumps`` with ``indent=2`` puts each item on a line of its own,
    indented two spaces per level, and a JSON text holds no raw newline inside a string, so
    a sub-value dumped alone fits after shifting its lines right."""
    if not _has_lazy(value):
        yield _dumps(value).replace("\n", "\n" + "  " * level)
        return
    inner = "\n" + "  " * (level + 1)
    if isinstance(value, dict):
        opening, closing = "{", "}"
        parts: Iterable[tuple[str, Any]] = (
            (_dumps(key) + ": ", value[key]) for key in sorted(value)
        )
    else:
        opening, closing = "[", "]"
        parts = (("", item) for item in (value.items if isinstance(value, _Lazy) else value))
    separator = opening + inner
    for prefix, item in parts:
        yield separator + prefix
        yield from _chunks(item, level + 1)
        separator = "," + inner
    yield opening + closing if separator.startswith(opening) else "\n" + "  " * level + closing


def _log(report: ReportView) -> dict[str, Any]:
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [_run(report)],
    }


def artifact_uri(url: str) -> str:
    """The repository-relative pseudo path standing for ``url`` (see the module docstring)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"cors/_invalid/{_digest(url)}"
    host = _segment(parts.hostname or "_nohost")
    if port is not None:
        host = f"{host}_{port}"
    segments = [_segment(s) for s in parts.path.split("/") if s] or ["_root"]
    if parts.query:
        segments.append(_segment(f"_q_{parts.query}"))
    path = "/".join(["cors", host, *segments])
    if len(path) > _MAX_PATH:
        path = f"{path[:_MAX_PATH].rstrip('/')}~{_digest(url)}"
    return path


def _segment(raw: str) -> str:
    safe = _DOTS_RE.sub("_", _UNSAFE_RE.sub("_", raw))
    if safe == ".":
        safe = "_"
    if len(safe) > _MAX_SEGMENT:
        safe = f"{safe[: _MAX_SEGMENT - _DIGEST - 1]}~{_digest(raw)}"
    return safe


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:_DIGEST]


def _run(report: ReportView) -> dict[str, Any]:
    rules = _rules(report.findings)
    index = {rule.id: i for i, rule in enumerate(rules)}
    cwes = sorted({m[1] for rule in rules if (m := _CWE_RE.fullmatch(rule.cwe))}, key=int)
    version = report.tool.version
    return {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": version,
                "semanticVersion": version,
                "informationUri": HOMEPAGE,
                "rules": [_descriptor(rule, cwes) for rule in rules],
                "supportedTaxonomies": [{"name": "CWE", "index": 0}],
            }
        },
        "taxonomies": [_cwe_taxonomy(cwes)],
        "invocations": [_invocation(report)],
        "results": _Lazy(_result(finding, index[finding.rule]) for finding in report.findings),
        "properties": _run_properties(report),
    }


def _rules(findings: Iterable[FindingModel]) -> list[Rule]:
    """The catalogue, then a stand-in for each rule id the catalogue lacks (a report from a
    newer version), sorted by id, described by its first finding."""
    known = {rule.id for rule in RULES}
    extra: dict[str, Rule] = {}
    for finding in findings:
        if finding.rule not in known and finding.rule not in extra:
            extra[finding.rule] = Rule(
                id=finding.rule,
                title=finding.title,
                family="unknown",
                severity=f"{finding.severity.value} as reported",
                default=finding.severity,
                cwe=finding.cwe,
                why=f"{finding.title} (this rule is not in the catalogue of this version).",
                fix=finding.fix,
            )
    return [*RULES, *(extra[rule_id] for rule_id in sorted(extra))]


def _pascal(rule_id: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in rule_id.split("-"))


def _cwe_number(cwe: str) -> str | None:
    match = _CWE_RE.fullmatch(cwe)
    return match[1] if match else None


def _cwe_url(number: str) -> str:
    return f"https://cwe.mitre.org/data/definitions/{number}.html"


def _descriptor(rule: Rule, cwes: list[str]) -> dict[str, Any]:
    uri = help_uri(quote(rule.id, safe=""))
    number = _cwe_number(rule.cwe)
    tags = {"security", "cors", rule.family}
    cwe_text = cwe_markdown = ""
    relationships = []
    if number is not None:
        tags.add(f"external/cwe/cwe-{number}")
        cwe_text = f"\n\nCWE: {rule.cwe} ({_cwe_url(number)})"
        cwe_markdown = f"\n\n**CWE:** [{rule.cwe}]({_cwe_url(number)})"
        relationships.append(
            {
                "target": {
                    "id": number,
                    "index": cwes.index(number),
                    "toolComponent": {"name": "CWE", "index": 0},
                },
                "kinds": ["relevant"],
            }
        )
    default = rule.default.value
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": _pascal(rule.id),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.why},
        "help": {
            "text": f"{rule.why}\n\nFix: {rule.fix}\n\nSeverity: {rule.severity} "
            f"(default {default}).{cwe_text}\n\nDocumentation: {uri}",
            "markdown": f"**Why it matters.** {rule.why}\n\n**Fix.** {rule.fix}\n\n"
            f"**Severity.** {rule.severity} (default {default}).{cwe_markdown}\n\n"
            f"[Rule documentation]({uri})",
        },
        "helpUri": uri,
        "defaultConfiguration": {"level": LEVELS[rule.default]},
        "properties": {
            "tags": sorted(tags),
            "precision": PRECISION.get(rule.family, _UNKNOWN_PRECISION),
            "security-severity": SECURITY_SEVERITY[rule.default],
            "cwe": rule.cwe,
            "family": rule.family,
        },
    }
    if relationships:
        descriptor["relationships"] = relationships
    return descriptor


def _cwe_taxonomy(cwes: list[str]) -> dict[str, Any]:
    return {
        "name": "CWE",
        "organization": "MITRE",
        "informationUri": "https://cwe.mitre.org/",
        "shortDescription": {"text": "The MITRE Common Weakness Enumeration"},
        "taxa": [
            {"id": number, "name": f"CWE-{number}", "helpUri": _cwe_url(number)} for number in cwes
        ],
    }


def _result(finding: FindingModel, rule_index: int) -> dict[str, Any]:
    origin = finding.origin if finding.origin is not None else "(none sent)"
    credentials = ", with credentials" if finding.credentialed else ""
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {
            "text": f"{finding.title}: {finding.method} {finding.url} "
            f"(Origin: {origin}{credentials}). {finding.detail}"
        },
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(finding.url)},
                    "region": {"startLine": 1},
                }
            }
        ],
        "properties": {
            "url": finding.url,
            "method": finding.method,
            "origin": finding.origin,
            "credentialed": finding.credentialed,
            "cors_error": finding.cors_error,
            "curl": finding.curl,
            "severity": finding.severity.value,
            "security-severity": SECURITY_SEVERITY[finding.severity],
            "folded": list(finding.folded),
        },
    }
    if finding.latent:
        # Applies once Access-Control-Allow-Origin is fixed (README "Latent findings").
        result["properties"]["latent"] = True
    if finding.verified is not None:
        result["properties"]["verification"] = finding.verified.model_dump(mode="json")
    if finding.exploitability is not None:
        result["properties"]["exploitability"] = finding.exploitability.model_dump(mode="json")
    if finding.remediation:
        # The detected stack's snippet (or the generic one); SARIF `fixes` need file edits.
        result["properties"]["remediation"] = finding.remediation[0].model_dump(mode="json")
    if finding.suppressed:
        suppression: dict[str, Any] = {"kind": "external", "status": "accepted"}
        if finding.suppression is not None:
            suppression["justification"] = finding.suppression.reason
            expires = finding.suppression.expires
            suppression["properties"] = {
                "expires": None if expires is None else expires.isoformat()
            }
        result["suppressions"] = [suppression]
    return result


def _utc(moment: datetime) -> str:
    """SARIF wants UTC with a ``Z``; a naive time (an old report) is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _invocation(report: ReportView) -> dict[str, Any]:
    # One pass keeps the positions of the targets to report; they are read back while the
    # notifications are encoded.
    failed: array[int] = array("q")
    incomplete: array[int] = array("q")
    for position, target in enumerate(report.targets):
        if target.error is not None:
            failed.append(position)
        elif target.incomplete:
            incomplete.append(position)
    notifications = _Lazy(
        itertools.chain(
            (
                _notification(t, t.error)
                for t in at(report.targets, failed)
                if t.error is not None  # for mypy: it had one when counted
            ),
            (_incomplete_notification(t) for t in at(report.targets, incomplete)),
        )
    )
    return {
        "executionSuccessful": not failed and not incomplete,
        "startTimeUtc": _utc(report.started_at),
        "endTimeUtc": _utc(report.finished_at),
        "exitCode": report.gate.exit_code,
        "toolExecutionNotifications": notifications,
    }


def _incomplete_notification(target: TargetModel) -> dict[str, Any]:
    return {
        "level": "error",
        "descriptor": {"id": "incomplete"},
        "message": {
            "text": f"{target.method} {target.url} was scanned only in part: "
            f"{incomplete_reason(target)}"
        },
        "properties": {"url": target.url, "method": target.method, "target_index": target.index},
    }


def _notification(target: TargetModel, error: ErrorModel) -> dict[str, Any]:
    return {
        "level": "error",
        "descriptor": {"id": error.kind},
        "message": {
            "text": f"{target.method} {target.url} could not be scanned: "
            f"{error.kind}: {error.message}"
        },
        "properties": {
            "url": target.url,
            "method": target.method,
            "target_index": target.index,
            "error_kind": error.kind,
        },
    }


def _run_properties(report: ReportView) -> dict[str, Any]:
    summary = report.summary
    properties: dict[str, Any] = {
        "summary": {
            "score": summary.score,
            "grade": summary.grade,
            "targets": summary.targets,
            "findings": summary.findings,
            "suppressed": summary.suppressed,
            "errors": summary.errors,
            "by_severity": dict(summary.by_severity),
        },
        "gate": {"fail_on": report.gate.fail_on, "failing": report.gate.failing},
    }
    if report.baseline is not None:
        properties["baseline"] = {
            "entries": report.baseline.entries,
            "suppressed": report.baseline.suppressed,
            "expired": len(report.baseline.expired),
            "fixed": len(report.baseline.fixed),
        }
    return properties
