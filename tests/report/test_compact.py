"""The compact JSON report (``--json-detail compact``): what findings repeat is stored once,
``load_report`` reads it back into the same `Report`, and its shipped schema fits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from support.cli import invoke
from support.report_fixtures import empty_report, sample_report
from support.scaled_report import scaled_report

from cors_audit.app.configure import parse_json_detail, read_policy
from cors_audit.app.outputs import write_reports
from cors_audit.app.settings import resolve
from cors_audit.core.errors import UsageError
from cors_audit.formats import ReportFormat
from cors_audit.formats import json as json_format
from cors_audit.inputs import settings as s
from cors_audit.report.compact import (
    AUTO_COMPACT_TARGETS,
    CompactReport,
    compact_report,
    expand_report,
    wants_compact,
)
from cors_audit.report.model import Report, load_report


def _validator() -> Draft202012Validator:
    schema = json_format.shipped_compact_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("report", [sample_report(), empty_report(), scaled_report(40)])
def test_compact_round_trips_to_the_full_report(report: Report, tmp_path: Path) -> None:
    path = tmp_path / "compact.json"
    path.write_text(json_format.render_compact(report), encoding="utf-8")
    loaded = load_report(path)
    assert loaded == report
    assert json_format.render(loaded) == json_format.render(report)


def test_the_document_is_marked_and_findings_refer_to_the_tables() -> None:
    report = sample_report()
    document = json.loads(json_format.render_compact(report))
    assert document["detail"] == "compact"
    assert list(document)[:2] == ["schema_version", "detail"]
    assert len(document["fixes"]) == len(set(document["fixes"]))
    for finding, full in zip(document["findings"], report.findings, strict=True):
        assert document["fixes"][finding["fix"]] == full.fix
        assert [document["evidence"][i] for i in finding["evidence"]] == [
            item.model_dump(mode="json") for item in full.evidence
        ]
        assert [document["remediations"][i] for i in finding["remediation"]] == [
            item.model_dump(mode="json") for item in full.remediation
        ]
    evidence = [json.dumps(item, sort_keys=True) for item in document["evidence"]]
    assert len(evidence) == len(set(evidence))  # each exchange once


@pytest.mark.parametrize("report", [sample_report(), empty_report(), scaled_report(8)])
def test_compact_documents_fit_the_shipped_schema(report: Report) -> None:
    document = json.loads(json_format.render_compact(report))
    errors = [error.message for error in _validator().iter_errors(document)]
    assert errors == []


def test_the_shipped_compact_schema_is_current() -> None:
    assert json_format.compact_schema_path().read_text(encoding="utf-8") == (
        json_format.compact_schema_text()
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        pytest.param(lambda d: d["findings"][0].update(fix="text"), "is not of type", id="fix"),
        pytest.param(
            lambda d: d["findings"][0].update(evidence=[{}]), "is not of type", id="evidence"
        ),
        pytest.param(lambda d: d.update(detail="full"), "'compact' was expected", id="detail"),
        pytest.param(lambda d: d.pop("fixes"), "'fixes' is a required", id="no-table"),
    ],
)
def test_the_compact_schema_rejects_broken_documents(mutate: Any, message: str) -> None:
    document = json.loads(json_format.render_compact(sample_report()))
    mutate(document)
    messages = [error.message for error in _validator().iter_errors(document)]
    assert any(message in text for text in messages), messages


def test_compact_is_much_smaller_when_fixes_repeat() -> None:
    report = scaled_report(200)
    full = len(json_format.render(report).encode())
    compact = len(json_format.render_compact(report).encode())
    assert compact * 2 <= full, (full, compact)


def test_a_bad_reference_names_the_file_and_field(tmp_path: Path) -> None:
    document = json.loads(json_format.render_compact(sample_report()))
    document["findings"][1]["evidence"] = [len(document["evidence"])]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(UsageError, match=r"bad\.json: /findings/1/evidence/0: index"):
        load_report(path)


def test_a_compact_document_with_a_wrong_field_is_refused(tmp_path: Path) -> None:
    document = json.loads(json_format.render_compact(sample_report()))
    document["findings"][0]["fix"] = "inline text"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(UsageError, match=r"bad\.json: /findings/0/fix: "):
        load_report(path)
    document.pop("schema_version")
    document["findings"][0]["fix"] = 0
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(UsageError, match="no schema_version"):
        load_report(path)


def test_expand_of_compact_is_the_identity_on_models() -> None:
    report = sample_report()
    compact = compact_report(report)
    assert isinstance(compact, CompactReport)
    assert expand_report(compact) == report


def test_auto_is_compact_from_a_thousand_targets() -> None:
    assert AUTO_COMPACT_TARGETS == 1000
    assert not wants_compact("auto", sample_report())
    assert wants_compact("compact", sample_report())
    assert not wants_compact("full", scaled_report(AUTO_COMPACT_TARGETS))
    assert wants_compact("auto", scaled_report(AUTO_COMPACT_TARGETS))


def test_write_reports_writes_the_form_asked_for(tmp_path: Path) -> None:
    report = sample_report()
    path = tmp_path / "r.json"
    write_reports(report, {ReportFormat.JSON: path}, json_detail="compact")
    assert path.read_text(encoding="utf-8") == json_format.render_compact(report)
    write_reports(report, {ReportFormat.JSON: path})
    assert path.read_text(encoding="utf-8") == json_format.render(report)
    write_reports(report, {ReportFormat.JSON: path}, json_detail="auto")
    assert path.read_text(encoding="utf-8") == json_format.render(report)


def test_the_setting_row_and_its_precedence(tmp_path: Path) -> None:
    assert s.JSON_DETAIL.option_flags == ("--json-detail",)
    assert s.JSON_DETAIL.envvar == "CORS_AUDIT_JSON_DETAIL"
    assert s.JSON_DETAIL.key == "json_detail"
    assert s.JSON_DETAIL.default == "full"
    assert "full|compact|auto" in s.JSON_DETAIL.help_text
    policy_file = tmp_path / "cors-policy.toml"
    policy_file.write_text(
        'trusted_origins = ["https://app.example.com"]\n[scan]\njson_detail = "compact"\n',
        encoding="utf-8",
    )
    policy = read_policy(policy_file)
    assert resolve({}, policy.scan, tmp_path)[s.JSON_DETAIL] == "compact"
    assert resolve({"json_detail": "auto"}, policy.scan, tmp_path)[s.JSON_DETAIL] == "auto"
    assert resolve({}, None, tmp_path)[s.JSON_DETAIL] == "full"
    assert parse_json_detail(None) == "full"
    assert parse_json_detail("Compact") == "compact"
    with pytest.raises(UsageError, match="--json-detail must be one of full, compact, auto"):
        parse_json_detail("tiny")


def test_a_bad_scan_key_value_is_refused(tmp_path: Path) -> None:
    from cors_audit.core.errors import PolicyError

    policy_file = tmp_path / "cors-policy.toml"
    policy_file.write_text(
        'trusted_origins = ["https://app.example.com"]\n[scan]\njson_detail = "tiny"\n',
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match="json_detail"):
        read_policy(policy_file)


def test_merge_reads_compact_shards_and_writes_either_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    report = sample_report()
    Path("compact.json").write_text(json_format.render_compact(report), encoding="utf-8")
    Path("full.json").write_text(json_format.render(report), encoding="utf-8")
    args = ("merge", "compact.json", "--fail-on", "never", "--allow-errors", "-q")
    assert invoke(*args, "--json", "a.json").exit_code == 0
    assert (
        invoke(
            "merge", "full.json", "--fail-on", "never", "--allow-errors", "-q", "--json", "b.json"
        ).exit_code
        == 0
    )
    assert Path("a.json").read_text(encoding="utf-8") == Path("b.json").read_text(encoding="utf-8")
    assert "detail" not in json.loads(Path("a.json").read_text(encoding="utf-8"))
    result = invoke(*args, "--json", "c.json", "--json-detail", "compact")
    assert result.exit_code == 0, result.output
    assert json.loads(Path("c.json").read_text(encoding="utf-8"))["detail"] == "compact"
    assert load_report(Path("c.json")) == load_report(Path("a.json"))
    result = invoke(*args, "--json", "d.json", env={"CORS_AUDIT_JSON_DETAIL": "compact"})
    assert result.exit_code == 0, result.output
    assert json.loads(Path("d.json").read_text(encoding="utf-8"))["detail"] == "compact"
    result = invoke(*args, "--json", "e.json", "--json-detail", "tiny")
    assert result.exit_code == 2
    assert "--json-detail must be one of" in result.output


def test_diff_and_baseline_accept_compact_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("c.json").write_text(json_format.render_compact(sample_report()), encoding="utf-8")
    Path("f.json").write_text(json_format.render(sample_report()), encoding="utf-8")
    result = invoke("diff", "c.json", "f.json", "--fail-on", "never")
    assert result.exit_code == 0, result.output
    result = invoke("baseline", "create", "c.json", "-o", "b.toml")
    assert result.exit_code == 0, result.output
    assert Path("b.toml").is_file()
