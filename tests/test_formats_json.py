"""The JSON renderer, the shipped JSON Schema and the format registry."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from report_fixtures import empty_report, hostile_report, sample_report

from cors_audit.formats import RENDERERS, ReportFormat, render
from cors_audit.formats import json as json_format
from cors_audit.report import Report, json_schema


def _validator() -> Draft202012Validator:
    schema = json_format.shipped_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_every_format_has_a_renderer(report: Report) -> None:
    assert set(RENDERERS) == set(ReportFormat)
    for fmt in ReportFormat:
        text = render(fmt, report)
        assert text == RENDERERS[fmt](report)
        assert text.strip()


def test_registry_dispatches_to_the_right_renderer(report: Report) -> None:
    assert json.loads(render(ReportFormat.JSON, report))["schema_version"] == "1"
    assert render(ReportFormat.HTML, report).startswith("<!doctype html>")


def test_shipped_schema_matches_the_model() -> None:
    assert json_format.shipped_schema_text() == json_format.schema_text(), (
        "cors_audit/schema/report-v1.schema.json is stale; regenerate it with: "
        f"{json_format.REGENERATE_COMMAND}"
    )
    assert json_format.shipped_schema() == json_schema()


def test_schema_is_shipped_inside_the_package() -> None:
    path = json_format.schema_path()
    assert path.is_file()
    assert path.parent.parent == Path(json_format.__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(sample_report, id="sample"),
        pytest.param(empty_report, id="empty-policy-free"),
        pytest.param(lambda: hostile_report("<script>\x1b[2J\x00\"'"), id="hostile"),
    ],
)
def test_output_validates_against_shipped_schema(build: Callable[[], Report]) -> None:
    document = json.loads(json_format.render(build()))
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_output_round_trips_into_the_model(report: Report) -> None:
    text = json_format.render(report)
    assert text.endswith("}\n")
    assert Report.model_validate_json(text) == report


def test_output_keeps_contract_fields_flat(report: Report) -> None:
    document = json.loads(json_format.render(report))
    assert document["tool"]["name"] == "cors-audit"
    assert document["summary"]["by_severity"] == {
        "critical": 1,
        "high": 1,
        "medium": 1,
        "low": 2,
        "info": 1,
    }
    first = document["findings"][0]
    assert first["rule"] == "reflected-origin"
    assert first["url"] == "https://staging.example.com/api/posts/20"
    assert first["folded"] == ["null-origin", "prefix-match"]
    assert [e["kind"] for e in first["evidence"]] == ["preflight", "actual", "actual", "actual"]
    errored = [t for t in document["targets"] if t["error"]]
    assert [(t["grade"], t["error"]["kind"]) for t in errored] == [("-", "timeout")]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        pytest.param(lambda d: d.pop("summary"), "'summary' is a required property", id="missing"),
        pytest.param(lambda d: d.update(extra=1), "Additional properties", id="extra-key"),
        pytest.param(
            lambda d: d["findings"][0].update(severity="severe"),
            "'severe' is not one of",
            id="bad-severity",
        ),
        pytest.param(lambda d: d.update(schema_version="2"), "'1' was expected", id="version"),
    ],
)
def test_schema_rejects_broken_documents(report: Report, mutate: Any, message: str) -> None:
    document = json.loads(json_format.render(report))
    mutate(document)
    messages = [error.message for error in _validator().iter_errors(document)]
    assert any(message in text for text in messages), messages


def test_write_schema_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "schema" / "report-v1.schema.json"
    monkeypatch.setattr(json_format, "schema_path", lambda: target)

    assert json_format.main(["--check-schema"]) == 1
    assert "stale" in capsys.readouterr().out

    assert json_format.main(["--write-schema"]) == 0
    assert target.read_text(encoding="utf-8") == json_format.schema_text()

    assert json_format.main(["--check-schema"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_entry_point_requires_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        json_format.main([])
    assert exit_info.value.code == 2
    assert "--write-schema" in capsys.readouterr().err
