"""Shared pytest fixtures. Builders live in plain modules (``support.report_fixtures``) so tests can
also call them with arguments; the fixtures here are the common no-argument cases."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from support import hypothesis_profiles  # noqa: F401 - registers and loads the ci/deep profiles
from support.cli import SCHEMA_PATH
from support.report_fixtures import empty_report, sample_report

from cors_audit.app import scan as scan_module
from cors_audit.report.model import Report


@pytest.fixture
def report() -> Report:
    """A realistic report: 4 targets (1 errored), findings of every severity."""
    return sample_report()


@pytest.fixture
def clean_report() -> Report:
    """A policy-free report of one clean target, no findings."""
    return empty_report()


@pytest.fixture
def cli_isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run in an empty directory, with no credentials leaking in from the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CORS_AUDIT_COOKIE", raising=False)
    monkeypatch.delenv("CORS_AUDIT_HEADER", raising=False)


@pytest.fixture
def scan_in_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the CLI's (real, unchanged) `scan` on a worker thread.

    Why: on CPython 3.11, when anyio cancels the task that waits for a new TCP connection
    (happy-eyeballs, after every successful connect) the coroutines are resumed with
    ``throw()`` without a trace "call" event, so coverage's tracer loses its stack and the
    rest of every calling frame — here everything ``app/run.py`` does after the scan — goes
    unrecorded. A throw-away thread has its own tracer; the CLI's thread keeps a sound one.
    """
    real = scan_module.scan

    def scan_on_worker(*args: Any, **kwargs: Any) -> Any:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(real, *args, **kwargs).result()

    monkeypatch.setattr(scan_module, "scan", scan_on_worker)  # cli imports it per run


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
