"""Fixtures of the model-vs-Chromium suite (``-m browser``).

One Chromium run per session: the ``chromium_run`` fixture starts the §7.1 server and Chromium
once, replays every vector and keeps the observations, so each test (and the self-check that
re-runs a mutated model) only reads them. Chromium is found and started by the product's driver
(``cors_audit/verify/chromium.py``, through ``support.chromium``). Without Playwright or a
Chromium binary the fixture skips with the reason, so a default test run on a machine without a
browser still passes.

This conftest must not start a browser at import or collection time.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_vectors import REPLAYED
from harness import BrowserRun, run_in_chromium
from support.chromium import chromium_or_skip

HERE = Path(__file__).parent

_RUNS: list[BrowserRun] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of the model-vs-Chromium suite carries the ``browser`` marker."""
    for item in items:
        if item.path.parent == HERE and item.path.name == "test_model_vs_chromium.py":
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_run() -> BrowserRun:
    """Chromium's observation of every replayed vector, computed once per session."""
    executable = chromium_or_skip()  # or a skip that says what to install
    run = run_in_chromium(executable, REPLAYED)
    _RUNS.append(run)
    return run


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say what ran: the browser, how many vectors, how long Chromium took."""
    for run in _RUNS:
        terminalreporter.write_line(
            f"model vs Chromium: {run.version}: {len(run.observations)} vectors replayed "
            f"in {run.seconds:.1f} s (server port {run.port})"
        )
