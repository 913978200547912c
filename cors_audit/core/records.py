"""Records on disk: an append-only anonymous temporary file of byte records, read back by
number, and the sequence view every large list of a run is (the targets of ``inputs/``, the
report's targets and findings in ``report/spool.py``).

A run of 100 000 targets would hold hundreds of megabytes as Python objects; as records each one
costs twelve bytes of memory (where it starts, how long it is). The file is made with
``tempfile.TemporaryFile``: it has no name from the start, so nothing is left behind whatever
ends the process, and it lives as long as the `RecordFile`. A temporary directory that cannot
take it (missing, read-only, full) is a `SpoolError` naming it and ``TMPDIR``.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar, overload

from cors_audit.core.errors import CorsAuditError

T = TypeVar("T")

READ_AHEAD = 1 << 18
"""Bytes read at a time when records are read in file order."""


class SpoolError(CorsAuditError):
    """The temporary directory cannot take the run's working files (full, read-only, missing):
    the run stops with exit 2 and a message saying where and what to do (no verdict is better
    than a wrong one)."""


@contextmanager
def spooling() -> Iterator[None]:
    """Turn an ``OSError`` of the block (creating or writing a record file) into a
    `SpoolError`."""
    try:
        yield
    except OSError as error:
        where = tempfile.gettempdir()
        raise SpoolError(
            f"cannot write the report's working files in {where}: "
            f"{error.strerror or error}; point TMPDIR at a directory with room (a large scan "
            "needs about 0.7 times the size of its full JSON report there)"
        ) from None


class RecordFile:
    """An append-only file of byte records, numbered from 0 in the order they were added.
    Memory: twelve bytes per record. Raises `SpoolError` when the temporary directory cannot
    take it."""

    def __init__(self) -> None:
        # Open as long as this object lives; closed (and gone: it has no name) with it.
        with spooling():
            self._file = tempfile.TemporaryFile(prefix="cors-audit-")  # noqa: SIM115
        self._closed = weakref.finalize(self, self._file.close)
        self._fd = self._file.fileno()
        self._starts: array[int] = array("q")
        self._lengths: array[int] = array("l")
        self.size = 0
        """Bytes written so far."""

    def __len__(self) -> int:
        return len(self._starts)

    def add(self, data: bytes) -> int:
        """Append ``data``; its record number."""
        with spooling():
            self._file.write(data)
        self._starts.append(self.size)
        self._lengths.append(len(data))
        self.size += len(data)
        return len(self._starts) - 1

    def read(self, record: int) -> bytes:
        """Record number ``record``."""
        with spooling():
            self._file.flush()
        return os.pread(self._fd, self._lengths[record], self._starts[record])

    def read_many(self, records: Iterable[int]) -> Iterator[bytes]:
        """The records ``records`` in that order; records next to each other in the file are
        read in blocks of `READ_AHEAD` bytes (a file written in order is read front to back)."""
        with spooling():
            self._file.flush()
        block = b""
        block_start = 0
        for record in records:
            start, length = self._starts[record], self._lengths[record]
            offset = start - block_start
            if offset < 0 or offset + length > len(block):
                block_start = start
                block = os.pread(self._fd, max(length, READ_AHEAD), start)
                offset = 0
            yield block[offset : offset + length]

    def close(self) -> None:
        """Close (and so remove) the file now rather than when this object is collected."""
        self._closed()


class RecordSequence(Sequence[T]):
    """Records of a `RecordFile` in a given order, decoded by ``decode``, as a read-only
    sequence: ``len``, indexing, slicing and iteration; each item is read and decoded when asked
    for and nothing is cached (hold the few you need)."""

    def __init__(
        self, records: RecordFile, order: array[int] | range, decode: Callable[[bytes], T]
    ) -> None:
        self._records = records
        self._order = order
        self._decode = decode

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self._decode(data) for data in self._records.read_many(self._order[index])]
        return self._decode(self._records.read(self._order[index]))

    def __iter__(self) -> Iterator[T]:
        decode = self._decode
        return (decode(data) for data in self._records.read_many(self._order))

    def subset(self, positions: Iterable[int]) -> RecordSequence[T]:
        """The items at ``positions`` (of this sequence), in that order."""
        order = self._order
        return RecordSequence(
            self._records, array("q", (order[p] for p in positions)), self._decode
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, so unhashable like them

    def __repr__(self) -> str:
        return f"<{len(self)} records>"


__all__ = ["READ_AHEAD", "RecordFile", "RecordSequence", "SpoolError", "spooling"]
