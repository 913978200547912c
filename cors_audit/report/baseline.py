"""Baselines: findings a team has accepted for now, suppressed by fingerprint.

A baseline is a TOML file (``cors-audit baseline create`` writes one from a JSON report)::

    version = 1

    [[finding]]
    fingerprint = "3f0c…"          # required: what is suppressed
    reason = "legacy partner API"  # required: why
    expires = 2027-03-01           # optional: from this day on it no longer suppresses
    severity = "medium"            # the most it accepts (written by ``baseline create``)
    credentialed = false           # whether it accepted the finding with credentials
    rule = "reflected-origin"      # informational (rule, method, url, origin)

Suppressed findings stay in every report (``suppressed: true``) but never fail the gate and do
not lower scores. Expired entries stop suppressing and are listed; entries whose target was
scanned without producing their finding are listed as fixed. An entry accepts its finding only
as bad as it was: a finding now more severe than the entry's ``severity``, or credentialed where
the entry says ``credentialed = false``, has *outgrown* the entry and is not suppressed. Entries
of older baselines that record no severity (or no ``credentialed``) suppress as before, with a
warning that they cannot notice a finding getting worse. Pure apart from ``load_baseline``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Final, Literal, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictBool, StrictStr

from cors_audit.core.models import Severity
from cors_audit.inputs.policy_values import InvalidValue
from cors_audit.inputs.toml_file import TomlSchema, read_toml, validate_toml

_FINGERPRINT_RE: Final = re.compile(r"[0-9a-f]{32}")


def _check_fingerprint(value: str) -> str:
    if not _FINGERPRINT_RE.fullmatch(value):
        raise InvalidValue(
            f"{json.dumps(value)} is not a finding fingerprint",
            "32 lowercase hex digits, as in findings[].fingerprint of a JSON report",
        )
    return value


def _check_reason(value: str) -> str:
    if not value.strip():
        raise InvalidValue("the reason is empty", "why this finding is accepted, in words")
    return value


def _check_severity(value: str) -> str:
    if value not in {severity.value for severity in Severity}:
        raise InvalidValue(
            f"{json.dumps(value)} is not a severity",
            ", ".join(severity.value for severity in Severity),
        )
    return value


def _unique_fingerprints(entries: tuple[BaselineEntry, ...]) -> tuple[BaselineEntry, ...]:
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if entry.fingerprint in seen:
            raise InvalidValue(
                f"fingerprint {entry.fingerprint} is listed twice", "each fingerprint once", index
            )
        seen.add(entry.fingerprint)
    return entries


class BaselineEntry(BaseModel):
    """One accepted finding."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fingerprint: Annotated[StrictStr, AfterValidator(_check_fingerprint)]
    reason: Annotated[StrictStr, AfterValidator(_check_reason)]
    expires: date | None = None
    """The first day on which the entry no longer suppresses."""
    rule: StrictStr | None = None
    severity: Annotated[StrictStr, AfterValidator(_check_severity)] | None = None
    """The worst severity the entry accepts; ``None`` (older baselines): any."""
    credentialed: StrictBool | None = None
    """``False``: the entry does not accept the finding once it is credentialed; ``None``
    (older baselines): unknown, accepted either way."""
    method: StrictStr | None = None
    url: StrictStr | None = None
    origin: StrictStr | None = None

    def expired(self, today: date) -> bool:
        """True from the ``expires`` day on."""
        return self.expires is not None and today >= self.expires


class BaselineFile(BaseModel):
    """The whole baseline file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    finding: Annotated[tuple[BaselineEntry, ...], AfterValidator(_unique_fingerprints)] = ()


_SCHEMA: Final = TomlSchema(
    root=BaselineFile,
    nested={"finding": BaselineEntry},
    hints={
        "version": ("1", ""),
        "finding": ("an array of tables written [[finding]]", "a table written [[finding]]"),
        "fingerprint": ("32 lowercase hex digits", ""),
        "reason": ("a string saying why the finding is accepted", ""),
        "expires": ("a TOML date such as 2027-03-01", ""),
        "rule": ("a rule id", ""),
        "severity": ("a severity: critical, high, medium, low or info", ""),
        "credentialed": ("true or false", ""),
        "method": ("an HTTP method", ""),
        "url": ("a URL", ""),
        "origin": ("an origin", ""),
    },
)


@dataclass(frozen=True, slots=True)
class Baseline:
    """A loaded baseline."""

    path: str
    entries: tuple[BaselineEntry, ...]


def load_baseline(path: Path) -> Baseline:
    """Read and validate a baseline file; raises ``PolicyError`` naming file, line and key."""
    text, data = read_toml(path, "baseline")
    loaded = validate_toml(data, text, str(path), _SCHEMA)
    assert isinstance(loaded, BaselineFile)
    return Baseline(path=str(path), entries=loaded.finding)


class Matchable(Protocol):
    """What the baseline needs of a finding."""

    @property
    def fingerprint(self) -> str: ...

    @property
    def url(self) -> str: ...

    @property
    def severity(self) -> Severity: ...

    @property
    def credentialed(self) -> bool: ...


def outgrowth(entry: BaselineEntry, finding: Matchable) -> str | None:
    """Why ``finding`` is worse than what ``entry`` accepted, or ``None`` when it is not."""
    why: list[str] = []
    if entry.severity is not None and not Severity(entry.severity).at_least(finding.severity):
        why.append(f"its severity rose from {entry.severity} to {finding.severity.value}")
    if entry.credentialed is False and finding.credentialed:
        why.append("it is now exploitable with credentials")
    if not why:
        return None
    return f"outgrew its baseline entry ({' and '.join(why)}); not suppressed"


@dataclass(frozen=True, slots=True)
class BaselineOutcome:
    """What a baseline did to one scan."""

    suppressed: dict[str, BaselineEntry]
    """Fingerprint → the (unexpired) entry that suppresses it."""
    outgrown: dict[str, tuple[BaselineEntry, str]]
    """Fingerprint → the (unexpired) entry whose finding got worse than it accepted, and why
    (see `outgrowth`): the finding is not suppressed."""
    unrated: tuple[BaselineEntry, ...]
    """Entries that suppressed a finding without recording its severity or credentials (older
    baselines): they cannot notice the finding getting worse."""
    expired: tuple[BaselineEntry, ...]
    """Entries past their ``expires`` date: they suppress nothing any more."""
    fixed: tuple[BaselineEntry, ...]
    """Unexpired entries that matched no finding although their URL was scanned (or that name no
    URL): the problem they accepted is gone and the entry can be deleted."""


def apply_baseline(
    baseline: Baseline, findings: Iterable[Matchable], scanned_urls: set[str], today: date
) -> BaselineOutcome:
    """Match ``findings`` against the baseline (by fingerprint only: the other keys of an entry
    are for people). ``scanned_urls`` are the URLs scanned without error in this run, so that a
    shard does not call fixed what another shard scans."""
    present = {finding.fingerprint: finding for finding in findings}
    suppressed: dict[str, BaselineEntry] = {}
    outgrown: dict[str, tuple[BaselineEntry, str]] = {}
    unrated: list[BaselineEntry] = []
    expired: list[BaselineEntry] = []
    fixed: list[BaselineEntry] = []
    for entry in baseline.entries:
        finding = present.get(entry.fingerprint)
        if entry.expired(today):
            expired.append(entry)
        elif finding is not None:
            why = outgrowth(entry, finding)
            if why is not None:
                outgrown[entry.fingerprint] = (entry, why)
                continue
            suppressed[entry.fingerprint] = entry
            if entry.severity is None or entry.credentialed is None:
                unrated.append(entry)
        elif entry.url is None or entry.url in scanned_urls:
            fixed.append(entry)
    return BaselineOutcome(
        suppressed=suppressed,
        outgrown=outgrown,
        unrated=tuple(unrated),
        expired=tuple(expired),
        fixed=tuple(fixed),
    )


class Accepted(Matchable, Protocol):
    """What ``render_baseline`` needs of a finding."""

    @property
    def rule(self) -> str: ...

    @property
    def method(self) -> str: ...

    @property
    def origin(self) -> str | None: ...


_TOML_ESCAPES: Final = {code: f"\\u{code:04x}" for code in range(0x7F, 0xA0)}


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string."""
    # json escapes quotes, backslashes and C0 controls in a form TOML accepts; TOML additionally
    # forbids a raw DEL, and C1 controls (which some terminals obey) are escaped too. Non-ASCII
    # stays literal (json's \\ud83d surrogate escapes are not TOML).
    return json.dumps(value, ensure_ascii=False).translate(_TOML_ESCAPES)


def _comment_text(value: str) -> str:
    """``value`` fit for a TOML comment: control characters (which would end the comment or
    make the file invalid) are shown as ``\\xNN`` escapes."""
    return "".join(
        f"\\x{ord(c):02x}" if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 else c for c in value
    )


def render_baseline(
    findings: Sequence[tuple[Accepted, str, str, str | None]],
    *,
    source: str,
    created: date,
) -> str:
    """The text of a baseline file accepting ``findings``, given as ``(finding, severity,
    reason, expires ISO date or None)``, in order."""
    lines = [
        "# cors-audit baseline: findings accepted for now. Each [[finding]] suppresses one finding",
        "# by fingerprint; suppressed findings stay in reports but never fail the gate.",
        f"# Created {created.isoformat()} from {_comment_text(source)}.",
        "# Review every reason; give entries an `expires` date so they come back.",
        "version = 1",
    ]
    for finding, severity, reason, expires in findings:
        lines += [
            "",
            "[[finding]]",
            f"fingerprint = {toml_string(finding.fingerprint)}",
            f"rule = {toml_string(finding.rule)}",
            f"severity = {toml_string(severity)}",
            f"credentialed = {'true' if finding.credentialed else 'false'}",
            f"method = {toml_string(finding.method)}",
            f"url = {toml_string(finding.url)}",
        ]
        if finding.origin is not None:
            lines.append(f"origin = {toml_string(finding.origin)}")
        lines.append(f"reason = {toml_string(reason)}")
        if expires is not None:
            lines.append(f"expires = {expires}")
    return "\n".join(lines) + "\n"


__all__ = [
    "Baseline",
    "BaselineEntry",
    "BaselineOutcome",
    "apply_baseline",
    "load_baseline",
    "outgrowth",
    "render_baseline",
]
