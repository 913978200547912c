"""The composite action's shell steps, run with bash in a fake GitHub environment.

Each `run:` script is taken from action.yml and run as the runner does (`bash -e {0}`) with the
step's inputs as environment variables, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files and a PATH
whose `cors-audit` and `gh` are fakes that record what they were called with: the fake
cors-audit writes down its argv and the targets files it was given, the fake gh serves the REST
calls for issue comments from a JSON file, so creating then updating the pull-request comment is
checked call by call.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / ".github" / "actions" / "cors-audit" / "action.yml"
MARKER = "<!-- cors-audit -->"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")

FAKE_CORS_AUDIT = """\
import json, os, sys
argv = sys.argv[1:]
files = {}
for i, arg in enumerate(argv[:-1]):
    if arg == "-f" and os.path.exists(argv[i + 1]):
        with open(argv[i + 1], encoding="utf-8") as handle:
            files[argv[i + 1]] = handle.read()
    if arg == "--markdown":
        with open(argv[i + 1], "w", encoding="utf-8") as handle:
            handle.write(os.environ.get("FAKE_MARKDOWN", "## cors-audit\\n\\n1 finding\\n"))
with open(os.environ["FAKE_LOG"], "w", encoding="utf-8") as handle:
    json.dump({"argv": argv, "files": files}, handle)
sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
"""

FAKE_GH = """\
import json, os, re, sys
state_path = os.environ["FAKE_GH_STATE"]
with open(state_path, encoding="utf-8") as handle:
    state = json.load(handle)
argv = sys.argv[1:]
body = None
if "--input" in argv:
    with open(argv[argv.index("--input") + 1], encoding="utf-8") as handle:
        body = json.load(handle)
with open(os.environ["FAKE_GH_LOG"], "a", encoding="utf-8") as handle:
    handle.write(json.dumps({"argv": argv, "body": body,
                             "token": os.environ.get("GH_TOKEN")}) + "\\n")
if state.get("forbidden"):
    sys.stderr.write("gh: Resource not accessible by integration (HTTP 403)\\n")
    sys.exit(1)
method = argv[argv.index("--method") + 1] if "--method" in argv else "GET"
endpoint = next(a for a in argv[1:] if a.startswith("repos/"))
listing = r"repos/[^/]+/[^/]+/issues/\\d+/comments\\?per_page=100"
if method == "GET" and re.fullmatch(listing, endpoint):
    comments = state["comments"]
    # --paginate prints one JSON array per page, back to back
    pages = [comments[i:i + 2] for i in range(0, len(comments), 2)] or [[]]
    sys.stdout.write("".join(json.dumps(page) for page in pages))
elif method == "POST" and re.fullmatch(r"repos/[^/]+/[^/]+/issues/\\d+/comments", endpoint):
    state["next_id"] += 1
    comment = {"id": state["next_id"], "body": body["body"]}
    state["comments"].append(comment)
    print(json.dumps(comment))
else:
    m = re.fullmatch(r"repos/[^/]+/[^/]+/issues/comments/(\\d+)", endpoint)
    assert method == "PATCH" and m, argv
    comment = next(c for c in state["comments"] if c["id"] == int(m.group(1)))
    comment["body"] = body["body"]
    print(json.dumps(comment))
with open(state_path, "w", encoding="utf-8") as handle:
    json.dump(state, handle)
"""


def step_script(name: str) -> str:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    steps: list[dict[str, Any]] = data["runs"]["steps"]
    script: str = next(s for s in steps if s.get("name") == name)["run"]
    return script


class FakeRunner:
    """A temp workspace with the files and fake tools a GitHub runner would give a step."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        for name, source in (("cors-audit", FAKE_CORS_AUDIT), ("gh", FAKE_GH)):
            tool = self.bin / name
            tool.write_text(f"#!{sys.executable}\n{source}", encoding="utf-8")
            tool.chmod(0o755)
        self.workspace = tmp_path / "workspace"
        self.workspace.mkdir()
        self.output = tmp_path / "github_output"
        self.gh_state = tmp_path / "gh_state.json"
        self.gh_log = tmp_path / "gh_log.jsonl"
        self.set_comments([])

    def set_comments(self, comments: list[dict[str, Any]], *, forbidden: bool = False) -> None:
        state = {"comments": comments, "next_id": 1000, "forbidden": forbidden}
        self.gh_state.write_text(json.dumps(state), encoding="utf-8")

    def comments(self) -> list[dict[str, Any]]:
        state: dict[str, Any] = json.loads(self.gh_state.read_text(encoding="utf-8"))
        return list(state["comments"])

    def gh_calls(self) -> list[dict[str, Any]]:
        if not self.gh_log.exists():
            return []
        lines = self.gh_log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    def run(self, name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        script = self.tmp / "step.sh"
        script.write_text(step_script(name), encoding="utf-8")
        self.output.write_text("", encoding="utf-8")
        full = {
            "PATH": f"{self.bin}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
            f"{os.environ['PATH']}",
            "HOME": str(self.tmp),
            "RUNNER_TEMP": str(self.tmp / "runner"),
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_OUTPUT": str(self.output),
            "GITHUB_ENV": str(self.tmp / "github_env"),
            "GITHUB_STEP_SUMMARY": str(self.tmp / "summary.md"),
            "GITHUB_REPOSITORY": "acme/shop",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_EVENT_NAME": "pull_request",
            "FAKE_LOG": str(self.tmp / "cors_audit_call.json"),
            "FAKE_GH_STATE": str(self.gh_state),
            "FAKE_GH_LOG": str(self.gh_log),
            **env,
        }
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", str(script)],
            env=full,
            cwd=self.workspace,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def outputs(self) -> dict[str, str]:
        lines = self.output.read_text(encoding="utf-8").splitlines()
        return dict(line.split("=", 1) for line in lines)

    def cors_audit_call(self) -> dict[str, Any]:
        call: dict[str, Any] = json.loads((self.tmp / "cors_audit_call.json").read_text("utf-8"))
        return call


@pytest.fixture
def runner(tmp_path: Path) -> FakeRunner:
    return FakeRunner(tmp_path)


def scan_env(**extra: str) -> dict[str, str]:
    env = {
        "TARGETS": "",
        "URLS": "",
        "URL_FILE": "",
        "POLICY": "",
        "FAIL_ON": "high",
        "BASELINE": "",
        "SHARD": "",
        "EXTRA_ARGS": "",
        "ARTIFACT_NAME": "",
    }
    env.update(extra)
    return env


def option_values(argv: list[str], option: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == option]


# -- Scan: list inputs, line by line -------------------------------------------------------------


def test_args_with_spaces_and_quotes_arrive_intact(runner: FakeRunner) -> None:
    extra = "\n".join(
        [
            "--scope '*.staging.example.com'",
            '--scope "api.example.com:8443"',
            "  -H Authorization: Bearer a b  c  ",
            '--header=X-Note: it\'s "quoted"',
            "--rate 20/s",
            "",
            "--quiet",
            "$(touch pwned) `touch pwned2` *",
        ]
    )
    result = runner.run("Scan", scan_env(TARGETS="https://a.example/", EXTRA_ARGS=extra))
    assert result.returncode == 0, result.stderr
    argv = runner.cors_audit_call()["argv"]
    assert option_values(argv, "--scope") == ["*.staging.example.com", "api.example.com:8443"]
    assert option_values(argv, "-H") == ["Authorization: Bearer a b  c"]
    assert '--header=X-Note: it\'s "quoted"' in argv
    assert option_values(argv, "--rate") == ["20/s"]
    assert "--quiet" in argv
    assert "$(touch pwned) `touch pwned2` *" in argv  # one argument, nothing run or globbed
    assert not list(runner.workspace.glob("pwned*"))
    assert "::warning" not in result.stdout


def test_several_options_on_one_line_get_a_warning(runner: FakeRunner) -> None:
    env = scan_env(TARGETS="https://a.example/", EXTRA_ARGS="--rate 20/s --per-host 4")
    result = runner.run("Scan", env)
    assert result.returncode == 0, result.stderr
    assert option_values(runner.cors_audit_call()["argv"], "--rate") == ["20/s --per-host 4"]
    assert "::warning title=cors-audit::args: '--rate'" in result.stdout


def test_method_lines_become_method_and_url_targets(runner: FakeRunner) -> None:
    targets = "\n".join(
        [
            "https://api.example.com/posts/1",
            "GET https://api.example.com/posts/2",
            "  POST   https://api.example.com/orders  ",
            "# a comment",
            "",
            "PATCH https://api.example.com/orders/7 # trailing comment\r",
        ]
    )
    urls = "https://old.example/a https://old.example/b\nDELETE https://old.example/c"
    result = runner.run("Scan", scan_env(TARGETS=targets, URLS=urls, URL_FILE="more.txt"))
    assert result.returncode == 0, result.stderr
    call = runner.cors_audit_call()
    files = option_values(call["argv"], "-f")
    assert files[1] == "more.txt"
    lines = call["files"][files[0]].splitlines()
    assert lines == [
        "https://api.example.com/posts/1",
        "GET https://api.example.com/posts/2",
        "  POST   https://api.example.com/orders  ",
        "# a comment",
        "PATCH https://api.example.com/orders/7 # trailing comment",
        "https://old.example/a",
        "https://old.example/b",
        "DELETE https://old.example/c",
    ]
    # no target became a positional argument (the old action made "GET" a URL)
    assert not any(a.startswith(("GET", "https://")) for a in call["argv"])


def test_targets_file_is_read_by_the_real_parser(runner: FakeRunner) -> None:
    from cors_audit.inputs.targets import read_target_lines

    targets = "GET https://api.example.com/a\nPOST https://api.example.com/b\nhttps://x.example/"
    assert runner.run("Scan", scan_env(TARGETS=targets)).returncode == 0
    call = runner.cors_audit_call()
    (path,) = option_values(call["argv"], "-f")
    parsed = read_target_lines(call["files"][path], path)
    assert [(t.method, t.url) for t in parsed] == [
        ("GET", "https://api.example.com/a"),
        ("POST", "https://api.example.com/b"),
        ("GET", "https://x.example/"),
    ]


def test_no_targets_means_no_targets_file(runner: FakeRunner) -> None:
    result = runner.run("Scan", scan_env(URL_FILE="cors-urls.txt"))
    assert result.returncode == 0, result.stderr
    assert option_values(runner.cors_audit_call()["argv"], "-f") == ["cors-urls.txt"]


def test_outputs_and_summary_are_written(runner: FakeRunner) -> None:
    env = scan_env(TARGETS="https://a.example/", SHARD="2/4", POLICY="p.toml", BASELINE="b.toml")
    result = runner.run("Scan", {**env, "FAKE_EXIT": "1"})
    assert result.returncode == 0, result.stderr  # the Gate step fails the job, not this one
    out = runner.outputs()
    assert out["exit-code"] == "1"
    base = runner.tmp / "runner" / "cors-audit-2-of-4"
    assert out["json"] == str(base / "cors-audit.json")
    assert out["html"] == str(base / "cors-audit.html")
    assert out["sarif"] == str(base / "cors-audit.sarif")
    assert out["markdown"] == str(base / "cors-audit.md")
    assert out["artifact-name"] == "cors-audit-2-of-4"
    argv = runner.cors_audit_call()["argv"]
    assert argv[0] == "scan"
    assert option_values(argv, "--html") == [out["html"]]
    assert option_values(argv, "--shard") == ["2/4"]
    assert option_values(argv, "--policy") == ["p.toml"]
    assert option_values(argv, "--baseline") == ["b.toml"]
    assert "1 finding" in (runner.tmp / "summary.md").read_text(encoding="utf-8")


def test_artifact_name_input_wins(runner: FakeRunner) -> None:
    env = scan_env(TARGETS="https://a.example/", ARTIFACT_NAME="nightly reports")
    assert runner.run("Scan", env).returncode == 0
    assert runner.outputs()["artifact-name"] == "nightly reports"


# -- Comment on the pull request -----------------------------------------------------------------


def comment_env(runner: FakeRunner, **extra: str) -> dict[str, str]:
    summary = runner.tmp / "summary-for-comment.md"
    if not summary.exists():
        summary.write_text("## cors-audit\n\n2 findings\n", encoding="utf-8")
    env = {
        "GH_TOKEN": "ghs_fake",
        "MARKDOWN": str(summary),
        "CATEGORY": "cors-audit",
        "ARTIFACT_NAME": "cors-audit",
        "PR_NUMBER": "17",
        "PR_HEAD_REPO": "acme/shop",
    }
    env.update(extra)
    return env


def test_comment_is_created_then_updated_not_duplicated(runner: FakeRunner) -> None:
    others = [
        {"id": 1, "body": "LGTM"},
        {"id": 2, "body": f"quoting the bot:\n> {MARKER}"},  # the marker, but not first
        {"id": 3, "body": "<!-- other-tool -->\nsomething"},
    ]
    runner.set_comments(others)

    first = runner.run("Comment on the pull request", comment_env(runner))
    assert first.returncode == 0, first.stderr
    comment_id = runner.outputs()["comment-id"]
    assert comment_id == "1001"
    assert "created" in first.stdout
    comments = runner.comments()
    assert comments[:3] == others
    (ours,) = comments[3:]
    assert ours["body"].startswith(f"{MARKER}\n## cors-audit")
    assert "2 findings" in ours["body"]
    assert "https://github.com/acme/shop/actions/runs/4242" in ours["body"]

    (runner.tmp / "summary-for-comment.md").write_text("## cors-audit\n\nclean\n", "utf-8")
    second = runner.run("Comment on the pull request", comment_env(runner))
    assert second.returncode == 0, second.stderr
    assert runner.outputs()["comment-id"] == comment_id
    assert "updated" in second.stdout
    comments = runner.comments()
    assert len(comments) == 4
    assert "clean" in comments[3]["body"]
    assert "2 findings" not in comments[3]["body"]

    calls = runner.gh_calls()
    assert [c["argv"][0] for c in calls] == ["api"] * 4
    assert "--paginate" in calls[0]["argv"]
    assert calls[1]["argv"][1:4] == ["--method", "POST", "repos/acme/shop/issues/17/comments"]
    assert calls[3]["argv"][1:4] == ["--method", "PATCH", "repos/acme/shop/issues/comments/1001"]
    assert {c["token"] for c in calls} == {"ghs_fake"}


def test_existing_comment_on_a_later_page_is_found(runner: FakeRunner) -> None:
    comments = [{"id": n, "body": f"comment {n}"} for n in range(1, 6)]
    comments.append({"id": 6, "body": f"{MARKER}\nold summary"})
    runner.set_comments(comments)
    result = runner.run("Comment on the pull request", comment_env(runner))
    assert result.returncode == 0, result.stderr
    assert runner.outputs()["comment-id"] == "6"
    assert len(runner.comments()) == 6


def test_another_category_keeps_its_own_comment(runner: FakeRunner) -> None:
    runner.set_comments([{"id": 5, "body": f"{MARKER}\nmain scan"}])
    result = runner.run("Comment on the pull request", comment_env(runner, CATEGORY="nightly"))
    assert result.returncode == 0, result.stderr
    comments = runner.comments()
    assert len(comments) == 2
    assert comments[0]["body"] == f"{MARKER}\nmain scan"
    assert comments[1]["body"].startswith("<!-- cors-audit category=nightly -->\n")


def test_long_summary_is_truncated_to_fit_a_comment(runner: FakeRunner) -> None:
    summary = runner.tmp / "summary-for-comment.md"
    summary.write_text("## cors-audit\n" + "| row | finding |\n" * 10_000, encoding="utf-8")
    result = runner.run("Comment on the pull request", comment_env(runner))
    assert result.returncode == 0, result.stderr
    (ours,) = runner.comments()
    assert len(ours["body"]) <= 65_536
    assert "truncated" in ours["body"]


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({"PR_NUMBER": ""}, "not a pull_request event"),
        ({"PR_HEAD_REPO": "someone/fork"}, "fork"),
        ({"GH_TOKEN": ""}, "no token"),
        ({"MARKDOWN": "/nonexistent/cors-audit.md"}, "no Markdown summary"),
    ],
)
def test_comment_is_skipped_with_a_notice(
    runner: FakeRunner, env: dict[str, str], reason: str
) -> None:
    result = runner.run("Comment on the pull request", comment_env(runner, **env))
    assert result.returncode == 0, result.stderr
    assert "::notice title=cors-audit::pull-request comment skipped" in result.stdout
    assert reason in result.stdout
    assert runner.gh_calls() == []
    assert "comment-id" not in runner.outputs()


def test_fork_check_applies_to_pull_request_only(runner: FakeRunner) -> None:
    # pull_request_target runs with the base repository's token, which may comment.
    env = comment_env(runner, PR_HEAD_REPO="someone/fork", GITHUB_EVENT_NAME="pull_request_target")
    result = runner.run("Comment on the pull request", env)
    assert result.returncode == 0, result.stderr
    assert len(runner.comments()) == 1


def test_comment_without_permission_is_skipped(runner: FakeRunner) -> None:
    runner.set_comments([], forbidden=True)
    result = runner.run("Comment on the pull request", comment_env(runner))
    assert result.returncode == 0, result.stderr
    assert "::notice title=cors-audit::pull-request comment skipped" in result.stdout
    assert "HTTP 403" in result.stdout
    assert "pull-requests: write" in result.stdout
    assert "comment-id" not in runner.outputs()


def test_comment_without_gh_is_skipped(runner: FakeRunner, tmp_path: Path) -> None:
    (runner.bin / "gh").unlink()
    # a PATH with bash and python but no gh at all
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in ("bash", "head", "mktemp", "cat"):
        found = shutil.which(name)
        assert found
        (tools / name).symlink_to(found)
    env = comment_env(runner, PATH=f"{tools}{os.pathsep}{Path(sys.executable).parent}")
    result = runner.run("Comment on the pull request", env)
    assert result.returncode == 0, result.stderr
    assert "gh" in result.stdout
    assert "not installed" in result.stdout


def test_github_enterprise_host_is_passed_to_gh(runner: FakeRunner, tmp_path: Path) -> None:
    record = tmp_path / "gh_host"
    gh = runner.bin / "gh"
    source = gh.read_text(encoding="utf-8")
    gh.write_text(
        source.replace(
            "import json, os, re, sys\n",
            "import json, os, re, sys\n"
            f"open({str(record)!r}, 'w').write("
            "os.environ.get('GH_HOST', '') + ' ' + os.environ.get('GH_ENTERPRISE_TOKEN', ''))\n",
            1,
        ),
        encoding="utf-8",
    )
    env = comment_env(runner, GITHUB_SERVER_URL="https://ghe.acme.example")
    result = runner.run("Comment on the pull request", env)
    assert result.returncode == 0, result.stderr
    assert record.read_text(encoding="utf-8") == "ghe.acme.example ghs_fake"
    assert "https://ghe.acme.example/acme/shop/actions/runs/4242" in runner.comments()[0]["body"]


# -- Locate pip cache ----------------------------------------------------------------------------


def test_pip_cache_key_follows_the_package(runner: FakeRunner) -> None:
    def key(package: str, python: str = "3.11.9") -> str:
        env = {"PACKAGE": package, "ACTION_ROOT": str(ROOT), "PYTHON_VERSION": python}
        result = runner.run("Locate pip cache", env)
        assert result.returncode == 0, result.stderr
        out = runner.outputs()
        assert Path(out["dir"]).is_absolute()
        return out["key"]

    own = key("")
    assert len(own) == 16
    assert own == key("")
    assert own != key("cors-audit==0.1.0")
    assert own != key("", python="3.13.1")


# -- the steps in a row, with the real cors-audit ------------------------------------------------


def test_scan_comment_gate_with_the_real_cors_audit(runner: FakeRunner) -> None:
    from cors_audit.demo.lab import DEMO_POLICY_TOML, DEMO_SITE_ORIGIN, DemoLab

    (runner.bin / "cors-audit").unlink()  # the one installed with the package runs instead
    policy = runner.workspace / "cors-policy.toml"
    policy.write_text(DEMO_POLICY_TOML, encoding="utf-8")
    with DemoLab() as lab:
        env = scan_env(
            TARGETS=f"GET {lab.url('/reflect-credentials')}\n{lab.url('/strict')}",
            POLICY=str(policy),
            EXTRA_ARGS=f"--site-origin '{DEMO_SITE_ORIGIN}'\n--scope '127.0.0.1:*'\n-q",
        )
        scan = runner.run("Scan", env)
    assert scan.returncode == 0, scan.stderr
    out = runner.outputs()
    assert out["exit-code"] == "1"
    for kind in ("json", "html", "sarif", "markdown"):
        assert Path(out[kind]).is_file(), kind
    report = json.loads(Path(out["json"]).read_text(encoding="utf-8"))
    assert "reflect-credentials" in json.dumps(report)

    comment = runner.run(
        "Comment on the pull request", comment_env(runner, MARKDOWN=out["markdown"])
    )
    assert comment.returncode == 0, comment.stderr
    (ours,) = runner.comments()
    assert ours["body"].startswith(MARKER)
    assert "reflected-origin" in ours["body"]

    gate = runner.run("Gate", {"CODE": out["exit-code"]})
    assert gate.returncode == 1
    assert "::error title=cors-audit::findings" in gate.stdout


def test_readme_copy_paste_inputs_reach_cors_audit_as_meant(runner: FakeRunner) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## GitHub Actions") :]
    block = section[section.index("```yaml\n") + 8 : section.index("```\n", 8)]
    (use,) = [
        s
        for job in yaml.safe_load(block)["jobs"].values()
        for s in job["steps"]
        if "/.github/actions/cors-audit" in s.get("uses", "")
    ]
    given = use["with"]
    env = scan_env(TARGETS=given["targets"], EXTRA_ARGS=given["args"], POLICY=given["policy"])
    result = runner.run("Scan", env)
    assert result.returncode == 0, result.stderr
    assert "::warning" not in result.stdout
    call = runner.cors_audit_call()
    assert option_values(call["argv"], "--scope") == ["*.staging.example.com"]
    (path,) = option_values(call["argv"], "-f")
    assert any(line.startswith("POST https://") for line in call["files"][path].splitlines())


def test_pip_cache_turned_off_leaves_the_dir_empty(runner: FakeRunner) -> None:
    env = {"PACKAGE": "", "ACTION_ROOT": str(ROOT), "PYTHON_VERSION": "3.11.9"}
    result = runner.run("Locate pip cache", {**env, "PIP_NO_CACHE_DIR": "1"})
    assert result.returncode == 0, result.stderr
    assert runner.outputs()["dir"] == ""
