"""The Report model: the JSON contract (``schema_version`` "1") every output is rendered from.

Frozen pydantic models; the formats only read them. The JSON Schema shipped in
``cors_audit/formats/schema/report-v1.schema.json`` is generated from these models
(``json_schema()``) and a test keeps the file in sync. ``load_report`` reads a report written by
``--json`` back (untrusted input: every problem is a ``UsageError`` naming the file and field).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cors_audit.core.errors import UsageError
from cors_audit.core.models import (
    Severity,
)

SCHEMA_VERSION = "1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HeaderModel(_Model):
    """One header line, in wire order; repeated names stay repeated."""

    name: str
    value: str


class ErrorModel(_Model):
    """Why a request or a target failed."""

    kind: str = Field(
        description="dns, connect, tls, timeout, reset, protocol, too-large, proxy or other"
    )
    message: str


class RequestModel(_Model):
    """A request as sent; user secrets appear only as `<redacted>`."""

    method: str
    url: str
    headers: list[HeaderModel]


class ResponseModel(_Model):
    """A response head and a digest of its (capped) body."""

    status: int
    reason: str
    http_version: str
    headers: list[HeaderModel]
    body_bytes: int
    body_truncated: bool
    body_sha256: str | None


class EvidenceModel(_Model):
    """One exchange that supports a finding."""

    kind: Literal["actual", "preflight", "private-network-preflight"]
    purpose: str
    origin: str | None
    origin_class: str | None
    credentialed: bool
    request: RequestModel
    response: ResponseModel | None
    error: ErrorModel | None
    elapsed_ms: float


class SuppressionModel(_Model):
    """Why a finding is suppressed (its baseline entry)."""

    reason: str
    expires: date | None


class VerificationModel(_Model):
    """What a real browser did when the finding was replayed (``--verify-browser``)."""

    browser: str = Field(description='e.g. "Chromium 156.0.8078.108"')
    result: Literal["confirmed", "not-reproduced", "error"]
    cors_error: str | None = Field(
        description="DevTools Network.CorsError name when the browser blocked the request."
    )
    detail: str


class RemediationModel(_Model):
    """A configuration snippet that fixes the finding for one stack."""

    stack: str = Field(description='"nginx", "express-cors", "starlette", … or "generic".')
    title: str
    language: str = Field(description="Syntax of the snippet: nginx, javascript, python, …")
    snippet: str
    notes: list[str] = Field(default_factory=list)


class CookieModel(_Model):
    """A cookie the target sets and the attributes that decide cross-site sending."""

    name: str
    same_site: str
    secure: bool
    http_only: bool


class ExploitabilityModel(_Model):
    """The severity factors the replies revealed (BROWSER-MODEL.md §6.0)."""

    cookies: list[CookieModel]
    cross_site_cookies: bool | None = Field(
        description="Some cookie is SameSite=None; Secure (sent cross-site by Chromium); "
        "null when the target set no cookie."
    )
    http_auth: bool
    hsts: bool | None
    content_type: str | None
    per_user: bool | None = Field(
        description="The credentialed reply differed from an anonymous one; null when no "
        "credentials were given."
    )


class FindingModel(_Model):
    """One rule violation on one URL; flat so dashboards need not walk targets."""

    rule: str
    severity: Severity
    url: str
    method: str
    origin: str | None
    title: str
    detail: str
    fix: str
    curl: str
    fingerprint: str
    cwe: str
    credentialed: bool
    cors_error: str | None
    folded: list[str]
    evidence: list[EvidenceModel]
    latent: bool = Field(
        default=False,
        description="True when an invalid or missing Access-Control-Allow-Origin keeps the "
        "browser from reaching this problem today: it applies once that header is fixed "
        "(severity one level lower).",
    )
    suppressed: bool = False
    """True when a baseline entry accepts this finding: it never fails the gate or costs score."""
    suppression: SuppressionModel | None = None
    exploitability: ExploitabilityModel | None = None
    verified: VerificationModel | None = None
    remediation: list[RemediationModel] = Field(
        default_factory=list,
        description="Fix snippets: the detected stack's first, then a generic one.",
    )


class ObservedModel(_Model):
    """What the target's CORS configuration does today (description, not judgement)."""

    allowed_origins: list[str] = Field(
        description="Trusted origins (the policy's or the target's own) that passed the CORS check."
    )
    credentialed_origins: list[str]
    untrusted_allowed: list[str] = Field(
        description="Attacker-class probe origins that passed (each one is behind a finding)."
    )
    wildcard: bool
    methods: list[str]
    headers: list[str]
    exposed: list[str]
    max_age: int | None
    private_network: bool
    discovered: list[str] = Field(
        default_factory=list,
        description="Origins that discovery found the server admits beyond the trusted ones: "
        "first-party candidates (apex, www., app., admin., …) and local development servers. "
        "Together with allowed_origins this is the server's allowlist as seen from outside; "
        "empty when any origin is let in.",
    )


class StackModel(_Model):
    """The server stack guessed from the replies (never changes a finding)."""

    name: str = Field(description='"nginx", "express-cors", "starlette", … or "unknown".')
    confidence: float = Field(ge=0, le=1)
    evidence: list[str]


class TargetModel(_Model):
    """One scanned URL and its outcome."""

    index: int = Field(
        description="Position in the whole target list (before --shard), for merging shards."
    )
    url: str
    method: str
    site_origin: str
    source: str
    score: int
    grade: str
    error: ErrorModel | None
    incomplete: bool = Field(
        default=False,
        description="The plan was cut short by a request budget (--max-requests-per-target, "
        "--max-requests): findings stand, but the target has no grade (`-`) and counts as an "
        "error for the exit code; a note says how many planned probes were not sent.",
    )
    requests: int
    findings: int = Field(description="Findings on this target, suppressed ones excluded.")
    policy_free: bool
    notes: list[str]
    stack: StackModel | None = None
    observed: ObservedModel | None = None


class RequestStatsModel(_Model):
    """How many requests the targets needed (errored targets included): a correct dynamic
    allowlist needs about 28, a target without CORS or with a static one about 10 (README
    "Performance")."""

    min: int
    median: float
    p90: int = Field(description="90th percentile (nearest rank).")
    max: int
    mean: float = Field(description="Rounded to two decimals.")


class SummaryModel(_Model):
    """Totals over the whole scan; suppressed findings are counted only in ``suppressed``."""

    targets: int
    findings: int
    suppressed: int
    by_severity: dict[str, int]
    score: int = Field(description="0 when no target could be scanned (grade `-`).")
    grade: str = Field(
        description='A to F; "-" when no target could be scanned (or every one is incomplete).'
    )
    errors: int
    incomplete: int = Field(
        default=0,
        description="Targets whose plan a request budget cut short; they count as errors for "
        "the exit code.",
    )
    requests: int
    requests_per_target: RequestStatsModel | None = Field(
        default=None, description="The distribution of requests over targets; null: no target."
    )


class GateModel(_Model):
    """The CI gate: what fails the run and how the run ended."""

    fail_on: Literal["critical", "high", "medium", "low", "info", "never"]
    allow_errors: bool
    failing: int = Field(description="Unsuppressed findings at or above fail_on.")
    exit_code: Literal[0, 1, 3]


class BaselineEntryModel(_Model):
    """A baseline entry as listed in the report."""

    fingerprint: str
    reason: str
    expires: date | None
    rule: str | None
    url: str | None


class OutgrownEntryModel(BaselineEntryModel):
    """A baseline entry whose finding got worse than the entry accepted."""

    note: str = Field(description="How the finding outgrew the entry.")


class BaselineModel(_Model):
    """What the baseline (``--baseline``) did."""

    path: str
    entries: int
    suppressed: int
    outgrown: list[OutgrownEntryModel] = Field(
        default_factory=list,
        description="Entries whose finding is now more severe, or credentialed where the entry "
        "was not: the finding is not suppressed and counts for the gate.",
    )
    notes: list[str] = Field(
        default_factory=list,
        description="Warnings about the baseline, e.g. entries recording no severity.",
    )
    expired: list[BaselineEntryModel] = Field(
        description="Entries past their expiry date: they suppress nothing any more."
    )
    fixed: list[BaselineEntryModel] = Field(
        description="Entries whose finding is gone although the URL was scanned."
    )


class ShardModel(_Model):
    """Which slice of the targets this report covers (``--shard K/N``)."""

    index: int = Field(ge=1)
    count: int = Field(ge=1)
    total_targets: int = Field(description="Targets before sharding.")


class ToolModel(_Model):
    """Which program wrote the report."""

    name: Literal["cors-audit"] = "cors-audit"
    version: str


class Report(_Model):
    """The whole report (JSON contract, schema_version "1")."""

    schema_version: Literal["1"] = "1"
    tool: ToolModel
    started_at: datetime
    finished_at: datetime
    policy: dict[str, Any]
    summary: SummaryModel
    gate: GateModel
    baseline: BaselineModel | None = None
    shard: ShardModel | None = None
    targets: list[TargetModel]
    findings: list[FindingModel]
    notes: list[str] = Field(
        default_factory=list,
        description="Run notes: skipped imports, origins seen in a HAR (candidates, never "
        "trusted automatically), …",
    )
    interrupted: bool = Field(
        default=False,
        description="True when the scan was stopped (Ctrl-C, SIGTERM); results cover what "
        "finished.",
    )

    def to_json(self) -> str:
        """The report as pretty-printed JSON text."""
        return self.model_dump_json(indent=2) + "\n"

    @property
    def head(self) -> Report:
        """`ReportView.head`: the report itself."""
        return self


class ReportView(Protocol):
    """What every writer reads: a `Report` in memory, or a scan's report whose targets and
    findings are spooled to disk (``report/spool.py``, read back one at a time). Writers only
    iterate, count and index ``targets`` and ``findings``, and never hold them whole; ``head``
    holds every other field as a `Report` (its lists may be empty: read the properties)."""

    @property
    def head(self) -> Report: ...

    @property
    def schema_version(self) -> str: ...

    @property
    def tool(self) -> ToolModel: ...

    @property
    def started_at(self) -> datetime: ...

    @property
    def finished_at(self) -> datetime: ...

    @property
    def policy(self) -> dict[str, Any]: ...

    @property
    def summary(self) -> SummaryModel: ...

    @property
    def gate(self) -> GateModel: ...

    @property
    def baseline(self) -> BaselineModel | None: ...

    @property
    def shard(self) -> ShardModel | None: ...

    @property
    def targets(self) -> Sequence[TargetModel]: ...

    @property
    def findings(self) -> Sequence[FindingModel]: ...

    @property
    def notes(self) -> list[str]: ...

    @property
    def interrupted(self) -> bool: ...


def incomplete_reason(target: TargetModel) -> str:
    """Why a target is incomplete: its note saying which planned probes were not sent."""
    return next(
        (note for note in target.notes if note.startswith("Incomplete:")),
        "a request budget cut its plan short",
    )


def load_report(path: Path) -> Report:
    """A JSON report written by ``--json``, full or compact (``--json-detail``: expanded back
    to the same `Report`); raises ``UsageError`` naming the file and what is
    wrong (unreadable, not JSON, another schema version, a field that does not fit)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: report file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the report: {exc}") from None
    try:
        report = Report.model_validate_json(text)
    except ValidationError as exc:
        compact = _load_compact(path, text)
        if compact is None:
            raise _report_error(path, exc) from None
        return compact
    if "schema_version" not in report.model_fields_set:
        raise UsageError(
            f"{path}: no schema_version; expected a report written by cors-audit --json "
            f"(schema_version {SCHEMA_VERSION!r})"
        )
    return report


def _report_error(path: Path, exc: ValidationError) -> UsageError:
    first = exc.errors(include_url=False)[0]
    if first["type"] == "json_invalid":
        return UsageError(
            f"{path}: not a JSON file ({first['msg']}); expected a report written by --json"
        )
    pointer = "/" + "/".join(str(part) for part in first["loc"])
    version = first["loc"] == ("schema_version",)
    hint = (
        f"schema_version {SCHEMA_VERSION!r}, written by this version of cors-audit"
        if version
        else "a report written by cors-audit --json"
    )
    return UsageError(
        f"{path}: {pointer}: {first['msg']} ({len(exc.errors())} problem(s); expected {hint})"
    )


def _load_compact(path: Path, text: str) -> Report | None:
    """The full report a compact document (``"detail": "compact"``, ``--json-detail``) stands
    for; ``None`` when ``text`` is not one."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if not isinstance(document, dict) or document.get("detail") != "compact":
        return None
    from cors_audit.report.compact import CompactReport, expand_report  # it imports this module

    try:
        compact = CompactReport.model_validate(document)
    except ValidationError as exc:
        raise _report_error(path, exc) from None
    if "schema_version" not in compact.model_fields_set:
        raise UsageError(
            f"{path}: no schema_version; expected a report written by cors-audit --json "
            f"(schema_version {SCHEMA_VERSION!r})"
        )
    return expand_report(compact, str(path))


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the report, as shipped in ``cors_audit/schema/``."""
    schema = Report.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://cors-audit.invalid/schema/report-v1.schema.json"
    return schema
