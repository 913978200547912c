"""The compact JSON report (``--json-detail compact``): the same `Report`, with what findings
repeat stored once.

A full report repeats a rule's fix text and stack snippets in every finding, and an exchange
in every finding it supports. The compact document (``"detail": "compact"``) keeps three
top-level tables instead: ``fixes`` (each distinct fix text), ``remediations`` (each distinct
snippet) and ``evidence`` (each distinct exchange); a finding's ``fix`` is an index into
``fixes``, its ``remediation`` and ``evidence`` lists of indices into the other two. Everything
else reads as in the full report, and the text is not indented (one line). `compact_report`
builds it, `expand_report` rebuilds the very same `Report` (``load_report`` accepts both
forms). Its JSON Schema ships as ``cors_audit/formats/schema/report-v1-compact.schema.json``.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from cors_audit.core.errors import UsageError
from cors_audit.core.models import Severity
from cors_audit.core.records import spooling
from cors_audit.report.model import (
    BaselineModel,
    EvidenceModel,
    ExploitabilityModel,
    FindingModel,
    GateModel,
    RemediationModel,
    Report,
    ReportView,
    ShardModel,
    SummaryModel,
    SuppressionModel,
    TargetModel,
    ToolModel,
    VerificationModel,
)

AUTO_COMPACT_TARGETS = 1000
"""``--json-detail auto`` writes the compact form from this many targets on."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CompactFindingModel(_Model):
    """A finding whose fix, snippets and evidence are indices into the top-level tables."""

    rule: str
    severity: Severity
    url: str
    method: str
    origin: str | None
    title: str
    detail: str
    fix: int = Field(ge=0, description="Index into the top-level `fixes`.")
    curl: str
    fingerprint: str
    cwe: str
    credentialed: bool
    cors_error: str | None
    folded: list[str]
    evidence: list[int] = Field(description="Indices into the top-level `evidence`.")
    latent: bool = False
    suppressed: bool = False
    suppression: SuppressionModel | None = None
    exploitability: ExploitabilityModel | None = None
    verified: VerificationModel | None = None
    remediation: list[int] = Field(
        default_factory=list, description="Indices into the top-level `remediations`."
    )


class CompactReport(_Model):
    """The compact report: `Report` with the ``fixes``, ``remediations`` and ``evidence``
    tables, marked ``"detail": "compact"``."""

    schema_version: Literal["1"] = "1"
    detail: Literal["compact"] = "compact"
    tool: ToolModel
    started_at: datetime
    finished_at: datetime
    policy: dict[str, Any]
    summary: SummaryModel
    gate: GateModel
    baseline: BaselineModel | None = None
    shard: ShardModel | None = None
    targets: list[TargetModel]
    findings: list[CompactFindingModel]
    fixes: list[str] = Field(description="Each distinct fix text once.")
    remediations: list[RemediationModel] = Field(description="Each distinct snippet once.")
    evidence: list[EvidenceModel] = Field(description="Each distinct exchange once.")
    notes: list[str] = Field(default_factory=list)
    interrupted: bool = False

    def to_json(self) -> str:
        """The compact report as JSON text on one line (no indentation: a third of the size
        at scale), ending with a newline."""
        return self.model_dump_json() + "\n"


class _Table:
    """Distinct values in first-seen order, each with its index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.items: list[Any] = []

    def add(self, key: str, value: Any) -> int:
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.items)
            self.items.append(value)
        return found


_SHARED = ("fix", "evidence", "remediation")


def compact_report(report: Report) -> CompactReport:
    """``report`` with its fix texts, snippets and exchanges stored once."""
    fixes, remediations, evidence = _Table(), _Table(), _Table()
    findings = []
    for finding in report.findings:
        fields = {name: getattr(finding, name) for name in type(finding).model_fields}
        fields["fix"] = fixes.add(finding.fix, finding.fix)
        fields["remediation"] = [
            remediations.add(item.model_dump_json(), item) for item in finding.remediation
        ]
        fields["evidence"] = [
            evidence.add(item.model_dump_json(), item) for item in finding.evidence
        ]
        findings.append(CompactFindingModel(**fields))
    rest = {name: getattr(report, name) for name in type(report).model_fields if name != "findings"}
    return CompactReport(
        **rest,
        findings=findings,
        fixes=fixes.items,
        remediations=remediations.items,
        evidence=evidence.items,
    )


def expand_report(compact: CompactReport, where: str = "report") -> Report:
    """The full `Report` ``compact`` stands for; an index outside its table is a
    ``UsageError`` naming ``where`` and the field."""

    def pick(table: list[Any], index: int, pointer: str) -> Any:
        if not 0 <= index < len(table):
            raise UsageError(
                f"{where}: {pointer}: index {index} is not in the table of {len(table)}"
            )
        return table[index]

    findings = []
    for number, finding in enumerate(compact.findings):
        fields = {name: getattr(finding, name) for name in type(finding).model_fields}
        base = f"/findings/{number}"
        fields["fix"] = pick(compact.fixes, finding.fix, f"{base}/fix")
        fields["remediation"] = [
            pick(compact.remediations, index, f"{base}/remediation/{position}")
            for position, index in enumerate(finding.remediation)
        ]
        fields["evidence"] = [
            pick(compact.evidence, index, f"{base}/evidence/{position}")
            for position, index in enumerate(finding.evidence)
        ]
        findings.append(FindingModel(**fields))
    tables = {"detail", "findings", "fixes", "remediations", "evidence"}
    rest = {
        name: getattr(compact, name) for name in type(compact).model_fields if name not in tables
    }
    return Report(**rest, findings=findings)


_EVIDENCE_KEYS: Final = 100_000
"""Most exchange digests `iter_compact` remembers before it starts afresh: an exchange met
again after that is stored twice (the document stays exact, one entry larger), and memory stays
bounded whatever the scan's size (the exchanges of one target, cited by its several findings,
are what repeats)."""

_TARGET = TypeAdapter(TargetModel)
_FINDING = TypeAdapter(CompactFindingModel)
_STREAMED: Final = frozenset({"targets", "findings", "fixes", "remediations", "evidence"})


def iter_compact(report: ReportView) -> Iterator[str]:
    """``compact_report(report).to_json()`` in chunks, one target or finding at a time (so a
    spooled report is never loaded): the ``fixes`` and ``remediations`` tables (a few distinct
    texts) are kept in memory, each new exchange of the ``evidence`` table is written to an
    anonymous temporary file as its first finding is written and copied out after the
    findings."""
    fixes, remediations = _Table(), _Table()
    seen: dict[bytes, int] = {}
    evidence_count = 0
    with spooling():
        spooled = tempfile.TemporaryFile(prefix="cors-audit-evidence-")  # noqa: SIM115
    with spooled:

        def exchange(item: EvidenceModel) -> int:
            nonlocal evidence_count
            text = item.__pydantic_serializer__.to_json(item)
            key = hashlib.blake2b(text, digest_size=16).digest()
            found = seen.get(key)
            if found is None:
                if len(seen) >= _EVIDENCE_KEYS:
                    seen.clear()
                with spooling():
                    spooled.write(b"," + text if evidence_count else text)
                found = seen[key] = evidence_count
                evidence_count += 1
            return found

        def findings() -> Iterator[str]:
            for finding in report.findings:
                fields = {name: getattr(finding, name) for name in type(finding).model_fields}
                fields["fix"] = fixes.add(finding.fix, finding.fix)
                fields["remediation"] = [
                    remediations.add(item.model_dump_json(), item) for item in finding.remediation
                ]
                fields["evidence"] = [exchange(item) for item in finding.evidence]
                yield _FINDING.dump_json(CompactFindingModel(**fields)).decode()

        def evidence() -> Iterator[str]:
            spooled.seek(0)
            while block := spooled.read(1 << 16):
                yield block.decode()

        head = _compact_head(report.head)
        lists: dict[str, Callable[[], Iterator[str]]] = {
            "targets": lambda: (_TARGET.dump_json(t).decode() for t in report.targets),
            "findings": findings,
            "fixes": lambda: (TypeAdapter(str).dump_json(f).decode() for f in fixes.items),
            "remediations": lambda: (item.model_dump_json() for item in remediations.items),
        }
        separator = "{"
        for name in CompactReport.model_fields:
            text = head.model_dump_json(include={name})[1:-1]  # '"name":value'
            separator_before, separator = separator, ","
            if name not in _STREAMED:
                yield separator_before + text
                continue
            yield separator_before + text.removesuffix("[]") + "["
            if name == "evidence":
                yield from evidence()
            else:
                item_separator = ""
                for text in lists[name]():
                    yield item_separator + text
                    item_separator = ","
            yield "]"
        yield "}\n"


def _compact_head(head: Report) -> CompactReport:
    """``head``'s fields as a `CompactReport` with its five lists empty."""
    rest = {
        name: getattr(head, name)
        for name in type(head).model_fields
        if name not in ("targets", "findings")
    }
    return CompactReport(**rest, targets=[], findings=[], fixes=[], remediations=[], evidence=[])


def wants_compact(detail: str, report: ReportView) -> bool:
    """Whether ``--json-detail`` ``detail`` (full, compact or auto) writes ``report`` compact."""
    return detail == "compact" or (detail == "auto" and len(report.targets) >= AUTO_COMPACT_TARGETS)


def compact_json_schema() -> dict[str, Any]:
    """The JSON Schema of the compact report."""
    schema = CompactReport.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://cors-audit.invalid/schema/report-v1-compact.schema.json"
    return schema


__all__ = [
    "AUTO_COMPACT_TARGETS",
    "CompactFindingModel",
    "CompactReport",
    "compact_json_schema",
    "compact_report",
    "expand_report",
    "iter_compact",
    "wants_compact",
]
