"""Reports too large to hold: the targets and findings of a scan kept on disk, read back one at
a time.

A scan of 100 000 targets has hundreds of thousands of findings, each with its evidence; as
models they would take gigabytes. `Spool` appends each one, serialized, to an anonymous
temporary file (``core/records.py``: nothing is left behind, whatever ends the process) as soon
as its target finishes, and keeps only where each record starts. `SpooledSequence` reads them
back in report order, one model at a time, as often as a writer asks: every report format
iterates the two lists, several formats may iterate them more than once, and none holds them
whole.

`SpooledReport` is what a scan's run gives back: the report's small fields (`ReportView.head`)
in memory and its two long lists spooled. It satisfies `ReportView` like an in-memory `Report`
does, so every writer takes either.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from cors_audit.core.records import RecordFile, RecordSequence, SpoolError, spooling
from cors_audit.report.model import (
    BaselineModel,
    FindingModel,
    GateModel,
    Report,
    ShardModel,
    SummaryModel,
    TargetModel,
    ToolModel,
)

M = TypeVar("M", bound=BaseModel)


class Spool(Generic[M]):
    """An append-only file of ``model`` records (compact JSON; ``core/records.py``), numbered
    from 0 in the order they were added. Memory: twelve bytes per record. Raises `SpoolError`
    when the temporary directory cannot take it."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.records = RecordFile()

    def __len__(self) -> int:
        return len(self.records)

    def add(self, item: M) -> int:
        """Append ``item``; its record number."""
        return self.records.add(item.__pydantic_serializer__.to_json(item))

    def read(self, record: int) -> M:
        """Record number ``record``, as a model."""
        return self.model.model_validate_json(self.records.read(record))

    def close(self) -> None:
        """Close (and so remove) the file now rather than when the spool is collected."""
        self.records.close()


class SpooledSequence(RecordSequence[M]):
    """Records of a `Spool` in a given order, as a read-only sequence of models: ``len``,
    indexing and iteration (each item is read and parsed when asked for; nothing is cached)."""

    def __init__(self, spool: Spool[M], order: array[int] | range) -> None:
        super().__init__(spool.records, order, spool.model.model_validate_json)
        self.model = spool.model

    def __repr__(self) -> str:
        return f"<{len(self)} spooled {self.model.__name__}>"


@dataclass(frozen=True, eq=False)
class SpooledReport:
    """A report whose targets and findings are spooled (`SpooledSequence`): what ``run`` gives
    back for a scan. Its fields are those of `Report`; `materialize` loads it whole."""

    head: Report
    """Every field but the two lists (which are empty here)."""
    targets: Sequence[TargetModel]
    findings: Sequence[FindingModel]

    @property
    def schema_version(self) -> str:
        return self.head.schema_version

    @property
    def tool(self) -> ToolModel:
        return self.head.tool

    @property
    def started_at(self) -> datetime:
        return self.head.started_at

    @property
    def finished_at(self) -> datetime:
        return self.head.finished_at

    @property
    def policy(self) -> dict[str, Any]:
        return self.head.policy

    @property
    def summary(self) -> SummaryModel:
        return self.head.summary

    @property
    def gate(self) -> GateModel:
        return self.head.gate

    @property
    def baseline(self) -> BaselineModel | None:
        return self.head.baseline

    @property
    def shard(self) -> ShardModel | None:
        return self.head.shard

    @property
    def notes(self) -> list[str]:
        return self.head.notes

    @property
    def interrupted(self) -> bool:
        return self.head.interrupted

    def with_head(self, head: Report) -> SpooledReport:
        """The same lists under another head."""
        return SpooledReport(head=head, targets=self.targets, findings=self.findings)

    def materialize(self) -> Report:
        """The whole report in memory (tests, small scans)."""
        return self.head.model_copy(
            update={"targets": list(self.targets), "findings": list(self.findings)}
        )


def rewrite(
    items: Iterable[M], model: type[M], change: Callable[[M], M] | None = None
) -> SpooledSequence[M]:
    """``items`` (each passed through ``change``) in a new spool, in that order."""
    spool: Spool[M] = Spool(model)
    for item in items:
        spool.add(item if change is None else change(item))
    return SpooledSequence(spool, range(len(spool)))


def spool_report(report: Report) -> SpooledReport:
    """``report`` with its two lists moved to spools, as a scan hands its report over."""
    return SpooledReport(
        head=report.model_copy(update={"targets": [], "findings": []}),
        targets=rewrite(report.targets, TargetModel),
        findings=rewrite(report.findings, FindingModel),
    )


__all__ = [
    "Spool",
    "SpoolError",
    "SpooledReport",
    "SpooledSequence",
    "rewrite",
    "spool_report",
    "spooling",
]
