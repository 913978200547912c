"""Python memory of a piece of code, for tests that bound what a writer or a reader holds."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def traced_peak(action: Callable[[], object]) -> int:
    """The peak of Python allocations (bytes, `tracemalloc`) while ``action`` runs."""
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def traced_held(action: Callable[[], T]) -> tuple[T, int]:
    """What ``action`` returns, and how many bytes of Python allocations made while it ran are
    still held when it returns (by its result, or anything else)."""
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
