"""The JSON renderer, the shipped JSON Schema, the format registry and streamed writing."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import Field
from pydantic_core import PydanticSerializationError
from support.memory import traced_peak
from support.report_fixtures import empty_report, hostile_report, sample_report

from cors_audit.formats import (
    CHUNK_SIZE,
    ReportFormat,
    batched,
    render,
    stream,
    write,
)
from cors_audit.formats import json as json_format
from cors_audit.report.model import (
    BaselineEntryModel,
    BaselineModel,
    Report,
    ShardModel,
    SuppressionModel,
    json_schema,
)


def _validator() -> Draft202012Validator:
    schema = json_format.shipped_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_every_format_has_a_renderer(report: Report) -> None:
    for fmt in ReportFormat:
        renderer = fmt.spec.renderer()
        text = render(fmt, report)
        assert text == renderer.render(report) == fmt.spec.render(report)
        assert text.strip()


def test_a_format_record_names_its_option_variable_key_and_demo_file() -> None:
    junit = ReportFormat.JUNIT.spec
    assert ReportFormat.JUNIT == "junit" == junit.name
    assert ReportFormat("junit") is ReportFormat.JUNIT
    assert (junit.option, junit.config_key, junit.demo_file) == (
        "--junit",
        "junit",
        "cors-audit.junit.xml",
    )
    row = junit.setting()
    assert (row.option_flags, row.envvar, row.key) == (("--junit",), "CORS_AUDIT_JUNIT", "junit")
    assert row.help_text == junit.help


def test_only_formats_that_write_plans_stream_them() -> None:
    from cors_audit.formats.plan import Plan

    assert [fmt for fmt in ReportFormat if fmt.spec.plan] == [ReportFormat.JSON]
    plan = Plan(label="abc", targets=())
    assert json.loads("".join(ReportFormat.JSON.spec.stream_plan(plan)))["targets"] == []
    with pytest.raises(ValueError, match="does not write a dry-run plan"):
        ReportFormat.HTML.spec.stream_plan(plan)


def test_registry_dispatches_to_the_right_renderer(report: Report) -> None:
    assert json.loads(render(ReportFormat.JSON, report))["schema_version"] == "1"
    assert render(ReportFormat.HTML, report).startswith("<!doctype html>")


def test_shipped_schema_matches_the_model() -> None:
    assert json_format.shipped_schema_text() == json_format.schema_text(), (
        "cors_audit/formats/schema/report-v1.schema.json is stale; regenerate it with: "
        f"{json_format.REGENERATE_COMMAND}"
    )
    assert json_format.shipped_schema() == json_schema()


def test_schema_is_shipped_inside_the_package() -> None:
    path = json_format.schema_path()
    assert path.is_file()
    assert path.parent.parent == Path(json_format.__file__).resolve().parent


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
    compact = tmp_path / "schema" / "report-v1-compact.schema.json"
    monkeypatch.setattr(json_format, "schema_path", lambda: target)
    monkeypatch.setattr(json_format, "compact_schema_path", lambda: compact)

    assert json_format.main(["--check-schema"]) == 1
    assert "stale" in capsys.readouterr().out

    assert json_format.main(["--write-schema"]) == 0
    assert target.read_text(encoding="utf-8") == json_format.schema_text()
    assert compact.read_text(encoding="utf-8") == json_format.compact_schema_text()

    assert json_format.main(["--check-schema"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_entry_point_requires_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        json_format.main([])
    assert exit_info.value.code == 2
    assert "--write-schema" in capsys.readouterr().err


# --- streamed writing ---------------------------------------------------------------------------


def _with_every_optional_part() -> Report:
    """The sample with a baseline (a suppressed finding, expired and fixed entries), a shard,
    run notes and the interrupted flag: every field `render` may write is set."""
    report = sample_report()
    entry = BaselineEntryModel(
        fingerprint="f" * 32,
        reason="accepted \u00e9\U0001f600",
        expires=date(2025, 1, 1),
        rule="wildcard-origin",
        url="https://x.example/\u2028",
    )
    suppressed = report.findings[1].model_copy(
        update={
            "suppressed": True,
            "suppression": SuppressionModel(reason='known "risk"', expires=None),
        }
    )
    return report.model_copy(
        update={
            "findings": [report.findings[0], suppressed, *report.findings[2:]],
            "baseline": BaselineModel(
                path="baseline.json", entries=3, suppressed=1, expired=[entry], fixed=[entry]
            ),
            "shard": ShardModel(index=2, count=3, total_targets=11),
            "notes": ["note \x00\x1b[2J", "<b>"],
            "interrupted": True,
        }
    )


def _many_targets(copies: int) -> Report:
    """The sample's targets and findings ``copies`` times over (distinct URLs, shared
    evidence): a document of megabytes from a report that is itself small in memory."""
    base = sample_report()
    targets: list[Any] = []
    findings: list[Any] = []
    for copy in range(copies):
        suffix = f"?copy={copy}"
        targets += [
            t.model_copy(update={"url": t.url + suffix, "index": len(targets) + k})
            for k, t in enumerate(base.targets)
        ]
        findings += [f.model_copy(update={"url": f.url + suffix}) for f in base.findings]
    return base.model_copy(update={"targets": targets, "findings": findings})


STREAMED_REPORTS = [
    pytest.param(sample_report, id="sample"),
    pytest.param(empty_report, id="empty-policy-free"),
    pytest.param(lambda: empty_report(policy_free=False), id="empty-with-policy"),
    pytest.param(lambda: sample_report().model_copy(update={"targets": []}), id="no-targets"),
    pytest.param(
        lambda: sample_report().model_copy(update={"targets": [], "findings": []}),
        id="nothing-at-all",
    ),
    pytest.param(_with_every_optional_part, id="baseline-shard-notes-interrupted"),
    pytest.param(lambda: hostile_report("<script>\x1b[2J\x00\"'\\"), id="hostile"),
    pytest.param(lambda: hostile_report("\u2028\u2029\x7f\x85\u00e9\U0001f600"), id="unicode"),
    pytest.param(lambda: _many_targets(30), id="many-targets"),
]


@pytest.mark.parametrize("build", STREAMED_REPORTS)
def test_iter_json_is_render_byte_for_byte(build: Callable[[], Report]) -> None:
    report = build()
    chunks = list(json_format.iter_json(report))
    assert "".join(chunks) == json_format.render(report)
    assert all(chunks)


@pytest.mark.parametrize("build", STREAMED_REPORTS)
def test_write_json_writes_render(build: Callable[[], Report], tmp_path: Path) -> None:
    report = build()
    path = tmp_path / "report.json"
    with path.open("w", encoding="utf-8") as out:
        json_format.write_json(report, out)
    assert path.read_bytes() == json_format.render(report).encode("utf-8")


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=60))
def test_iter_json_matches_render_for_any_text(payload: str) -> None:
    report = hostile_report(payload)
    assert "".join(json_format.iter_json(report)) == json_format.render(report)


def test_iter_json_fails_like_render_on_a_lone_surrogate() -> None:
    # UTF-8 cannot carry a lone surrogate: pydantic refuses it either way.
    report = hostile_report("\ud800")
    with pytest.raises(PydanticSerializationError, match="surrogates not allowed"):
        json_format.render(report)
    with pytest.raises(PydanticSerializationError, match="surrogates not allowed"):
        "".join(json_format.iter_json(report))


def test_iter_json_chunks_are_bounded() -> None:
    report = _many_targets(40)
    largest_item = max(
        len(item.model_dump_json(indent=2)) for item in [*report.targets, *report.findings]
    )
    chunks = list(json_format.iter_json(report))
    assert len(chunks) > 10
    # At least CHUNK_SIZE each (but the last); at most that plus one item and its indentation.
    assert all(len(chunk) >= CHUNK_SIZE for chunk in chunks[:-1])
    assert max(len(chunk) for chunk in chunks) < CHUNK_SIZE + 2 * largest_item


@pytest.mark.parametrize(
    ("chunks", "size", "expected"),
    [
        pytest.param([], 4, [], id="nothing"),
        pytest.param(["ab", "cd", "e"], 4, ["abcd", "e"], id="gathered"),
        pytest.param(["abcdefgh", "i"], 4, ["abcdefgh", "i"], id="large-chunk-alone"),
        pytest.param(["a", "bcdefgh", "ij", "kl"], 4, ["abcdefgh", "ijkl"], id="overflow"),
    ],
)
def test_batched_regroups_without_changing_the_text(
    chunks: list[str], size: int, expected: list[str]
) -> None:
    assert list(batched(chunks, size)) == expected


@pytest.mark.parametrize("fmt", list(ReportFormat))
@pytest.mark.parametrize("build", STREAMED_REPORTS)
def test_every_format_streams_exactly_what_it_renders(
    fmt: ReportFormat, build: Callable[[], Report]
) -> None:
    report = build()
    expected = render(fmt, report)
    assert "".join(stream(fmt, report)) == expected
    out = io.StringIO()
    write(fmt, report, out)
    assert out.getvalue() == expected


@pytest.mark.parametrize(
    ("fmt", "copies", "divisor"),
    [
        # Copies of the sample's 4 targets / 6 findings for a document of 5 MB or more (the
        # HTML page is larger per target, and jinja2 is slow under tracemalloc).
        pytest.param(ReportFormat.JSON, 150, 8, id="json"),
        # The HTML page keeps its triage summaries and the table of distinct strings its data
        # block ends with while it streams (about half the page at this size; README "Reports").
        pytest.param(ReportFormat.HTML, 850, 1.5, id="html"),
        pytest.param(ReportFormat.SARIF, 500, 8, id="sarif"),
        pytest.param(ReportFormat.JUNIT, 350, 8, id="junit"),
    ],
)
def test_streamed_writing_needs_far_less_memory_than_the_document(
    fmt: ReportFormat, copies: int, divisor: float, tmp_path: Path
) -> None:
    report = _many_targets(copies)
    size = len(render(fmt, report))
    assert size > 5_000_000, size

    def write_file() -> None:
        with (tmp_path / "out").open("w", encoding="utf-8") as out:
            write(fmt, report, out)

    streamed = traced_peak(write_file)
    rendered = traced_peak(lambda: render(fmt, report))
    # tracemalloc sees Python allocations only; rendering whole shows it does see the text.
    assert rendered > size
    # What stays is a fixed part (e.g. SARIF's rule catalogue, ~0.7 MB) plus one chunk.
    assert streamed < size / divisor, (streamed, size)
    assert streamed < rendered / 2, (streamed, rendered)
    assert (tmp_path / "out").read_text(encoding="utf-8") == render(fmt, report)


class _ReportWithHiddenField(Report):
    """A report model with a field pydantic never serializes (none exists today)."""

    hidden: str = Field(default="secret", exclude=True)


def test_iter_json_leaves_out_what_pydantic_excludes() -> None:
    report = _ReportWithHiddenField(**dict(sample_report()))
    text = "".join(json_format.iter_json(report))
    assert text == json_format.render(report)
    assert "secret" not in text
