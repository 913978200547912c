"""A large synthetic report for size tests: `sample_report`'s four targets repeated, each copy
on its own hosts (so no two copies share an exchange, as in a real scan; the policy, and so the
trusted origins in the fix snippets, stays the same)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from cors_audit.report.model import Report
from support.report_fixtures import sample_report


def scaled_report(targets: int) -> Report:
    """A report of ``targets`` targets (rounded up to a multiple of 4) and their findings."""
    base = sample_report()
    document: dict[str, Any] = base.model_dump(mode="json")
    pieces = json.dumps({"targets": document["targets"], "findings": document["findings"]})
    per_copy = len(base.targets)
    hosts = sorted({urlsplit(target.url).hostname or "" for target in base.targets})
    all_targets: list[Any] = []
    all_findings: list[Any] = []
    for copy in range((targets + per_copy - 1) // per_copy):
        text = pieces
        for host in hosts:
            text = text.replace(host, f"h{copy}.{host}")
        part = json.loads(text)
        for target in part["targets"]:
            target["index"] += copy * per_copy
        all_targets.extend(part["targets"])
        all_findings.extend(part["findings"])
    document["targets"] = all_targets
    document["findings"] = all_findings
    document["summary"]["targets"] = len(all_targets)
    return Report.model_validate(document)
