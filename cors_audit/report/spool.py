"""Reports too large to hold: the targets and findings of a scan kept on disk, read back one at
a time.

A scan of 100 000 targets has hundreds of thousands of findings, each with its evidence; as
models they would take gigabytes. `Spool` appends each one, serialized, to an anonymous temporary
file (unlinked at once: nothing is left behind, whatever ends the process) as soon as its target
finishes, and keeps only where each record starts. `SpooledSequence` reads them back in report
order, one model at a time, as often as a writer asks: every report format iterates the two
lists, several formats may iterate them more than once, and none holds them whole.

`SpooledReport` is what a scan's run gives back: the report's small fields (`ReportView.head`)
in memory and its two long lists spooled. It satisfies `ReportView` like an in-memory `Report`
does, so every writer takes either.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, overload

from pydantic import BaseModel

from cors_audit.core.errors import CorsAuditError
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

_READ_AHEAD = 1 << 18
"""Bytes read at a time when a sequence is iterated in file order."""


class SpoolError(CorsAuditError):
    """The temporary directory cannot take the spool (full, read-only, missing): the run stops
    with exit 2 and a message saying where and what to do (no verdict is better than a wrong
    one)."""


@contextmanager
def spooling() -> Iterator[None]:
    """Turn an ``OSError`` of the block (creating or writing a spool) into a `SpoolError`."""
    try:
        yield
    except OSError as error:
        where = tempfile.gettempdir()
        raise SpoolError(
            f"cannot write the report's working files in {where}: "
            f"{error.strerror or error}; point TMPDIR at a directory with room (a large scan "
            "needs about 0.7 times the size of its full JSON report there)"
        ) from None


class Spool(Generic[M]):
    """An append-only file of ``model`` records (compact JSON), numbered from 0 in the order
    they were added. Memory: twelve bytes per record. Raises `SpoolError` when the temporary
    directory cannot take it."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        # Open as long as the spool lives; closed (and gone: it has no name) with it.
        with spooling():
            self._file = tempfile.TemporaryFile(prefix="cors-audit-spool-")  # noqa: SIM115
        self._closed = weakref.finalize(self, self._file.close)
        self._fd = self._file.fileno()
        self._starts: array[int] = array("q")
        self._lengths: array[int] = array("l")
        self._size = 0

    def __len__(self) -> int:
        return len(self._starts)

    def add(self, item: M) -> int:
        """Append ``item``; its record number."""
        data = item.__pydantic_serializer__.to_json(item)
        with spooling():
            self._file.write(data)
        self._starts.append(self._size)
        self._lengths.append(len(data))
        self._size += len(data)
        return len(self._starts) - 1

    def read(self, record: int) -> M:
        """Record number ``record``, as a model."""
        with spooling():
            self._file.flush()
        data = os.pread(self._fd, self._lengths[record], self._starts[record])
        return self.model.model_validate_json(data)

    def read_many(self, records: Iterable[int]) -> Iterator[M]:
        """The records ``records`` in that order; runs of consecutive records are read in large
        blocks (a rewritten spool is read front to back)."""
        with spooling():
            self._file.flush()
        validate = self.model.model_validate_json
        block = b""
        block_start = 0
        for record in records:
            start, length = self._starts[record], self._lengths[record]
            offset = start - block_start
            if offset < 0 or offset + length > len(block):
                block_start = start
                block = os.pread(self._fd, max(length, _READ_AHEAD), start)
                offset = 0
            yield validate(block[offset : offset + length])

    def close(self) -> None:
        """Close (and so remove) the file now rather than when the spool is collected."""
        self._closed()


class SpooledSequence(Sequence[M]):
    """Records of a `Spool` in a given order, as a read-only sequence of models: ``len``,
    indexing and iteration (each item is read and parsed when asked for; nothing is cached)."""

    def __init__(self, spool: Spool[M], order: array[int] | range) -> None:
        self._spool = spool
        self._order = order

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> M: ...

    @overload
    def __getitem__(self, index: slice) -> list[M]: ...

    def __getitem__(self, index: int | slice) -> M | list[M]:
        if isinstance(index, slice):
            return list(self._spool.read_many(self._order[index]))
        return self._spool.read(self._order[index])

    def __iter__(self) -> Iterator[M]:
        return self._spool.read_many(self._order)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, so unhashable like them

    def __repr__(self) -> str:
        return f"<{len(self)} spooled {self._spool.model.__name__}>"


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
