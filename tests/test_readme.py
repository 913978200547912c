"""README.md stays true: the Quick start contract, the rule list and the rule reference that
SARIF `helpUri` and the Markdown summary link to."""

from __future__ import annotations

import re
from pathlib import Path

from support.cli import invoke

from cors_audit import HOMEPAGE
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
