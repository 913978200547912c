"""Chromium for the test suites, through the product's driver (``cors_audit/verify/chromium.py``):
the same binary lookup (``$CORS_AUDIT_CHROMIUM``, then ``chromium``, ``chromium-browser``,
``google-chrome``, ``chrome`` on PATH), the same launch (fresh profile, attached over CDP) as
``scan --verify-browser``.

Without Playwright or a Chromium binary the helpers skip the test with the reason and the way to
install them, so a default run on a machine without a browser still passes. Nothing here starts
a browser at import time.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import pytest

from cors_audit.verify.chromium import BrowserUnavailable, find_chromium, running_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser

HAS_PLAYWRIGHT = importlib.util.find_spec("playwright") is not None
NO_PLAYWRIGHT = "playwright is not installed: pip install 'cors-audit[browser]'"
NO_CHROMIUM = "no Chromium binary: apt-get install chromium (or set CORS_AUDIT_CHROMIUM)"


def chromium_or_none() -> str | None:
    """The Chromium binary, or ``None`` when there is none."""
    try:
        return find_chromium()
    except BrowserUnavailable:
        return None


def chromium_or_skip() -> str:
    """The Chromium binary; skips the test (with the reason) without Playwright or a binary."""
    if not HAS_PLAYWRIGHT:
        pytest.skip(NO_PLAYWRIGHT)
    try:
        return find_chromium()
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))


@contextmanager
def chromium_browser(flags: Sequence[str], timeout: float = 30.0) -> Iterator[Browser]:
    """A running Chromium with the driver's base flags plus ``flags``, or a skip."""
    executable = chromium_or_skip()
    with running_chromium(executable, flags, timeout) as browser:
        yield browser


def browser_marks() -> tuple[pytest.MarkDecorator, ...]:
    """``browser`` plus the skips of a test that needs Playwright and a Chromium binary."""
    return (
        pytest.mark.browser,
        pytest.mark.skipif(not HAS_PLAYWRIGHT, reason=NO_PLAYWRIGHT),
        pytest.mark.skipif(chromium_or_none() is None, reason=NO_CHROMIUM),
    )


F = TypeVar("F", bound=Callable[..., None])


def needs_chromium(test: F) -> F:
    """Mark ``test`` with `browser_marks`."""
    for mark in browser_marks():
        test = mark(test)
    return test
