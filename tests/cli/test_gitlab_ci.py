"""The GitLab CI template in README.md ("GitLab CI"): it parses, has the shape GitLab needs
(a ``parallel:`` scan job, a merge job that ``needs`` it, JUnit and Code Quality under
``artifacts:reports:``), every option it passes is a real option of the command, and its
scripts, run with bash the way GitLab runs them (``CI_NODE_INDEX`` = 1 … ``CI_NODE_TOTAL``),
scan the loopback demo lab in shards and merge them into the reports the artifacts name.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from support.cli import invoke

from cors_audit.core.errors import UsageError
from cors_audit.demo.lab import DEMO_POLICY_TOML, DEMO_SITE_ORIGIN, DemoLab
from cors_audit.inputs.targets import parse_shard

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCHEMA = json.loads(
    (ROOT / "tests" / "assets" / "gitlab-codequality.schema.json").read_text(encoding="utf-8")
)
SCAN_JOB = "cors-scan"
MERGE_JOB = "cors-report"


def gitlab_section() -> str:
    match = re.search(r"^## GitLab CI\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, "README has a GitLab CI section"
    return match.group(1)


def pipeline() -> dict[str, Any]:
    (block,) = re.findall(r"```yml\n(.*?)```", gitlab_section(), re.S)
    data: dict[str, Any] = yaml.safe_load(block)
    return data


def scripts(job: dict[str, Any]) -> list[str]:
    lines: list[str] = job["script"]
    return lines


def cors_audit_commands(line: str) -> list[list[str]]:
    """The ``cors-audit`` commands of a script line, as argument lists."""
    words = shlex.split(line)
    commands: list[list[str]] = []
    for index, word in enumerate(words):
        if word == "cors-audit":
            rest = words[index + 1 :]
            end = next((i for i, w in enumerate(rest) if w in {"&&", "||", ";", "|"}), len(rest))
            commands.append(rest[:end])
    return commands


def option_values(args: list[str]) -> dict[str, str]:
    """Each argument mapped to the one after it: ``--json`` → its path."""
    return dict(itertools.pairwise(args))


def options_of(command: str) -> set[str]:
    """Every option ``cors-audit COMMAND --help`` lists (``--json``, ``-f``, ``--no-x``…)."""
    result = invoke(command, "--help", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", result.stdout))


def test_the_section_follows_github_actions() -> None:
    headings = re.findall(r"^## (.+)$", README, re.M)
    assert headings[headings.index("GitHub Actions") + 1] == "GitLab CI"


def test_the_pipeline_has_a_parallel_scan_and_a_merge_with_reports() -> None:
    data = pipeline()
    assert data["stages"] == ["scan", "report"]
    scan, merge = data[SCAN_JOB], data[MERGE_JOB]
    assert scan["stage"] == "scan"
    assert isinstance(scan["parallel"], int)
    assert 2 <= scan["parallel"] <= 200  # GitLab's limit
    assert merge["stage"] == "report"
    assert merge["needs"] == [SCAN_JOB]  # all parallel copies, and their artifacts
    reports = merge["artifacts"]["reports"]
    assert set(reports) == {"junit", "codequality"}
    assert merge["artifacts"]["when"] == "always"  # kept when the gate fails the job
    # What the merge writes is what the artifacts name, and the shards' files are its input.
    (merge_line,) = scripts(merge)
    (merge_args,) = cors_audit_commands(merge_line)
    written = option_values(merge_args)
    assert written["--junit"] == reports["junit"]
    assert written["--codequality"] == reports["codequality"]
    for path in merge["artifacts"]["paths"]:
        assert path in merge_args
    (scan_line,) = scripts(scan)
    (scan_args,) = cors_audit_commands(scan_line)
    assert scan_args[0] == "scan"
    shard_json = option_values(scan_args)["--json"]
    assert Path(shard_json.replace("$CI_NODE_INDEX", "3")).match(scan["artifacts"]["paths"][0])
    assert merge_args[:2] == ["merge", "shard-*.json"]
    # The shards never fail: the merge job applies the gate.
    assert "--allow-errors" in scan_args
    assert option_values(scan_args)["--fail-on"] == "never"


def test_every_option_is_a_real_cors_audit_option() -> None:
    data = pipeline()
    commands = [
        args
        for job in (data[SCAN_JOB], data[MERGE_JOB])
        for line in scripts(job)
        for args in cors_audit_commands(line)
    ]
    assert [args[0] for args in commands] == ["scan", "merge"]
    for args in commands:
        known = options_of(args[0])
        used = [word for word in args[1:] if word.startswith("-")]
        assert used
        for option in used:
            assert option.split("=", 1)[0] in known, (args[0], option)


def test_the_shard_index_is_gitlabs_node_index_unchanged() -> None:
    (scan_line,) = scripts(pipeline()[SCAN_JOB])
    assert '--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"' in scan_line
    total = pipeline()[SCAN_JOB]["parallel"]
    # GitLab's CI_NODE_INDEX runs from 1 to CI_NODE_TOTAL, like --shard's K.
    assert [parse_shard(f"{k}/{total}") for k in range(1, total + 1)] == [
        (k, total) for k in range(1, total + 1)
    ]
    with pytest.raises(UsageError):
        parse_shard(f"0/{total}")


@pytest.fixture(scope="module")
def lab() -> Iterator[DemoLab]:
    with DemoLab() as running:
        yield running


def run_script(line: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """One script line, as a GitLab runner with a shell executor runs it (bash)."""
    full = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(cwd),
        **env,
    }
    return subprocess.run(
        ["bash", "-e", "-c", line],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_pipeline_runs(lab: DemoLab, tmp_path: Path) -> None:
    data = pipeline()
    urls = [url for url, method in lab.urls() if method == "GET"][:8]
    (tmp_path / "cors-urls.txt").write_text("\n".join(urls) + "\n", encoding="utf-8")
    (tmp_path / "cors-policy.toml").write_text(
        f'{DEMO_POLICY_TOML}\n[scan]\nsite_origin = "{DEMO_SITE_ORIGIN}"\n', encoding="utf-8"
    )
    total = data[SCAN_JOB]["parallel"]
    # Given every parallel copy of the scan job ran (all in one directory: `needs` brings
    # their artifacts to the merge job)
    for index in range(1, total + 1):
        for line in scripts(data[SCAN_JOB]):
            result = run_script(line, tmp_path, CI_NODE_INDEX=str(index), CI_NODE_TOTAL=str(total))
            assert result.returncode == 0, result.stderr
    shards = sorted(tmp_path.glob(data[SCAN_JOB]["artifacts"]["paths"][0]))
    assert len(shards) == total
    scanned = [
        target["url"]
        for shard in shards
        for target in json.loads(shard.read_text(encoding="utf-8"))["targets"]
    ]
    assert sorted(scanned) == sorted(urls)  # each target in exactly one shard
    # When the merge job runs
    for line in scripts(data[MERGE_JOB]):
        result = run_script(line, tmp_path)
    # Then the gate fails the job on the lab's findings, and every report GitLab reads is there
    assert result.returncode == 1, result.stderr
    artifacts = data[MERGE_JOB]["artifacts"]
    for path in artifacts["paths"]:
        assert (tmp_path / path).is_file(), path
    junit = ET.parse(tmp_path / artifacts["reports"]["junit"]).getroot()
    assert len(junit.findall("testsuite")) == len(urls)
    issues = json.loads((tmp_path / artifacts["reports"]["codequality"]).read_text("utf-8"))
    Draft202012Validator(SCHEMA).validate(issues)
    merged = json.loads((tmp_path / "cors-audit.json").read_text(encoding="utf-8"))
    active = [f for f in merged["findings"] if not f["suppressed"]]
    assert len(issues) == len(active)
    assert {issue["fingerprint"] for issue in issues} == {f["fingerprint"] for f in active}
    assert any(issue["severity"] == "blocker" for issue in issues)
