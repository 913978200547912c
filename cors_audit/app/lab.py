"""The run of ``cors-audit demo``: a scan of the built-in lab (whose URLs the command hands over;
the lab itself is the ``demo`` stage, after this one) with the lab's policy, every report
format written, and the comparison of what was found with what the lab expects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

from cors_audit.app.configure import read_policy
from cors_audit.app.request import RunRequest, TargetSources
from cors_audit.app.scan import ScanOptions
from cors_audit.core.models import Target
from cors_audit.formats import ReportFormat
from cors_audit.inputs.targets import normalize_url, parse_method
from cors_audit.report.build import GateSettings
from cors_audit.report.model import ReportView
from cors_audit.sending.engine import EngineOptions

SOURCE: Final = "demo lab"
"""The ``source`` of the lab's targets in the report."""
TIMEOUT: Final = 5.0
"""Seconds per request: the lab is on this machine."""


def lab_request(
    urls: Iterable[tuple[str, str]], policy_file: Path, site_origin: str, out_dir: Path
) -> RunRequest:
    """A scan of the lab's ``(url, method)`` pairs judged as ``site_origin`` against the policy
    in ``policy_file``, writing every report format into ``out_dir``; it never fails the gate
    (the lab is wrong on purpose)."""
    targets = tuple(
        Target(url=normalize_url(url, SOURCE), method=parse_method(method, SOURCE), source=SOURCE)
        for url, method in urls
    )
    return RunRequest(
        targets=TargetSources(given=targets, site_origin=site_origin),
        policy=read_policy(policy_file),
        options=ScanOptions(engine=EngineOptions(timeout=TIMEOUT)),
        outputs={fmt: out_dir / fmt.spec.demo_file for fmt in ReportFormat},
        gate=GateSettings(fail_on=None, allow_errors=True),
    )


def unexpected(report: ReportView, expected: Mapping[str, Iterable[str]]) -> list[str]:
    """The URLs whose reported rules are not the ones ``expected`` lists for them."""
    found: dict[str, set[str]] = {}
    for finding in report.findings:
        found.setdefault(finding.url, set()).add(finding.rule)
    return [url for url, rules in expected.items() if set(rules) != found.get(url, set())]


__all__ = ["SOURCE", "lab_request", "unexpected"]
