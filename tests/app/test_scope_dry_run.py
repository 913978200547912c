"""--scope (hosts a scan may contact) and --dry-run (the plan, nothing sent), end to end on a
loopback server that records every request it receives."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.cli import assert_clean, invoke

from cors_audit.demo.lab import DemoLab, Endpoint, Reply, RequestView

pytestmark = pytest.mark.usefixtures("cli_isolated", "scan_in_worker_thread")

TRUSTED = ("https://app.example.com", "https://admin.example.com")
POLICY = (
    'trusted_origins = ["https://app.example.com", "https://admin.example.com"]\n'
    'allow_credentials = true\nallowed_methods = ["GET", "POST"]\n'
    'allowed_headers = ["Content-Type", "Authorization"]\nmax_age = { min = 600 }\n'
)
SECRET = "S3CR3T-dry-5c1e"


def allowlist(seen: list[RequestView]) -> Callable[[RequestView], Reply]:
    def handler(request: RequestView) -> Reply:
        seen.append(request)
        lines: list[tuple[str, str]] = [("Vary", "Origin")]
        if request.origin in TRUSTED:
            lines += [("Access-Control-Allow-Origin", request.origin),
                      ("Access-Control-Allow-Credentials", "true")]  # fmt: skip
            if request.method == "OPTIONS":
                lines += [("Access-Control-Allow-Methods", "GET, POST"),
                          ("Access-Control-Allow-Headers", "Content-Type, Authorization"),
                          ("Access-Control-Max-Age", "600")]  # fmt: skip
        if request.method == "OPTIONS":
            return Reply(204, tuple(lines))
        return Reply(200, (("Content-Type", "application/json"), *lines), b"{}")

    return handler


@pytest.fixture
def recording() -> Iterator[tuple[DemoLab, list[RequestView]]]:
    seen: list[RequestView] = []
    endpoint = Endpoint("/api/items", "allowlist", "GET", frozenset(), allowlist(seen))
    with DemoLab(endpoints=[endpoint]) as lab:
        yield lab, seen


def wire_key(method: str, path: str, headers: dict[str, str]) -> tuple[str, ...]:
    return (
        method,
        path,
        headers.get("origin", ""),
        headers.get("access-control-request-method", ""),
        headers.get("access-control-request-headers", ""),
        headers.get("access-control-request-private-network", ""),
    )


def planned_key(request: dict[str, Any]) -> tuple[str, ...]:
    """`wire_key` of one request of a ``--dry-run --json`` plan."""
    path = "/" + request["url"].split("/", 3)[3]
    headers = {name.lower(): value for name, value in request["headers"]}
    return wire_key(request["method"], path, headers)


def test_target_outside_the_scope_is_refused_before_anything_is_sent(
    recording: tuple[DemoLab, list[RequestView]],
) -> None:
    lab, seen = recording
    result = invoke("scan", lab.url("/api/items"), "--scope", "*.staging.example.com")
    assert_clean(result)
    assert result.exit_code == 2
    assert "is outside the scope (*.staging.example.com); nothing was sent" in result.stderr
    assert seen == []
    # In scope (host, or host:port), the scan runs
    port = lab.url("/").split(":")[2].split("/")[0]
    for glob in ("127.0.0.1", f"127.0.0.*:{port}"):
        result = invoke("scan", lab.url("/api/items"), "--scope", glob, "-q")
        assert result.exit_code in (0, 1), result.output
    assert seen


def test_scope_in_the_policy_narrows_the_command_line_never_widens_it(
    recording: tuple[DemoLab, list[RequestView]],
) -> None:
    lab, seen = recording
    Path("p.toml").write_text(POLICY + 'scope = ["*.example.com"]\n', encoding="utf-8")
    result = invoke("scan", "--policy", "p.toml", lab.url("/api/items"))
    assert result.exit_code == 2
    assert "outside the scope (*.example.com)" in result.stderr
    # The command line's --scope is an upper bound the policy's scope can only narrow
    result = invoke("scan", "--policy", "p.toml", lab.url("/api/items"), "--scope", "127.0.0.1")
    assert result.exit_code == 2
    assert "outside the scope (*.example.com)" in result.stderr
    Path("wide.toml").write_text(POLICY + 'scope = ["*"]\n', encoding="utf-8")
    result = invoke("scan", "--policy", "wide.toml", lab.url("/api/items"), "--scope", "*.test")
    assert result.exit_code == 2
    assert "outside the scope (*.test)" in result.stderr
    assert seen == []
    result = invoke("scan", "--policy", "wide.toml", lab.url("/api/items"), "--scope", "127.0.0.1")
    assert result.exit_code == 0, result.output
    Path("bad.toml").write_text(POLICY + 'scope = ["https://x/y"]\n', encoding="utf-8")
    result = invoke("scan", "--policy", "bad.toml", lab.url("/api/items"))
    assert result.exit_code == 2
    assert "bad.toml:6: scope[0]:" in result.stderr


def test_dry_run_sends_nothing_masks_secrets_and_writes_the_plan(
    recording: tuple[DemoLab, list[RequestView]],
) -> None:
    lab, seen = recording
    Path("p.toml").write_text(POLICY, encoding="utf-8")
    result = invoke(
        "scan", "--policy", "p.toml", lab.url("/api/items"), "--dry-run", "--json", "plan.json",
        "-H", f"Authorization: Bearer {SECRET}", "--cookie", f"s={SECRET}",
    )  # fmt: skip
    assert_clean(result)
    assert result.exit_code == 0, result.output
    assert seen == []
    assert SECRET not in result.stdout
    assert "Authorization: <redacted>" in result.stdout
    assert "nothing was sent" in result.stdout
    plan = json.loads(Path("plan.json").read_text(encoding="utf-8"))
    assert SECRET not in Path("plan.json").read_text(encoding="utf-8")
    assert plan["dry_run"] is True
    # A GET is read with a simple request: the narrow origins' actual requests are all in round
    # 2; a PATCH target's narrow origins get their preflights there and the actual requests
    # that follow a passing one in round 3.
    assert {r["round"] for r in plan["targets"][0]["requests"]} == {1, 2}
    result = invoke(
        "scan", "--policy", "p.toml", lab.url("/api/items"), "--dry-run", "--json", "plan.json",
        "--method", "PATCH",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    plan = json.loads(Path("plan.json").read_text(encoding="utf-8"))
    assert {r["round"] for r in plan["targets"][0]["requests"]} == {1, 2, 3}
    assert seen == []


def test_dry_run_plan_matches_what_the_server_then_receives(
    recording: tuple[DemoLab, list[RequestView]],
) -> None:
    lab, seen = recording
    Path("p.toml").write_text(POLICY, encoding="utf-8")
    args = ["--policy", "p.toml", lab.url("/api/items"), "--label", "fixedlabel1"]
    invoke("scan", *args, "--dry-run", "--json", "plan.json", "-q")
    plan = json.loads(Path("plan.json").read_text(encoding="utf-8"))
    requests = plan["targets"][0]["requests"]
    planned = Counter(planned_key(r) for r in requests if r["round"] in (1, 2))
    assert not [r for r in requests if r["round"] == 3]  # a GET: no narrow preflight
    result = invoke("scan", *args, "-q")
    assert result.exit_code == 0, result.output
    received = Counter(
        wire_key(r.method, r.path, {name.lower(): value for name, value in r.headers}) for r in seen
    )
    # Round 2's narrow origins, discovery candidates and second arbitrary origin are sent in
    # full; the exact allowlist refuses the arbitrary origin's preflight, so the private-network
    # preflight is not sent, and it admits no candidate, so no variant is derived from one.
    confirmations = Counter(
        planned_key(r)
        for r in requests
        if r["round"] == 2 and r["kind"] == "private-network-preflight"
    )
    assert sum(confirmations.values()) == 1
    assert received == planned - confirmations
    assert sum(received.values()) <= 45


def test_bad_label_is_a_usage_error(recording: tuple[DemoLab, list[RequestView]]) -> None:
    lab, _ = recording
    result = invoke("scan", lab.url("/api/items"), "--label", "Bad Label", "--dry-run")
    assert_clean(result)
    assert result.exit_code == 2
    assert "--label:" in result.stderr


def test_thorough_plans_more_and_the_scan_table_can_ask_for_it(
    recording: tuple[DemoLab, list[RequestView]],
) -> None:
    lab, seen = recording
    Path("p.toml").write_text(POLICY, encoding="utf-8")
    args = ["--policy", "p.toml", lab.url("/api/items"), "--label", "fixedlabel1", "--dry-run"]

    def planned(*extra: str, policy_text: str = POLICY) -> int:
        Path("p.toml").write_text(policy_text, encoding="utf-8")
        result = invoke("scan", *args, *extra, "--json", "plan.json", "-q")
        assert result.exit_code == 0, result.output
        plan = json.loads(Path("plan.json").read_text(encoding="utf-8"))
        return len(plan["targets"][0]["requests"])

    default = planned()
    thorough = planned("--thorough")
    assert thorough > default
    assert planned(policy_text=POLICY + "\n[scan]\nthorough = true\n") == thorough
    assert seen == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--request-deadline", "0"], "--request-deadline must be positive", id="req"),
        pytest.param(["--target-deadline", "-1"], "--target-deadline must be a positive", id="tgt"),
        pytest.param(
            ["--max-requests-per-target", "0"], "--max-requests-per-target must be", id="budget"
        ),
    ],
)
def test_bad_deadlines_and_budgets_are_usage_errors(
    recording: tuple[DemoLab, list[RequestView]], args: list[str], message: str
) -> None:
    lab, seen = recording
    result = invoke("scan", lab.url("/api/items"), *args)
    assert_clean(result)
    assert result.exit_code == 2
    assert message in result.stderr
    assert seen == []


def test_a_tight_request_budget_from_the_scan_table_is_noted(
    recording: tuple[DemoLab, list[RequestView]],
) -> None:
    lab, seen = recording
    Path("p.toml").write_text(POLICY + "\n[scan]\nmax_requests_per_target = 3\n", encoding="utf-8")
    result = invoke("scan", "--policy", "p.toml", lab.url("/api/items"), "--json", "r.json", "-q")
    # A plan the budget cut short is incomplete: an error for the exit code, unless a finding
    # was proven (issue 15).
    assert result.exit_code in (1, 3), result.output
    assert len(seen) == 3
    target = json.loads(Path("r.json").read_text(encoding="utf-8"))["targets"][0]
    assert target["incomplete"] is True
    assert any("--max-requests-per-target" in note for note in target["notes"])


@pytest.mark.parametrize(
    ("table", "key"),
    [('proxy = "http://127.0.0.1:9"', "proxy"), ("insecure = true", "insecure")],
)
def test_a_policy_may_not_set_proxy_or_insecure_under_a_command_line_scope(
    recording: tuple[DemoLab, list[RequestView]], table: str, key: str
) -> None:
    lab, seen = recording
    Path("p.toml").write_text(POLICY + f"\n[scan]\n{table}\n", encoding="utf-8")
    result = invoke("scan", "--policy", "p.toml", lab.url("/api/items"), "--scope", "127.0.0.1")
    assert_clean(result)
    assert result.exit_code == 2
    assert "p.toml: [scan] " + key + " is refused when --scope is given" in result.stderr
    assert seen == []


def test_policy_targets_outside_the_command_line_scope_are_refused(
    recording: tuple[DemoLab, list[RequestView]],
) -> None:
    lab, seen = recording
    Path("p.toml").write_text(
        POLICY + '\n[[target]]\nurl = "https://elsewhere.example.net/"\n', encoding="utf-8"
    )
    result = invoke("scan", "--policy", "p.toml", lab.url("/api/items"), "--scope", "127.0.0.1")
    assert result.exit_code == 2
    assert (
        "p.toml: [[target]] https://elsewhere.example.net/ is outside the --scope given on the "
        "command line (127.0.0.1)" in result.stderr
    )
    assert seen == []


def test_credentials_over_plain_http_to_a_host_not_on_the_command_line_are_warned_about(
    recording: tuple[DemoLab, list[RequestView]],
) -> None:
    lab, _ = recording
    url = lab.url("/api/items")
    Path("urls.txt").write_text(url + "\n", encoding="utf-8")
    result = invoke("scan", "-f", "urls.txt", "-H", "Authorization: x", "--json", "r.json", "-q")
    assert result.exit_code == 0, result.output
    assert "warning: credentials are sent over plain http to 127.0.0.1" in result.stderr
    notes = json.loads(Path("r.json").read_text(encoding="utf-8"))["notes"]
    assert any("credentials are sent over plain http" in note for note in notes)
    # Named on the command line (as a URL or by --scope), or no credentials: no warning
    for args in (
        [url, "-H", "Authorization: x"],
        ["-f", "urls.txt", "-H", "Authorization: x", "--scope", "127.0.0.1"],
        ["-f", "urls.txt"],
    ):
        result = invoke("scan", *args, "-q")
        assert result.exit_code == 0, result.output
        assert "plain http" not in result.stderr


def test_dry_run_plan_is_written_atomically_and_never_through_a_link(
    recording: tuple[DemoLab, list[RequestView]],
) -> None:
    lab, seen = recording
    Path("p.toml").write_text(POLICY, encoding="utf-8")
    Path("elsewhere.txt").write_text("keep me\n", encoding="utf-8")
    Path("plan.json").symlink_to("elsewhere.txt")
    args = ["scan", "--policy", "p.toml", lab.url("/api/items"), "--dry-run", "-q"]

    # A link at the plan's path is refused; what it points to is left alone
    result = invoke(*args, "--json", "plan.json")
    assert result.exit_code == 2
    assert "symbolic link" in result.stderr
    assert Path("elsewhere.txt").read_text(encoding="utf-8") == "keep me\n"

    # A plain path gets the whole plan, with no temporary file left beside it
    result = invoke(*args, "--json", "out/plan.json")
    assert result.exit_code == 0, result.output
    plan = json.loads(Path("out/plan.json").read_text(encoding="utf-8"))
    assert [t["method"] for t in plan["targets"]] == ["GET"]
    assert plan["targets"][0]["requests"]
    assert sorted(p.name for p in Path("out").iterdir()) == ["plan.json"]
    assert seen == []
