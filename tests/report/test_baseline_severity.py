"""A baseline entry accepts its finding only as bad as it was recorded (issue 15, item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import invoke
from support.report_fixtures import FINISHED, POLICY, STARTED, sample_results

from cors_audit.core.models import Severity
from cors_audit.formats import console
from cors_audit.report.baseline import load_baseline
from cors_audit.report.build import GateSettings, build_report
from cors_audit.report.model import Report

CRITICAL = "080e63dee56939a30eee7316cb6dc615"  # reflected-origin, critical, credentialed
MEDIUM = "11f21ca4125334626b439eeac26aadfd"  # missing-vary-origin, medium, credentialed
LOW = "68921b47408a0ddd95381699e9a9903e"  # missing-max-age, low, not credentialed


def _report(tmp_path: Path, entries: str) -> Report:
    path = tmp_path / "b.toml"
    path.write_text("version = 1\n" + entries, encoding="utf-8")
    return build_report(
        sample_results(),
        policy=POLICY,
        started_at=STARTED,
        finished_at=FINISHED,
        gate=GateSettings(fail_on=Severity.HIGH),
        baseline=load_baseline(path),
    )


def _entry(fingerprint: str, extra: str = "") -> str:
    return f'\n[[finding]]\nfingerprint = "{fingerprint}"\nreason = "known"\n{extra}'


def _suppressed(report: Report, fingerprint: str) -> bool:
    return next(f for f in report.findings if f.fingerprint == fingerprint).suppressed


def test_a_finding_more_severe_than_its_entry_is_not_suppressed_and_fails(
    tmp_path: Path,
) -> None:
    report = _report(tmp_path, _entry(CRITICAL, 'severity = "medium"\ncredentialed = true\n'))
    assert not _suppressed(report, CRITICAL)
    assert report.gate.exit_code == 1
    assert report.baseline is not None
    [outgrown] = report.baseline.outgrown
    assert outgrown.fingerprint == CRITICAL
    assert "outgrew its baseline entry" in outgrown.note
    assert "from medium to critical" in outgrown.note
    assert report.baseline.suppressed == 0
    assert report.baseline.fixed == []
    assert "outgrew its baseline entry" in console.render(report)
    data = json.loads(report.model_dump_json())
    assert data["baseline"]["outgrown"][0]["note"] == outgrown.note


def test_a_finding_that_became_credentialed_outgrows_its_entry(tmp_path: Path) -> None:
    report = _report(tmp_path, _entry(MEDIUM, 'severity = "medium"\ncredentialed = false\n'))
    assert not _suppressed(report, MEDIUM)
    assert report.baseline is not None
    assert "credentials" in report.baseline.outgrown[0].note


def test_entries_at_or_above_the_severity_still_suppress_without_warning(
    tmp_path: Path,
) -> None:
    report = _report(
        tmp_path,
        _entry(CRITICAL, 'severity = "critical"\ncredentialed = true\n')
        + _entry(LOW, 'severity = "high"\ncredentialed = false\n'),
    )
    assert _suppressed(report, CRITICAL)
    assert _suppressed(report, LOW)
    assert report.baseline is not None
    assert report.baseline.outgrown == []
    assert report.baseline.notes == []


def test_old_entries_without_severity_suppress_as_before_with_a_warning(tmp_path: Path) -> None:
    report = _report(tmp_path, _entry(CRITICAL, 'rule = "reflected-origin"\n'))
    assert _suppressed(report, CRITICAL)
    assert report.baseline is not None
    assert report.baseline.outgrown == []
    [note] = report.baseline.notes
    assert "record no severity" in note
    assert "record no severity" in console.render(report)


def test_an_unknown_severity_in_a_baseline_is_refused(tmp_path: Path) -> None:
    (tmp_path / "b.toml").write_text(
        "version = 1\n" + _entry(CRITICAL, 'severity = "urgent"\n'), encoding="utf-8"
    )
    with pytest.raises(Exception, match="not a severity"):
        load_baseline(tmp_path / "b.toml")


def test_baseline_create_records_severity_and_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    report = build_report(sample_results(), policy=POLICY, started_at=STARTED, finished_at=FINISHED)
    Path("r.json").write_text(report.model_dump_json(), encoding="utf-8")
    result = invoke("baseline", "create", "r.json")
    assert result.exit_code == 0, result.output
    entries = {e.fingerprint: e for e in load_baseline(Path("cors-baseline.toml")).entries}
    assert entries[CRITICAL].severity == "critical"
    assert entries[CRITICAL].credentialed is True
    assert entries[LOW].severity == "low"
    assert entries[LOW].credentialed is False
