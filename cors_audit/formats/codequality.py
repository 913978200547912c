"""The GitLab Code Quality report: the scan's problems as a CodeClimate-style JSON array.

GitLab reads this file from ``artifacts:reports:codequality`` and shows the issues in the
merge request widget (new and resolved ones compared with the target branch) and in the
pipeline's Code Quality tab. ``render`` writes one JSON array holding one issue per
*unsuppressed* finding (report order), then one per target that could not be scanned and one
per target whose plan a request budget cut short. Findings a baseline accepts are left out:
they never fail the gate, so they are no degradation either (an expired entry's finding comes
back, as new).

Every issue has the fields GitLab documents as required (``description``, ``check_name``,
``fingerprint``, ``severity``, ``location.path``, ``location.lines.begin``), plus the
CodeClimate ``type`` (``issue``) and ``categories`` (``Security``; ``Bug Risk`` for a target
that could not be scanned)::

    {"categories": ["Security"],
     "check_name": "cors-audit/reflected-origin",
     "description": "reflected-origin (critical): Any origin can read responses. PATCH https://…
                     from Origin https://q7zk2m.invalid-attacker.net, credentialed. …",
     "fingerprint": "3f0c9c6d2a51e0f4b7a8c1d2e3f40516",
     "location": {"lines": {"begin": 1}, "path": "cors/staging.example.com/api/posts/20"},
     "severity": "blocker",
     "type": "issue"}

Mapping:

* ``severity``: our five levels onto GitLab's five, in order (`SEVERITIES`): critical →
  ``blocker``, high → ``critical``, medium → ``major``, low → ``minor``, info → ``info``;
  an unscannable or incomplete target is ``major`` (the gate fails it with exit code 3
  unless ``--allow-errors``).
* ``check_name``: ``cors-audit/<rule id>`` (namespaced, so reports of several tools merged in
  one pipeline do not collide); ``cors-audit/unscannable`` and ``cors-audit/incomplete`` for
  targets.
* ``location.path``: GitLab wants a path relative to the repository (no ``./``); a finding is
  on a URL, not in a file, so it gets the same stable pseudo path as in SARIF
  (`sarif.artifact_uri`): ``https://api.example.com:8443/v1/users`` →
  ``cors/api.example.com_8443/v1/users``. ``location.lines.begin`` is always 1. The exact
  method, URL and origin are in ``description``.
* ``fingerprint``: the finding's fingerprint (stable across runs, shards and target order, so
  GitLab tells new issues from old ones); for a target, 32 hex digits of the SHA-256 of
  ``cors-audit/unscannable`` (or ``incomplete``), method and URL (not the error message, so
  one that flaps between timeout and reset stays one issue). GitLab shows only the first
  issue of a fingerprint, so a repeated one (a hand-merged report) is made unique with its
  occurrence number.
* ``description``: one line, the rule id and severity, the finding's title, method, URL,
  origin and detail, at most `DESCRIPTION_LIMIT` characters.

Everything a scanned server or a user supplied is only ever a JSON string value written by
``json.dumps``; line breaks become spaces, other control characters (ANSI escapes included)
and bidi overrides visible ``\\xNN`` / ``\\uNNNN`` escapes, and a lone surrogate, which UTF-8
cannot carry, ``?``. ``stream`` yields the text in chunks, encoding one issue at a time, from
one pass over the findings and one over the targets (they may be spooled to disk); what stays
in memory is the fingerprints seen. This module does no I/O and reads the report only.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any, Final

from cors_audit.core.models import Severity
from cors_audit.core.text import sanitize
from cors_audit.formats import batched
from cors_audit.formats.sarif import artifact_uri
from cors_audit.report.model import FindingModel, ReportView, TargetModel, incomplete_reason

SEVERITIES: Final[dict[Severity, str]] = {
    Severity.CRITICAL: "blocker",
    Severity.HIGH: "critical",
    Severity.MEDIUM: "major",
    Severity.LOW: "minor",
    Severity.INFO: "info",
}
"""GitLab's severity for each of ours (GitLab's scale: info, minor, major, critical, blocker)."""

TARGET_SEVERITY: Final = "major"
"""The severity of an unscannable or incomplete target."""

CHECK_PREFIX: Final = "cors-audit/"
UNSCANNABLE_CHECK: Final = f"{CHECK_PREFIX}unscannable"
INCOMPLETE_CHECK: Final = f"{CHECK_PREFIX}incomplete"

DESCRIPTION_LIMIT: Final = 1000
"""Characters kept of a description; a longer one ends in ``…``."""

_LINE_BREAKS: Final = re.compile("\r\n|[\n\r\t\x0b\x0c\x85\u2028\u2029]")


def render(report: ReportView) -> str:
    """The report as a GitLab Code Quality JSON array (pretty-printed, ends with a newline)."""
    return "".join(stream(report))


def stream(report: ReportView) -> Iterator[str]:
    """`render`'s text in chunks of about 64 KiB, one issue encoded at a time."""
    return batched(_chunks(report))


def issues(report: ReportView) -> Iterator[dict[str, Any]]:
    """The issues `render` writes, in order, as JSON-ready dictionaries."""
    seen: dict[str, int] = {}
    for issue in _issues(report):
        fingerprint = issue["fingerprint"]
        count = seen.get(fingerprint, 0)
        seen[fingerprint] = count + 1
        if count:
            issue["fingerprint"] = _digest(f"{fingerprint}\x1f{count}")
        yield issue


def _issues(report: ReportView) -> Iterator[dict[str, Any]]:
    for finding in report.findings:
        if not finding.suppressed:
            yield _finding_issue(finding)
    for target in report.targets:
        if target.error is not None:
            yield _target_issue(
                target,
                UNSCANNABLE_CHECK,
                f"could not be scanned: {target.error.kind}: {target.error.message}",
            )
        elif target.incomplete:
            yield _target_issue(
                target, INCOMPLETE_CHECK, f"was scanned only in part: {incomplete_reason(target)}"
            )


def _chunks(report: ReportView) -> Iterator[str]:
    separator = "[\n  "
    for issue in issues(report):
        yield separator
        yield _utf8(_dumps(issue).replace("\n", "\n  "))
        separator = ",\n  "
    yield "[]\n" if separator.startswith("[") else "\n]\n"


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)


def _utf8(text: str) -> str:
    # A lone surrogate (possible in a str, impossible in UTF-8) would break writing the file.
    return text.encode("utf-8", "replace").decode("utf-8")


def one_line(value: object, limit: int = DESCRIPTION_LIMIT) -> str:
    """``value`` on one line, controls visibly escaped, at most ``limit`` characters."""
    text = sanitize(_LINE_BREAKS.sub(" ", str(value)))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _issue(
    check: str, description: str, fingerprint: str, severity: str, url: str, category: str
) -> dict[str, Any]:
    return {
        "type": "issue",
        "check_name": one_line(check, 200),
        "description": one_line(description),
        "categories": [category],
        "fingerprint": fingerprint,
        "severity": severity,
        "location": {"path": artifact_uri(url), "lines": {"begin": 1}},
    }


def _finding_issue(finding: FindingModel) -> dict[str, Any]:
    origin = "no Origin" if finding.origin is None else f"Origin {finding.origin}"
    credentialed = ", credentialed" if finding.credentialed else ""
    latent = (
        " (latent: applies once Access-Control-Allow-Origin is fixed)" if finding.latent else ""
    )
    title = finding.title.rstrip(".")
    description = (
        f"{finding.rule} ({finding.severity.value}): {title}{latent}. {finding.method} "
        f"{finding.url} from {origin}{credentialed}. {finding.detail}"
    )
    return _issue(
        CHECK_PREFIX + finding.rule,
        description,
        finding.fingerprint or _digest(description),
        SEVERITIES[finding.severity],
        finding.url,
        "Security",
    )


def _target_issue(target: TargetModel, check: str, what: str) -> dict[str, Any]:
    return _issue(
        check,
        f"{target.method} {target.url} {what}",
        _digest(f"{check}\x1f{target.method}\x1f{target.url}"),
        TARGET_SEVERITY,
        target.url,
        "Bug Risk",
    )
