"""The Report model: the JSON contract (``schema_version`` "1") every output is rendered from.

``build_report`` turns scan results into one frozen pydantic ``Report``; the formats only read
it. The JSON Schema shipped in ``cors_audit/schema/report-v1.schema.json`` is generated from
this model (``json_schema()``) and a test keeps the file in sync. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cors_audit import __version__
from cors_audit.models import Exchange, Finding, Headers, ScanError, Severity, TargetResult
from cors_audit.rules.catalogue import RULES_BY_ID
from cors_audit.scoring import grade_for, overall_score

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


class TargetModel(_Model):
    """One scanned URL and its outcome."""

    url: str
    method: str
    site_origin: str
    source: str
    score: int
    grade: str
    error: ErrorModel | None
    requests: int
    findings: int
    policy_free: bool
    notes: list[str]


class SummaryModel(_Model):
    """Totals over the whole scan."""

    targets: int
    findings: int
    by_severity: dict[str, int]
    score: int
    grade: str
    errors: int
    requests: int


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
    targets: list[TargetModel]
    findings: list[FindingModel]

    def to_json(self) -> str:
        """The report as pretty-printed JSON text."""
        return self.model_dump_json(indent=2) + "\n"


def _headers(headers: Headers) -> list[HeaderModel]:
    return [HeaderModel(name=name, value=value) for name, value in headers]


def _error(error: ScanError | None) -> ErrorModel | None:
    return None if error is None else ErrorModel(kind=error.kind.value, message=error.message)


def evidence_model(exchange: Exchange) -> EvidenceModel:
    """The JSON form of one exchange."""
    probe = exchange.probe
    response = exchange.response
    return EvidenceModel(
        kind=probe.kind.value,
        purpose=probe.purpose,
        origin=probe.origin.value if probe.origin else None,
        origin_class=probe.origin.cls.value if probe.origin else None,
        credentialed=probe.credentialed,
        request=RequestModel(
            method=exchange.request.method,
            url=exchange.request.url,
            headers=_headers(exchange.request.headers),
        ),
        response=None
        if response is None
        else ResponseModel(
            status=response.status,
            reason=response.reason,
            http_version=response.http_version,
            headers=_headers(response.headers),
            body_bytes=response.body_bytes,
            body_truncated=response.body_truncated,
            body_sha256=response.body_sha256,
        ),
        error=_error(exchange.error),
        elapsed_ms=round(exchange.elapsed_ms, 3),
    )


def finding_model(finding: Finding) -> FindingModel:
    """The JSON form of one finding."""
    return FindingModel(
        rule=finding.rule,
        severity=finding.severity,
        url=finding.url,
        method=finding.method,
        origin=finding.origin,
        title=finding.title,
        detail=finding.detail,
        fix=finding.fix,
        curl=finding.curl,
        fingerprint=finding.fingerprint,
        cwe=RULES_BY_ID[finding.rule].cwe,
        credentialed=finding.credentialed,
        cors_error=finding.cors_error,
        folded=list(finding.folded),
        evidence=[evidence_model(exchange) for exchange in finding.evidence],
    )


def build_report(
    results: Sequence[TargetResult],
    *,
    policy: dict[str, Any],
    started_at: datetime,
    finished_at: datetime,
) -> Report:
    """Assemble the report from per-target results (order kept)."""
    findings = [finding for result in results for finding in result.findings]
    by_severity = {severity.value: 0 for severity in Severity}
    for finding in findings:
        by_severity[finding.severity.value] += 1
    scanned = [result for result in results if result.error is None]
    score = overall_score([result.score for result in scanned], findings)
    return Report(
        tool=ToolModel(version=__version__),
        started_at=started_at,
        finished_at=finished_at,
        policy=policy,
        summary=SummaryModel(
            targets=len(results),
            findings=len(findings),
            by_severity=by_severity,
            score=score,
            grade=grade_for(score),
            errors=sum(1 for result in results if result.error is not None),
            requests=sum(result.requests for result in results),
        ),
        targets=[
            TargetModel(
                url=result.target.url,
                method=result.target.method,
                site_origin=result.target.origin,
                source=result.target.source,
                score=result.score,
                grade=result.grade,
                error=_error(result.error),
                requests=result.requests,
                findings=len(result.findings),
                policy_free=result.policy.policy_free,
                notes=list(result.notes),
            )
            for result in results
        ],
        findings=[finding_model(finding) for finding in findings],
    )


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the report, as shipped in ``cors_audit/schema/``."""
    schema = Report.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://cors-audit.invalid/schema/report-v1.schema.json"
    return schema
