"""README.md stays true: the Quick start contract, the rule list and the rule reference that
SARIF `helpUri` and the Markdown summary link to (both generated from the rule registry by
``python -m cors_audit.judging.rules.reference --write README.md``)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from support.cli import invoke

from cors_audit import HOMEPAGE
from cors_audit.judging.rules import reference
from cors_audit.judging.rules.catalogue import RULES, help_uri

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, title
    return match.group(1)


def test_quick_start_has_two_sh_blocks_and_the_ci_runs_the_same_test_command() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", section("Quick start"), re.S)
    assert len(blocks) == 2
    assert "cors-audit demo" in blocks[0]
    test_command = blocks[1].strip().splitlines()[-1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == test_command


def test_rules_section_is_the_output_of_cors_audit_rules() -> None:
    block = re.search(r"```\n(.*?)```", section("Rules"), re.S)
    assert block
    assert block.group(1) == invoke("rules").stdout


def test_every_rule_has_a_reference_section_with_its_why_and_fix() -> None:
    reference = section("Rule reference")
    for rule in RULES:
        heading = f"### {rule.id}\n"
        assert heading in reference, rule.id
        body = reference.split(heading, 1)[1].split("\n### ", 1)[0]
        assert rule.why in body
        assert rule.fix in body
        # GitHub turns "### reflected-origin" into the anchor #reflected-origin.
        assert help_uri(rule.id) == f"{HOMEPAGE}#{rule.id}"


def test_the_generated_blocks_are_what_the_registry_generates() -> None:
    # README's rule list and rule reference are exactly what the command writes from the rules;
    # after changing a rule, run `python -m cors_audit.judging.rules.reference --write README.md`.
    assert reference.rewrite(README) == README, f"README is stale: run {reference.COMMAND}"
    reference_section = section("Rule reference")
    assert reference.rule_reference() in reference_section
    assert reference.begin_marker(reference.REFERENCE_BLOCK) in reference_section
    assert reference.end_marker(reference.LIST_BLOCK) in section("Rules")


def test_the_generated_rule_list_is_what_cors_audit_rules_prints() -> None:
    assert reference.rule_list() == invoke("rules").stdout


def test_a_changed_rule_makes_the_readme_stale(tmp_path: Path) -> None:
    # Given the README and a registry where one rule's fix text changed
    first = RULES[0]
    changed = (dataclasses.replace(first, fix=first.fix + " Changed."), *RULES[1:])
    # Then the generated text differs exactly in that rule's section
    rewritten = reference.rewrite(README, changed)
    assert rewritten != README
    assert f"*Fix:* {first.fix} Changed." in rewritten
    # And `--check` fails on a stale copy, `--write` repairs it
    stale = tmp_path / "README.md"
    stale.write_text(README.replace(f"*Fix:* {first.fix}", "*Fix:* stale", 1), encoding="utf-8")
    assert reference.main(["--check", str(stale)]) == 1
    assert reference.main(["--write", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == README
    assert reference.main(["--check", str(stale)]) == 0


def test_the_command_refuses_a_readme_without_markers(tmp_path: Path) -> None:
    bare = tmp_path / "README.md"
    bare.write_text("# no markers\n", encoding="utf-8")
    assert reference.main(["--check", str(bare)]) == 2
    with pytest.raises(ValueError, match="BEGIN rule-list"):
        reference.rewrite("# no markers\n")
