"""The one-way flow of README "Architecture", enforced on the real imports of every module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cors_audit"

# The stages in pipeline order (README "Architecture"): a stage imports only stages before it, so
# the data flows one way. ``core`` is the shared vocabulary; ``browser`` is the browser model that
# the planner, the rules and the verifier all ask.
PIPELINE: tuple[str, ...] = (
    "core",
    "browser",
    "inputs",
    "probing",
    "sending",
    "judging",
    "fixes",
    "report",
    "formats",
    "verify",
    "app",
    "demo",
    "cli",
    "__main__",
)
LEVELS: dict[str, int] = {"__init__": -1} | {stage: level for level, stage in enumerate(PIPELINE)}


def test_every_stage_is_in_the_pipeline() -> None:
    stages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert stages | modules == set(LEVELS)


THIRD_PARTY_HOMES = {
    "httpx": {"sending"},
    "typer": {"cli"},
    "rich": {"cli"},
    "jinja2": {"formats"},
}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _stage(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    return rel.parts[0]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if node.module == "cors_audit":
                names.update(f"cors_audit.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_one_way(path: Path) -> None:
    stage = _stage(path)
    level = LEVELS[stage]
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] == "cors_audit" and len(parts) > 1:
            other = parts[1]
            is_module = (PACKAGE / f"{other}.py").exists() or (PACKAGE / other).is_dir()
            if not is_module or other == stage:
                continue
            assert LEVELS[other] < level, f"{stage} (level {level}) imports {name}"
        homes = THIRD_PARTY_HOMES.get(parts[0])
        if homes is not None:
            assert stage in homes, f"{stage} imports {parts[0]}, allowed only in {sorted(homes)}"


# The browser model is pure and self-contained: every module of cors_audit/browser imports only
# the standard library, its own stage, and the stdlib-only core modules below (the CORS header
# names, default ports and origin serializer it shares with every other stage).
STDLIB_ONLY_CORE: frozenset[str] = frozenset({"cors_audit.core.wire"})


def _is_stdlib(name: str) -> bool:
    top = name.split(".")[0]
    return top in sys.stdlib_module_names or top == "__future__"


@pytest.mark.parametrize("module", sorted(STDLIB_ONLY_CORE))
def test_shared_core_modules_use_only_the_standard_library(module: str) -> None:
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    for name in _imports(path):
        assert _is_stdlib(name), f"{module} imports {name}"


@pytest.mark.parametrize(
    "path",
    sorted((PACKAGE / "browser").rglob("*.py")),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_browser_model_uses_only_the_standard_library(path: Path) -> None:
    for name in _imports(path):
        own_stage = name.startswith("cors_audit.browser.") or name == "cors_audit.browser"
        assert _is_stdlib(name) or own_stage or name in STDLIB_ONLY_CORE, name


def test_every_module_has_a_docstring() -> None:
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path} has no module docstring"


# Issue 8 (start-up): `cors-audit --help` must not pay for the stages. What `--help` and
# `--version` load is checked by module name, not by timing (the figure is in the benchmark).
# pydantic is not listed: typer itself loads it to run any subcommand (typer/_adapters.py).
HEAVY_AT_START_UP = (
    "httpx",
    "yaml",
    "jinja2",
    "aiohttp",
    "markdown_it",
    "cors_audit.inputs.policy",
    "cors_audit.report.build",
    "cors_audit.sending.engine",
    "cors_audit.app.scan",
)


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["scan", "--help"]])
def test_help_and_version_load_no_heavy_module(argv: list[str]) -> None:
    probe = (
        "import sys\n"
        "from cors_audit.cli import main as cli\n"
        f"sys.argv = ['cors-audit', *{argv!r}]\n"
        "try:\n"
        "    cli.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY_AT_START_UP!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout  # the help or version was printed
    assert done.stderr.strip() == "[]"
