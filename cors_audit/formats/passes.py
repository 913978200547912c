"""Reading a report's targets and findings the way every writer must: in passes, never whole.

A scan's report may have its two long lists spooled to disk (``report/spool.py``): each item is
parsed again whenever it is read, and nothing is cached. So a writer iterates a list a few
times and keeps only small aggregates: positions (ints) rather than models, and reads the
items it needs back by position. `at` reads positions so that runs of consecutive ones become
one slice (one block read from the spool); `KeyIndex` remembers where the findings of each
``(url, method)`` are; `worst_first` orders positions by severity. None of them holds a model
longer than a slice of `RUN` items.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from cors_audit.core.models import Severity
from cors_audit.report.model import FindingModel

T = TypeVar("T")

RUN = 32
"""Most consecutive items `at` reads as one slice: a slice is read whole into a list (a
spooled one in one block read), so this bounds the models held at once."""

SHORT_RUN = 8
"""Shorter runs are read item by item: a spooled slice always reads a large block, which is
worth it for a run only."""

Key = tuple[str, str]
"""A target's identity as findings refer to it: ``(url, method)``."""


def at(items: Sequence[T], positions: Iterable[int]) -> Iterator[T]:
    """``items[p]`` for each ``p`` of ``positions``, in that order; runs of consecutive
    positions (`SHORT_RUN` or more) are read as slices of at most `RUN` items."""
    start = stop = -1
    for position in positions:
        if position == stop and stop - start < RUN:
            stop += 1
            continue
        yield from _run(items, start, stop)
        start, stop = position, position + 1
    yield from _run(items, start, stop)


def _run(items: Sequence[T], start: int, stop: int) -> Iterator[T]:
    if stop - start >= SHORT_RUN:
        yield from items[start:stop]
    else:
        for position in range(start, stop):
            yield items[position]


class KeyIndex:
    """Where the findings of each target key are, built in one pass over the findings: per
    key its positions as runs (``start, stop`` pairs; a scan writes a target's findings
    together, so usually one run). Keys keep the order of their first finding."""

    def __init__(self, findings: Iterable[FindingModel]) -> None:
        self._runs: dict[Key, array[int]] = {}
        for position, finding in enumerate(findings):
            key = (finding.url, finding.method)
            runs = self._runs.get(key)
            if runs is None:
                self._runs[key] = array("q", (position, position + 1))
            elif runs[-1] == position:
                runs[-1] = position + 1
            else:
                runs.extend((position, position + 1))

    def __contains__(self, key: object) -> bool:
        return key in self._runs

    def __iter__(self) -> Iterator[Key]:
        """Every key with findings, in the order of its first finding."""
        return iter(self._runs)

    def positions(self, key: Key) -> Iterator[int]:
        """The positions of ``key``'s findings, in report order (none for an unknown key)."""
        runs = self._runs.get(key, ())
        for index in range(0, len(runs), 2):
            yield from range(runs[index], runs[index + 1])

    def count(self, key: Key) -> int:
        """How many findings ``key`` has."""
        runs = self._runs.get(key, ())
        return sum(runs[index + 1] - runs[index] for index in range(0, len(runs), 2))

    def read(self, findings: Sequence[FindingModel], key: Key) -> Iterator[FindingModel]:
        """``key``'s findings, in report order, read from ``findings``."""
        return at(findings, self.positions(key))

    def forget(self, key: Key) -> None:
        """Drop ``key`` (a writer that hands a key's findings to its first target only)."""
        self._runs.pop(key, None)


def worst_first(findings: Iterable[FindingModel]) -> array[int]:
    """The positions of ``findings``, worst severity first, report order within a severity
    (a stable sort by severity), from one pass; eight bytes per finding."""
    buckets: dict[Severity, array[int]] = {severity: array("q") for severity in Severity}
    for position, finding in enumerate(findings):
        buckets[finding.severity].append(position)
    ordered: array[int] = array("q")
    for severity in Severity:  # worst first
        ordered.extend(buckets[severity])
    return ordered


__all__ = ["RUN", "Key", "KeyIndex", "at", "worst_first"]
