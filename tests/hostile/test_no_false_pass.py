"""No false pass from the wire or the run (issue 15, items 1 and 2), on loopback servers.

- A round-robin load balancer in front of a correct backend and one that reflects any origin
  with credentials: the attacker origin gets in on some replies only. Any reply that lets it in
  is a finding ("intermittent: N of M replies"), a target note says the replies disagreed, and
  the narrower probes still go out.
- A request budget (``--max-requests-per-target``, ``--max-requests``) that cuts the plan short:
  the attacker's gate probes go out first, and the target is *incomplete* (no grade, an error
  for the exit code) instead of a clean A.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.cli import assert_clean, invoke
from support.hostile_servers import (
    RawServer,
    own_origin_reply,
    reflect_reply,
    reflecting,
    round_robin,
)

from cors_audit.app.scan import ScanOptions, scan
from cors_audit.core.models import OriginClass, ProbeKind, Severity, Target, TargetResult
from cors_audit.inputs.policy import load_policy
from cors_audit.report.build import GateSettings, build_report
from cors_audit.report.model import Report
from cors_audit.sending.engine import EngineOptions

Factory = Callable[..., RawServer]


def report_of(result: TargetResult, gate: GateSettings | None = None) -> Report:
    now = datetime.now(UTC)
    return build_report(
        [result], policy={}, started_at=now, finished_at=now, gate=gate or GateSettings()
    )


# -- item 1: flaky backends ------------------------------------------------------------------


def test_intermittent_reflection_behind_a_round_robin_balancer_is_a_finding(
    hostile: Factory,
) -> None:
    # Given a balancer alternating a correct backend (request 0, 2, …) and a reflecting one
    # (1, 3, …), scanned one request at a time so the alternation is deterministic: round 1's
    # arbitrary actual request (the second request) lands on the reflecting backend, the
    # confirming second arbitrary origin on the correct one.
    server = hostile(round_robin(own_origin_reply, reflect_reply))
    scan_options = ScanOptions(
        engine=EngineOptions(retries=0, concurrency=1, per_host=1), keep_exchanges=True
    )

    [result] = scan([Target(server.url())], None, scan_options)

    assert result.error is None, result.error
    arbitrary = [
        e
        for e in result.exchanges
        if e.probe.origin is not None
        and e.probe.origin.cls is OriginClass.ARBITRARY
        and e.probe.kind is ProbeKind.ACTUAL
    ]
    assert len(arbitrary) == 2
    finding = next(f for f in result.findings if f.rule == "reflected-origin")
    assert finding.severity.at_least(Severity.HIGH)
    assert finding.credentialed
    assert "intermittent: 1 of 2 replies" in finding.detail, finding.detail
    assert any(note.startswith("replies were inconsistent: ") for note in result.notes)
    # Not stopped early: an inconsistent server gets the narrower probes too.
    assert any(
        e.probe.origin is not None and e.probe.origin.cls is OriginClass.NULL
        for e in result.exchanges
    )
    assert result.grade not in ("A", "-")
    assert report_of(result).gate.exit_code == 1


# -- item 2: a spent request budget ----------------------------------------------------------


def test_budget_spent_on_trusted_origins_still_asks_the_attacker_and_is_incomplete(
    hostile: Factory, tmp_path: Path
) -> None:
    # Given 100 trusted origins, round 1 plans 204 probes: more than the default budget of 200.
    server = hostile(reflecting)
    trusted = ", ".join(f'"https://app{i}.example.com"' for i in range(100))
    policy_file = tmp_path / "cors-policy.toml"
    policy_file.write_text(
        f"trusted_origins = [{trusted}]\nallow_credentials = true\n", encoding="utf-8"
    )
    scan_options = ScanOptions(engine=EngineOptions(retries=0), keep_exchanges=True)

    [result] = scan([Target(server.url())], load_policy(policy_file), scan_options)

    assert result.error is None, result.error
    assert result.requests == 200
    assert result.incomplete
    assert result.grade == "-"
    assert "reflected-origin" in {f.rule for f in result.findings}
    note = next(n for n in result.notes if n.startswith("Incomplete: "))
    assert "planned probes were not sent" in note
    assert "trusted" in note
    assert any("request budget of 200 per target" in n for n in result.notes)

    report = report_of(result)
    assert report.targets[0].incomplete
    assert report.targets[0].grade == "-"
    assert report.summary.grade == "-"
    assert report.summary.incomplete == 1
    assert report.gate.exit_code == 1  # the proven finding wins over the incomplete target
    assert report_of(result, GateSettings(fail_on=None)).gate.exit_code == 3
    allowed = GateSettings(fail_on=None, allow_errors=True)
    assert report_of(result, allowed).gate.exit_code == 0


@pytest.mark.usefixtures("cli_isolated", "scan_in_worker_thread")
def test_scan_budget_of_three_requests_is_incomplete_not_a_pass(hostile: Factory) -> None:
    server = hostile(reflecting)

    result = invoke("scan", server.url(), "--max-requests", "3", "--json", "r.json")

    assert_clean(result)
    # Baseline, then the arbitrary origin's actual request and preflight: the reflection is
    # proven, and the target is incomplete.
    assert result.exit_code == 1, result.output
    data = json.loads(Path("r.json").read_text(encoding="utf-8"))
    [target] = data["targets"]
    assert target["incomplete"] is True
    assert target["grade"] == "-"
    assert target["requests"] == 3
    assert any(n.startswith("Incomplete: ") for n in target["notes"])
    assert any("(--max-requests) was used up" in n for n in target["notes"])
    assert data["summary"]["grade"] == "-"
    assert data["summary"]["incomplete"] == 1
    assert "reflected-origin" in {f["rule"] for f in data["findings"]}
    assert "INCOMPLETE" in result.output

    # JUnit and SARIF say so too: an <error type="incomplete"> testcase, an error notification
    both = invoke(
        "scan", server.url(), "--max-requests", "3", "--junit", "r.xml", "--sarif", "r.sarif"
    )
    assert both.exit_code == 1, both.output
    junit = ET.parse("r.xml").getroot()
    errors = [e for e in junit.iter("error") if e.get("type") == "incomplete"]
    assert len(errors) == 1
    assert (errors[0].get("message") or "").startswith("Incomplete: ")
    assert junit.get("errors") == "1"
    [run] = json.loads(Path("r.sarif").read_text(encoding="utf-8"))["runs"]
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert [n["descriptor"]["id"] for n in invocation["toolExecutionNotifications"]] == [
        "incomplete"
    ]

    gate_off = invoke("scan", server.url(), "--max-requests", "3", "--fail-on", "never")
    assert gate_off.exit_code == 3, gate_off.output
    allowed = invoke(
        "scan", server.url(), "--max-requests", "3", "--fail-on", "never", "--allow-errors"
    )
    assert allowed.exit_code == 0, allowed.output
