"""Reports read back (`init --from-report`, `diff`, `merge`, `baseline create`) are untrusted
input (issue 15, item 10): nothing in them reaches a TOML comment, a terminal or a CI log as a
newline or control byte, and a report without ``schema_version`` is refused."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from support.cli import assert_clean, invoke
from support.report_fixtures import empty_report, hostile_report, sample_report

from cors_audit.report.drafting import draft_policy

PAYLOAD = "x\n::add-mask::leak\r\n::error::boom\x1b]0;pwned\x07\x1b[2J\x85y"


def _lines_are_clean(text: str) -> None:
    for line in text.split("\n"):
        assert not line.startswith("::"), line
        assert "\x1b" not in line
        assert "\r" not in line
        assert "\x07" not in line
        assert "\x85" not in line


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_a_drafted_policy_keeps_report_text_inside_its_comments() -> None:
    text = draft_policy(hostile_report(PAYLOAD), source="r\n::add-mask::json")
    _lines_are_clean(text)
    tomllib.loads(text)  # no control character makes the TOML invalid either
    Path("r.json").write_text(hostile_report(PAYLOAD).model_dump_json(), encoding="utf-8")
    result = invoke("init", "p.toml", "--from-report", "r.json")
    assert result.exit_code == 0, result.output
    _lines_are_clean(Path("p.toml").read_text(encoding="utf-8"))


def test_diff_output_shows_control_characters_escaped() -> None:
    Path("old.json").write_text(empty_report().model_dump_json(), encoding="utf-8")
    Path("new.json").write_text(hostile_report(PAYLOAD).model_dump_json(), encoding="utf-8")
    result = invoke("diff", "old.json", "new.json")
    assert_clean(result)
    assert "::add-mask::leak" in result.stdout  # shown, escaped, mid-line
    _lines_are_clean(result.stdout)


def test_merge_errors_quoting_a_report_show_control_characters_escaped() -> None:
    data = json.loads(hostile_report(PAYLOAD).model_dump_json())
    Path("a.json").write_text(json.dumps(data), encoding="utf-8")
    Path("b.json").write_text(json.dumps(data), encoding="utf-8")  # the same targets twice
    result = invoke("merge", "a.json", "b.json")
    assert result.exit_code == 2
    assert "appears in more than one report" in result.stderr
    _lines_are_clean(result.stderr)


@pytest.mark.parametrize(
    "command",
    [
        ["init", "p.toml", "--from-report", "r.json"],
        ["diff", "r.json", "r.json"],
        ["merge", "r.json"],
        ["baseline", "create", "r.json"],
    ],
)
def test_a_report_without_schema_version_is_refused(command: list[str]) -> None:
    data = json.loads(sample_report().model_dump_json())
    del data["schema_version"]
    Path("r.json").write_text(json.dumps(data), encoding="utf-8")
    result = invoke(*command)
    assert_clean(result)
    assert result.exit_code == 2
    assert "r.json: no schema_version" in result.stderr
    assert not Path("p.toml").exists()
    assert not Path("cors-baseline.toml").exists()
