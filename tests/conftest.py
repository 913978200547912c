"""Shared pytest fixtures. Builders live in plain modules (``report_fixtures``) so tests can also
call them with arguments; the fixtures here are the common no-argument cases."""

from __future__ import annotations

import pytest
from report_fixtures import empty_report, sample_report

from cors_audit.report import Report


@pytest.fixture
def report() -> Report:
    """A realistic report: 4 targets (1 errored), findings of every severity."""
    return sample_report()


@pytest.fixture
def clean_report() -> Report:
    """A policy-free report of one clean target, no findings."""
    return empty_report()
