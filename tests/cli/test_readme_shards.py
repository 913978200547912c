"""The ``--shard auto`` examples of README's "Shards and merge": a Kubernetes Indexed Job and its
merge Job, a GitHub Actions matrix, a GitLab ``parallel:`` pipeline. Each parses, has the shape
its platform needs, gives every copy its own shard (rendered with the variables the platform
sets), and passes only options that ``cors-audit scan --help`` / ``merge --help`` list."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from support.cli import invoke

from cors_audit.inputs.targets import resolve_shard

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, title
    return match.group(1)


def blocks() -> list[Any]:
    return [
        yaml.safe_load(b)
        for b in re.findall(r"```yaml\n(.*?)```", section("Shards and merge"), re.S)
    ]


def kubernetes_jobs() -> tuple[dict[str, Any], dict[str, Any]]:
    jobs = [b for b in blocks() if b.get("kind") == "Job"]
    scan, merge = jobs
    return scan, merge


def github_workflow() -> dict[str, Any]:
    (workflow,) = [b for b in blocks() if "jobs" in b]
    return workflow  # type: ignore[no-any-return]


def gitlab_pipeline() -> dict[str, Any]:
    (pipeline,) = [b for b in blocks() if "stages" in b]
    return pipeline  # type: ignore[no-any-return]


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def commands(value: Any) -> list[list[str]]:
    """Every ``cors-audit`` command in the strings of ``value``, as argument lists."""
    found: list[list[str]] = []
    for text in strings(value):
        if "cors-audit " not in text:
            continue
        # A GitHub expression as one word: ``${{ matrix.shard }}/3`` → ``${{matrix.shard}}/3``.
        words = shlex.split(re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", r"${{\1}}", text))
        for index, word in enumerate(words):
            if word == "cors-audit":
                rest = words[index + 1 :]
                end = next(
                    (i for i, w in enumerate(rest) if w in {"&&", "||", ";", "|"}), len(rest)
                )
                if end:  # not `pip install cors-audit && …`
                    found.append(rest[:end])
    return found


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def container(job: dict[str, Any]) -> dict[str, Any]:
    (only,) = job["spec"]["template"]["spec"]["containers"]
    return only  # type: ignore[no-any-return]


def test_the_section_has_the_three_examples_and_no_other_yaml() -> None:
    assert len(blocks()) == 4  # the Indexed Job, its merge Job, GitHub, GitLab
    kubernetes_jobs()
    github_workflow()
    gitlab_pipeline()
    # The GitHub Actions tests read the YAML of their own section only.
    github = section("GitHub Actions")
    assert "completionMode" not in github
    assert "--shard auto" not in github


def test_kubernetes_indexed_job_gives_each_pod_its_shard() -> None:
    scan, merge = kubernetes_jobs()
    spec = scan["spec"]
    assert spec["completionMode"] == "Indexed"
    assert spec["completions"] == spec["parallelism"] == 3
    pod = spec["template"]["spec"]
    env = {item["name"]: item["value"] for item in container(scan)["env"]}
    assert env["CORS_AUDIT_SHARD_COUNT"] == str(spec["completions"])
    (args,) = commands(container(scan))
    assert args[0] == "scan"
    assert option(args, "--shard") == "auto"
    # Rendered for each pod: the completion index Kubernetes sets, 0 … completions - 1.
    shards = [
        resolve_shard("auto", {**env, "JOB_COMPLETION_INDEX": str(i)})
        for i in range(spec["completions"])
    ]
    assert shards == [(k, 3) for k in (1, 2, 3)]
    # The reports go to a shared volume, which the merge Job mounts and reads.
    report = option(args, "--json")
    assert option(args, "--fail-on") == "never"
    assert pod["restartPolicy"] == "Never"

    def claims(job: dict[str, Any]) -> dict[str, str]:
        volumes = {
            v["name"]: v["persistentVolumeClaim"]["claimName"]
            for v in job["spec"]["template"]["spec"]["volumes"]
            if "persistentVolumeClaim" in v
        }
        return {
            m["mountPath"]: volumes[m["name"]]
            for m in container(job)["volumeMounts"]
            if m["name"] in volumes
        }

    scan_claims, merge_claims = claims(scan), claims(merge)
    (mount,) = [path for path in scan_claims if report.startswith(path + "/")]
    assert merge_claims.get(mount) == scan_claims[mount]
    (merge_args,) = commands(container(merge))
    assert merge_args[0] == "merge"
    (pattern,) = [a for a in merge_args if "*" in a]
    for i in range(spec["completions"]):
        assert Path(report.replace("$JOB_COMPLETION_INDEX", str(i))).match(pattern)
    assert option(merge_args, "--fail-on") == "high"


def test_github_matrix_passes_k_of_n_and_merges_the_artifacts() -> None:
    workflow = github_workflow()
    assert workflow["permissions"] == {}
    scan, merge = workflow["jobs"]["scan"], workflow["jobs"]["merge"]
    matrix = scan["strategy"]["matrix"]["shard"]
    assert matrix == [1, 2, 3]
    assert merge["needs"] == "scan"
    (args,) = commands(scan)
    assert option(args, "--shard") == "${{matrix.shard}}/3"
    rendered = [
        resolve_shard(option(args, "--shard").replace("${{matrix.shard}}", str(k)), {})
        for k in matrix
    ]
    assert rendered == [(k, len(matrix)) for k in matrix]
    upload = next(s for s in scan["steps"] if "upload-artifact" in s.get("uses", ""))
    download = next(s for s in merge["steps"] if "download-artifact" in s.get("uses", ""))
    assert Path(upload["with"]["name"].replace("${{ matrix.shard }}", "2")).match(
        download["with"]["pattern"]
    )
    assert download["with"]["merge-multiple"] is True
    (merge_args,) = commands(merge)
    assert merge_args[:2] == ["merge", "shard-*.json"]
    assert Path(option(args, "--json").replace("${{matrix.shard}}", "2")).match("shard-*.json")
    uses = [step["uses"] for job in (scan, merge) for step in job["steps"] if "uses" in step]
    assert uses
    assert all(re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", use) for use in uses), uses


def test_gitlab_parallel_job_uses_shard_auto() -> None:
    pipeline = gitlab_pipeline()
    assert pipeline["stages"] == ["scan", "report"]
    scan, merge = pipeline["cors-scan"], pipeline["cors-report"]
    assert scan["parallel"] == 3
    assert merge["needs"] == ["cors-scan"]
    (args,) = commands(scan)
    assert option(args, "--shard") == "auto"
    total = scan["parallel"]
    shards = [
        resolve_shard("auto", {"CI_NODE_INDEX": str(k), "CI_NODE_TOTAL": str(total)})
        for k in range(1, total + 1)
    ]
    assert shards == [(k, total) for k in range(1, total + 1)]
    (pattern,) = scan["artifacts"]["paths"]
    assert Path(option(args, "--json").replace("$CI_NODE_INDEX", "1")).match(pattern)
    (merge_args,) = commands(merge)
    assert merge_args[:2] == ["merge", pattern]
    assert merge["artifacts"]["when"] == "always"


def test_every_option_is_a_real_cors_audit_option() -> None:
    known: dict[str, set[str]] = {}
    used = [args for block in blocks() for args in commands(block)]
    assert sorted({args[0] for args in used}) == ["merge", "scan"]
    for args in used:
        if args[0] not in known:
            result = invoke(args[0], "--help", env={"COLUMNS": "200"})
            assert result.exit_code == 0, result.output
            known[args[0]] = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", result.stdout))
        options = [word for word in args[1:] if word.startswith("-")]
        assert options
        for flag in options:
            assert flag.split("=", 1)[0] in known[args[0]], (args[0], flag)
