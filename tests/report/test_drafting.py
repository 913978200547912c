"""`cors-audit init --from-report` (a policy drafted from what servers do today) and
`cors-audit diff` (what changed between two reports), end to end on the loopback demo lab."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.cli import assert_clean, invoke

from cors_audit.demo.lab import DEMO_POLICY_TOML, DEMO_SITE_ORIGIN, ENDPOINTS, DemoLab, Endpoint
from cors_audit.inputs.policy import load_policy

pytestmark = pytest.mark.usefixtures("cli_isolated", "scan_in_worker_thread")

BY_PATH = {endpoint.path: endpoint for endpoint in ENDPOINTS}


@pytest.fixture(scope="module")
def lab() -> Iterator[DemoLab]:
    with DemoLab() as running:
        yield running


def scan_report(lab: DemoLab, out: str, *paths: str, policy: str | None = None) -> dict[str, Any]:
    policy_path = Path(policy) if policy else Path("demo-policy.toml")
    if policy is None:
        policy_path.write_text(DEMO_POLICY_TOML, encoding="utf-8")
    urls = Path("urls.txt")
    chosen = [(lab.url(p), BY_PATH[p].method) for p in paths] if paths else lab.urls()
    urls.write_text("".join(f"{m} {u}\n" for u, m in chosen), encoding="utf-8")
    result = invoke(
        "scan", "--policy", str(policy_path), "-f", str(urls), "--site-origin", DEMO_SITE_ORIGIN,
        "--json", out, "-q", "--fail-on", "never",
    )  # fmt: skip
    assert_clean(result)
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(Path(out).read_text(encoding="utf-8"))
    return report


def test_draft_from_the_whole_lab_loads_and_flags_what_rules_found(lab: DemoLab) -> None:
    report = scan_report(lab, "lab.json")
    result = invoke("init", "drafted.toml", "--from-report", "lab.json")
    assert_clean(result)
    assert result.exit_code == 0, result.output
    text = Path("drafted.toml").read_text(encoding="utf-8")
    policy = load_policy(Path("drafted.toml"))

    # The trusted origins that work today are trusted; attacker origins are only comments
    assert set(policy.trusted_origins) == {"https://app.example.com", "https://admin.example.com"}
    assert "FLAGGED reflected-origin (critical)" in text
    assert "FLAGGED null-origin" in text or "null-origin" not in {
        f["rule"] for f in report["findings"]
    }
    # Settings granted by preflights today, with the rules that flagged them
    assert policy.allow_credentials is True
    assert policy.allowed_methods is not None
    assert {"GET", "POST", "PATCH"} <= set(policy.allowed_methods)
    assert "FLAGGED methods-beyond-policy" in text
    assert "missing-max-age on 1 target(s)" in text
    assert "x-" not in text.split("allowed_headers", 1)[1].split("\n", 1)[0]  # no probe echo
    # Wildcard endpoints get a public override, flagged where the rule fired
    public = [o.match for o in policy.override if o.public]
    assert lab.url("/anon/wildcard") in public
    assert "FLAGGED wildcard-origin" in text
    # Every scanned target is listed
    assert len(policy.targets) == len(report["targets"])


def test_a_draft_of_a_correct_server_rescans_clean(lab: DemoLab) -> None:
    scan_report(lab, "strict.json", "/strict")
    invoke("init", "drafted.toml", "--from-report", "strict.json")
    again = scan_report(lab, "again.json", "/strict", policy="drafted.toml")
    assert again["findings"] == []
    assert again["policy"]["trusted_origins"] == [
        "https://app.example.com",
        "https://admin.example.com",
    ]


def test_init_from_report_errors() -> None:
    result = invoke("init", "p.toml", "--from-report", "missing.json")
    assert_clean(result)
    assert result.exit_code == 2
    assert "missing.json: report file not found" in result.stderr
    assert not Path("p.toml").exists()


def test_diff_lists_appeared_disappeared_and_changed_findings(lab: DemoLab) -> None:
    scan_report(lab, "old.json", "/strict", "/no-max-age")
    new = scan_report(lab, "new.json", "/strict", "/reflect-credentials")

    result = invoke("diff", "old.json", "new.json")
    assert_clean(result)
    assert result.exit_code == 1  # a critical finding appeared
    lines = result.stdout.splitlines()
    assert any(line.startswith("+ critical") and "reflected-origin" in line for line in lines)
    assert any(line.startswith("- low") and "missing-max-age" in line for line in lines)
    assert lines[-1].startswith(f"{len(new['findings'])} appeared, 1 disappeared")

    # Nothing new in the other direction, and the gate can be turned off
    assert invoke("diff", "new.json", "old.json").exit_code == 0
    assert invoke("diff", "old.json", "new.json", "--fail-on", "never").exit_code == 0
    assert invoke("diff", "new.json", "new.json", "-q").stdout == ""

    # A severity change is listed with both severities, and a worse one fails the gate
    worse = json.loads(Path("old.json").read_text(encoding="utf-8"))
    worse["findings"][0]["severity"] = "high"
    Path("worse.json").write_text(json.dumps(worse), encoding="utf-8")
    result = invoke("diff", "old.json", "worse.json")
    assert result.exit_code == 1
    assert "~ low->high" in result.stdout
    assert "0 appeared, 0 disappeared, 1 changed severity, 0 unchanged" in result.stdout
    # Better is fine
    assert invoke("diff", "worse.json", "old.json").exit_code == 0


def test_diff_ignores_suppressed_findings_for_the_gate(lab: DemoLab) -> None:
    scan_report(lab, "old.json", "/strict")
    new = scan_report(lab, "new.json", "/reflect-credentials")
    for finding in new["findings"]:
        finding["suppressed"] = True
        finding["suppression"] = {"reason": "accepted", "expires": None}
    Path("new.json").write_text(json.dumps(new), encoding="utf-8")
    result = invoke("diff", "old.json", "new.json")
    assert result.exit_code == 0
    assert "[suppressed]" in result.stdout


def test_diff_bad_input() -> None:
    Path("a.json").write_text("{}", encoding="utf-8")
    result = invoke("diff", "a.json", "b.json")
    assert_clean(result)
    assert result.exit_code == 2
    assert "a.json: /" in result.stderr
    assert invoke("diff", "a.json", "a.json", "--fail-on", "x").exit_code == 2


def test_endpoint_table_is_used(lab: DemoLab) -> None:
    # Guard for the helpers above: every path they use exists in the lab.
    for path in ("/strict", "/no-max-age", "/reflect-credentials", "/anon/wildcard"):
        assert isinstance(BY_PATH[path], Endpoint)
        assert lab.url(path).startswith("http://127.0.0.1:")
