"""The composite GitHub Action (.github/actions/cors-audit) and the workflows in README.md.

The action's shell steps are run here for real with bash, against the loopback demo lab, with
the environment GitHub would give them (inputs as variables, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
RUNNER_TEMP); the `uses:` steps (setup-python, cache, upload-artifact, upload-sarif) are GitHub's
own and only checked for being pinned. test_github_action_scripts.py runs the same scripts with a
fake cors-audit and a fake gh; test_github_action_lint.py runs actionlint and shellcheck.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from cors_audit.demo.lab import DEMO_POLICY_TOML, DEMO_SITE_ORIGIN, DemoLab

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / ".github" / "actions" / "cors-audit" / "action.yml"
README = ROOT / "README.md"
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d[\w.]*\s*$")

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def load_action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return data


def step(name: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = load_action()["runs"]["steps"]
    return next(s for s in steps if s.get("name") == name)


def workflow_blocks() -> list[str]:
    """The YAML blocks of README's "GitHub Actions" section (other sections have other YAML)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## GitHub Actions\n") :]
    section = section[: section.find("\n## ", 1) % (len(section) + 1)]
    return re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)


@pytest.fixture(scope="module")
def lab() -> Iterator[DemoLab]:
    with DemoLab() as running:
        yield running


def run_step(name: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run the `run:` script of a step as GitHub does (`bash -e {0}`), with ``env``."""
    script = tmp_path / "step.sh"
    script.write_text(step(name)["run"], encoding="utf-8")
    full = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        **env,
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        env=full,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def outputs(tmp_path: Path) -> dict[str, str]:
    lines = (tmp_path / "output").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines)


def scan_env(lab: DemoLab, tmp_path: Path, **extra: str) -> dict[str, str]:
    policy = tmp_path / "cors-policy.toml"
    policy.write_text(DEMO_POLICY_TOML, encoding="utf-8")
    env = {
        "TARGETS": f"{lab.url('/reflect-credentials')}\nGET {lab.url('/strict')}",
        "URLS": "",
        "URL_FILE": "",
        "POLICY": str(policy),
        "FAIL_ON": "high",
        "BASELINE": "",
        "SHARD": "",
        # one argument per line; `--option value` lines are the option and its quoted value
        "EXTRA_ARGS": f"--site-origin '{DEMO_SITE_ORIGIN}'\n-q\n--scope '127.0.0.1:*'",
        "ARTIFACT_NAME": "",
    }
    env.update(extra)
    return env


def test_every_action_reference_is_pinned_to_a_commit() -> None:
    texts = [ACTION.read_text(encoding="utf-8"), *workflow_blocks()]
    uses = [line for text in texts for line in text.splitlines() if "uses:" in line]
    assert uses
    for line in uses:
        if "cors-audit/.github/actions/cors-audit@v" in line:
            continue  # our own action: no release SHA exists yet; README says to pin it
        assert PINNED.match(line), line


def test_inputs_never_reach_a_script_body() -> None:
    # ${{ inputs.x }} inside run: would let a URL or argument inject shell code.
    for s in load_action()["runs"]["steps"]:
        assert "${{" not in s.get("run", ""), s.get("name")


def test_readme_workflows_are_valid_and_least_privilege() -> None:
    blocks = workflow_blocks()
    assert len(blocks) >= 3, "a pull-request workflow, a deploy workflow and a sharded one"
    allowed = {"contents": "read", "security-events": "write", "actions": "read"}
    allowed["pull-requests"] = "write"
    for text in blocks:
        workflow = yaml.safe_load(text)
        assert workflow["permissions"] == {} or workflow["permissions"] == {"contents": "read"}
        for job in workflow["jobs"].values():
            for scope, level in job.get("permissions", {}).items():
                assert allowed.get(scope) == level, (scope, level)
    assert any("--shard" in t or "shard:" in t for t in blocks)
    assert any("cors-audit merge" in t for t in blocks)


def triggers(block: str) -> Any:
    workflow = yaml.safe_load(block)
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def action_uses(block: str) -> list[dict[str, Any]]:
    workflow = yaml.safe_load(block)
    return [
        s
        for job in workflow["jobs"].values()
        for s in job["steps"]
        if "/.github/actions/cors-audit" in s.get("uses", "")
    ]


def test_readme_action_examples_use_real_inputs() -> None:
    inputs = set(load_action()["inputs"])
    uses = [s for block in workflow_blocks() for s in action_uses(block)]
    assert uses
    for s in uses:
        assert set(s.get("with", {})) <= inputs, set(s.get("with", {})) - inputs


def test_readme_pull_request_workflow_is_the_copy_paste_one() -> None:
    # The workflow a user copies: a pull request, every documented permission, list inputs
    # with a `METHOD URL` target and an option whose value is quoted.
    blocks = [b for b in workflow_blocks() if "pull_request" in triggers(b)]
    assert blocks
    workflow = yaml.safe_load(blocks[0])
    job = next(iter(workflow["jobs"].values()))
    assert job["permissions"] == {
        "contents": "read",
        "security-events": "write",
        "actions": "read",
        "pull-requests": "write",
    }
    (use,) = action_uses(blocks[0])
    targets = use["with"]["targets"].splitlines()
    assert any(re.match(r"^(GET|POST|PUT|PATCH|DELETE) https://", t) for t in targets)
    args = use["with"]["args"].splitlines()
    assert "--scope '*.staging.example.com'" in args


def test_scan_step_fails_on_findings_and_writes_outputs(lab: DemoLab, tmp_path: Path) -> None:
    result = run_step("Scan", scan_env(lab, tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr  # the step records; the Gate step fails
    out = outputs(tmp_path)
    assert out["exit-code"] == "1"
    assert Path(out["json"]).is_file()
    assert Path(out["sarif"]).is_file()
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "reflected-origin" in summary


def test_scan_step_with_shard_and_fail_on_never(lab: DemoLab, tmp_path: Path) -> None:
    env = scan_env(lab, tmp_path, FAIL_ON="never", SHARD="1/1")
    result = run_step("Scan", env, tmp_path)
    assert result.returncode == 0, result.stderr
    out = outputs(tmp_path)
    assert out["exit-code"] == "0"
    assert "-1-of-1" in out["json"]


def test_scope_from_args_applies(lab: DemoLab, tmp_path: Path) -> None:
    # The quoted --scope above let the lab in (exit 1); one that leaves it out refuses it.
    env = scan_env(lab, tmp_path, EXTRA_ARGS="-q\n--scope '*.staging.example.com'")
    result = run_step("Scan", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert outputs(tmp_path)["exit-code"] == "2"
    assert "scope" in result.stderr.lower() or "scope" in result.stdout.lower()


def test_arguments_cannot_inject_shell_code(lab: DemoLab, tmp_path: Path) -> None:
    env = scan_env(
        lab, tmp_path, URLS="$(touch pwned-url)", EXTRA_ARGS="`touch pwned-arg` ; touch x"
    )
    result = run_step("Scan", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert outputs(tmp_path)["exit-code"] == "2"  # a usage error, nothing executed
    assert not list(tmp_path.glob("pwned*"))
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(("code", "status"), [("0", 0), ("1", 1), ("3", 3), ("2", 2), ("", 2)])
def test_gate_step_turns_the_exit_code_into_the_job_status(
    code: str, status: int, tmp_path: Path
) -> None:
    result = run_step("Gate", {"CODE": code}, tmp_path)
    assert result.returncode == status
    if status:
        assert "::error title=cors-audit::" in result.stdout
