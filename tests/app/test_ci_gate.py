"""The CI gate end to end: stable fingerprints, shard + merge, baselines, configuration layers
(command line > CORS_AUDIT_* environment > [scan] table > default), and the extra file formats.

Every scan talks only to loopback servers started here (the demo lab, port 0).
"""

from __future__ import annotations

import json
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from support.cli import assert_clean, invoke

from cors_audit.demo.lab import (
    DEMO_POLICY_TOML,
    DEMO_SITE_ORIGIN,
    DemoLab,
    Endpoint,
    Reply,
    RequestView,
)

pytestmark = pytest.mark.usefixtures("cli_isolated", "scan_in_worker_thread")

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
TRUST_APP = 'trusted_origins = ["https://app.example.com"]\nallow_credentials = true\n'


@pytest.fixture(scope="module")
def lab() -> Iterator[DemoLab]:
    with DemoLab() as running:
        yield running
        assert running.errors == ()


def write(name: str, text: str) -> Path:
    path = Path.cwd() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def lab_inputs(lab: DemoLab, *, reverse: bool = False) -> list[str]:
    """``--policy`` (the demo policy), ``-f`` (every lab URL) and ``--site-origin``."""
    lines = [f"{method} {url}\n" for url, method in lab.urls()]
    if reverse:
        lines.reverse()
    urls = write("urls-reversed.txt" if reverse else "urls.txt", "".join(lines))
    policy = write("demo-policy.toml", DEMO_POLICY_TOML)
    return ["--policy", str(policy), "-f", str(urls), "--site-origin", DEMO_SITE_ORIGIN]


def load(path: Path, validator: Draft202012Validator) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    validator.validate(report)
    return report


def scan(
    validator: Draft202012Validator, out: str, *args: str, **kw: Any
) -> tuple[int, dict[str, Any]]:
    result = invoke("scan", *args, "--json", out, "-q", **kw)
    assert_clean(result)
    assert Path(out).is_file(), result.output
    return result.exit_code, load(Path(out), validator)


def finding_keys(report: dict[str, Any]) -> list[tuple[str, str, str, str, bool]]:
    return [
        (f["fingerprint"], f["rule"], f["severity"], f["url"], f["suppressed"])
        for f in report["findings"]
    ]


# -- fingerprints and shards ---------------------------------------------------------------------


def test_fingerprints_are_stable_across_runs_labels_and_target_order(
    lab: DemoLab, validator: Draft202012Validator
) -> None:
    # Given two scans of the same lab, the second with the targets in reverse order
    _, first = scan(validator, "one.json", *lab_inputs(lab))
    _, second = scan(validator, "two.json", *lab_inputs(lab, reverse=True))

    # Then the random probe label differed between the runs (attacker origins are not equal) …
    origins_one = {f["origin"] for f in first["findings"] if f["rule"] == "reflected-origin"}
    origins_two = {f["origin"] for f in second["findings"] if f["rule"] == "reflected-origin"}
    assert origins_one
    assert origins_one.isdisjoint(origins_two)
    # … and yet every finding has the same fingerprint
    assert sorted(finding_keys(first)) == sorted(finding_keys(second))
    assert len({f["fingerprint"] for f in first["findings"]}) == len(first["findings"])


def test_shards_merge_into_the_unsharded_report(
    lab: DemoLab, validator: Draft202012Validator
) -> None:
    inputs = lab_inputs(lab)
    # Given an unsharded scan and the three shards of the same scan
    full_code, full = scan(validator, "full.json", *inputs)
    shards = []
    for k in (1, 2, 3):
        _, shard = scan(validator, f"shard{k}.json", *inputs, "--shard", f"{k}/3")
        assert shard["shard"] == {"index": k, "count": 3, "total_targets": len(lab.urls())}
        shards.append(shard)

    # Then the shards split the targets without overlap …
    urls = [[t["url"] for t in shard["targets"]] for shard in shards]
    assert all(urls), "every shard of the 25-URL lab got some targets"
    assert sorted(u for part in urls for u in part) == sorted(t["url"] for t in full["targets"])

    # … and merging them gives the unsharded report: same targets in the same order, same
    # findings, same scores and the same exit code
    result = invoke(
        "merge", "shard3.json", "shard1.json", "shard2.json", "--json", "merged.json", "-q"
    )
    assert_clean(result)
    merged = load(Path("merged.json"), validator)
    assert result.exit_code == full_code == 1
    assert [t["url"] for t in merged["targets"]] == [t["url"] for t in full["targets"]]
    assert [(t["score"], t["grade"]) for t in merged["targets"]] == [
        (t["score"], t["grade"]) for t in full["targets"]
    ]
    assert finding_keys(merged) == finding_keys(full)
    for key in ("targets", "findings", "by_severity", "score", "grade", "errors", "requests"):
        assert merged["summary"][key] == full["summary"][key], key
    assert merged["shard"] is None
    assert merged["gate"] == full["gate"]


def test_merge_recomputes_the_gate_with_its_own_fail_on(
    lab: DemoLab, validator: Draft202012Validator
) -> None:
    scan(validator, "full.json", *lab_inputs(lab))
    result = invoke("merge", "full.json", "--fail-on", "never", "--json", "m.json", "-q")
    assert_clean(result)
    assert result.exit_code == 0
    assert load(Path("m.json"), validator)["gate"]["fail_on"] == "never"


@dataclass(frozen=True)
class MergeCase:
    files: tuple[str, ...]
    message: str


def test_merge_rejects_reports_that_are_not_one_scan(
    lab: DemoLab, validator: Draft202012Validator
) -> None:
    inputs = lab_inputs(lab)
    for k in (1, 2):
        scan(validator, f"s{k}.json", *inputs, "--shard", f"{k}/2")
    scan(validator, "other.json", *inputs, "--shard", "1/3")
    scan(validator, "plain.json", *inputs)
    report = json.loads(Path("s1.json").read_text(encoding="utf-8"))
    write("policy-changed.json", json.dumps({**report, "policy": {**report["policy"], "x": 1}}))
    write("version-2.json", json.dumps({**report, "schema_version": "2"}))
    write("not-json.json", "{ nope")
    cases = [
        MergeCase(("s1.json",), "shard(s) 2/2 missing"),
        MergeCase(("s1.json", "s1.json", "s2.json"), "shard 1/2 is given twice"),
        MergeCase(("s1.json", "other.json"), "different --shard N"),
        MergeCase(("s1.json", "plain.json"), "plain.json is not a shard report"),
        MergeCase(("plain.json", "plain.json"), "appears in more than one report"),
        MergeCase(("s1.json", "policy-changed.json"), "different policy"),
        MergeCase(("version-2.json",), "version-2.json: /schema_version"),
        MergeCase(("not-json.json",), "not-json.json: not a JSON file"),
        MergeCase(("missing.json",), "missing.json: report file not found"),
    ]
    for case in cases:
        result = invoke("merge", *case.files, "--json", "m.json")
        assert_clean(result)
        assert result.exit_code == 2, (case, result.output)
        assert case.message in result.stderr, (case, result.stderr)


def test_bad_shard_values_are_usage_errors(lab: DemoLab) -> None:
    for value, message in (("0/3", "between 1 and N"), ("4/3", "between 1 and N"), ("x", "K/N")):
        result = invoke("scan", lab.url("/strict"), "--shard", value)
        assert_clean(result)
        assert result.exit_code == 2
        assert message in result.stderr


# -- baselines -----------------------------------------------------------------------------------


class Switch:
    """An endpoint whose behaviour a test changes between scans ("a deploy")."""

    def __init__(self) -> None:
        self.reflect = False

    def handler(self, request: RequestView) -> Reply:
        lines: list[tuple[str, str]] = [("Vary", "Origin")]
        if request.origin is not None and (
            self.reflect or request.origin == "https://app.example.com"
        ):
            lines += [(ACAO, request.origin), (ACAC, "true")]
        if request.method == "OPTIONS":
            return Reply(
                204,
                (
                    *lines,
                    ("Access-Control-Allow-Methods", "GET"),
                    ("Access-Control-Max-Age", "600"),
                ),
            )
        return Reply(200, (("Content-Type", "application/json"), *lines), b"{}")


@pytest.fixture
def deployable() -> Iterator[tuple[DemoLab, Switch, Switch]]:
    old, new = Switch(), Switch()
    old.reflect = True
    endpoints = [
        Endpoint("/old", "known problem", "GET", frozenset(), old.handler),
        Endpoint("/new", "fine until a deploy", "GET", frozenset(), new.handler),
    ]
    with DemoLab(endpoints=endpoints) as running:
        yield running, old, new
        assert running.errors == ()


def test_baseline_suppresses_known_findings_and_fails_only_on_new_ones(
    deployable: tuple[DemoLab, Switch, Switch], validator: Draft202012Validator
) -> None:
    lab, old, new = deployable
    policy = write("policy.toml", TRUST_APP)
    args = ["--policy", str(policy), lab.url("/old"), lab.url("/new")]

    # Given a first run that finds the known problem on /old
    code, first = scan(validator, "first.json", *args)
    assert code == 1
    assert {f["url"] for f in first["findings"]} == {lab.url("/old")}

    # When a baseline is created from it
    result = invoke(
        "baseline", "create", "first.json", "-o", "cors-baseline.toml",
        "--reason", "legacy partner API", "--expires", "2999-01-01",
    )  # fmt: skip
    assert_clean(result)
    assert result.exit_code == 0, result.output
    data = tomllib.loads(Path("cors-baseline.toml").read_text(encoding="utf-8"))
    assert [e["fingerprint"] for e in data["finding"]] == [
        f["fingerprint"] for f in first["findings"]
    ]
    assert {e["reason"] for e in data["finding"]} == {"legacy partner API"}

    # Then the second run with the baseline passes, keeping the findings as suppressed
    code, second = scan(validator, "second.json", *args, "--baseline", "cors-baseline.toml")
    assert code == 0
    assert all(f["suppressed"] for f in second["findings"])
    assert second["findings"][0]["suppression"]["reason"] == "legacy partner API"
    assert second["summary"]["findings"] == 0
    assert second["summary"]["suppressed"] == len(first["findings"])
    assert second["summary"]["score"] == 100
    assert second["baseline"]["fixed"] == []
    assert second["baseline"]["expired"] == []

    # When a deploy breaks /new, the run fails and names only the new finding
    new.reflect = True
    code, third = scan(validator, "third.json", *args, "--baseline", "cors-baseline.toml")
    assert code == 1
    active = [f for f in third["findings"] if not f["suppressed"]]
    assert active
    assert {f["url"] for f in active} == {lab.url("/new")}
    assert third["gate"]["failing"] == len(
        [f for f in active if f["severity"] in ("critical", "high")]
    )

    # When /old is fixed, its entries are reported as fixed
    old.reflect = False
    new.reflect = False
    _, fourth = scan(validator, "fourth.json", *args, "--baseline", "cors-baseline.toml")
    assert fourth["findings"] == []
    assert sorted(e["fingerprint"] for e in fourth["baseline"]["fixed"]) == sorted(
        e["fingerprint"] for e in data["finding"]
    )


def test_expired_baseline_entries_stop_suppressing_and_are_reported(
    deployable: tuple[DemoLab, Switch, Switch], validator: Draft202012Validator
) -> None:
    lab, _, _ = deployable
    policy = write("policy.toml", TRUST_APP)
    args = ["--policy", str(policy), lab.url("/old")]
    scan(validator, "first.json", *args)
    result = invoke("baseline", "create", "first.json", "--expires", "2000-01-01")
    assert result.exit_code == 0, result.output
    code, report = scan(validator, "again.json", *args, "--baseline", "cors-baseline.toml")
    assert code == 1
    assert not any(f["suppressed"] for f in report["findings"])
    assert len(report["baseline"]["expired"]) == len(report["findings"])


def test_baseline_create_keeps_reasons_of_suppressed_findings_and_filters_by_severity(
    deployable: tuple[DemoLab, Switch, Switch], validator: Draft202012Validator
) -> None:
    lab, _, _ = deployable
    args = ["--policy", str(write("policy.toml", TRUST_APP)), lab.url("/old")]
    scan(validator, "first.json", *args)
    invoke("baseline", "create", "first.json", "--reason", "kept reason")
    scan(validator, "second.json", *args, "--baseline", "cors-baseline.toml")
    result = invoke(
        "baseline", "create", "second.json", "-o", "b2.toml", "--min-severity", "critical"
    )
    assert result.exit_code == 0, result.output
    entries = tomllib.loads(Path("b2.toml").read_text(encoding="utf-8"))["finding"]
    assert entries
    assert {e["severity"] for e in entries} == {"critical"}
    assert {e["reason"] for e in entries} == {"kept reason"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--expires", "soon"], "--expires must be an ISO date", id="expires"),
        pytest.param(["--reason", " "], "--reason must not be empty", id="reason"),
        pytest.param(["--min-severity", "bad"], "--min-severity must be one of", id="severity"),
    ],
)
def test_baseline_create_bad_options(args: list[str], message: str) -> None:
    write("r.json", "{}")
    result = invoke("baseline", "create", "r.json", *args)
    assert_clean(result)
    assert result.exit_code == 2
    assert message in result.stderr


def test_baseline_create_refuses_to_overwrite_and_rejects_non_reports() -> None:
    write("cors-baseline.toml", "")
    write("r.json", "[]")
    result = invoke("baseline", "create", "r.json")
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    result = invoke("baseline", "create", "r.json", "--force")
    assert result.exit_code == 2
    assert "r.json: /" in result.stderr


def test_a_broken_baseline_is_a_usage_error_naming_file_line_and_key(lab: DemoLab) -> None:
    write("b.toml", 'version = 1\n\n[[finding]]\nfingerprint = "xyz"\nreason = "r"\n')
    result = invoke("scan", lab.url("/strict"), "--baseline", "b.toml")
    assert_clean(result)
    assert result.exit_code == 2
    assert "b.toml:4: finding[0].fingerprint:" in result.stderr
    assert "32 lowercase hex digits" in result.stderr
    result = invoke("scan", lab.url("/strict"), "--baseline", "absent.toml")
    assert result.exit_code == 2
    assert "baseline file not found" in result.stderr


# -- configuration layers ------------------------------------------------------------------------


def reflecting_lab_args(lab: DemoLab, scan_table: str) -> list[str]:
    policy = write("conf/policy.toml", TRUST_APP + "\n[scan]\n" + scan_table)
    return ["--policy", str(policy), lab.url("/reflect-credentials")]


def test_scan_options_come_from_cli_then_environment_then_file(lab: DemoLab) -> None:
    args = reflecting_lab_args(lab, 'fail_on = "never"\njson = "out/r.json"\n')
    # The file says never: exit 0, and its relative json path is under the policy's folder
    result = invoke("scan", *args, "-q")
    assert result.exit_code == 0, result.output
    report = json.loads(Path("conf/out/r.json").read_text(encoding="utf-8"))
    assert report["gate"]["fail_on"] == "never"
    # The environment beats the file …
    result = invoke("scan", *args, "-q", env={"CORS_AUDIT_FAIL_ON": "high"})
    assert result.exit_code == 1
    # … and the command line beats the environment
    result = invoke("scan", *args, "-q", "--fail-on", "never", env={"CORS_AUDIT_FAIL_ON": "high"})
    assert result.exit_code == 0
    # Other options travel through the environment too
    result = invoke("scan", *args, "-q", env={"CORS_AUDIT_JSON": "env.json"})
    assert json.loads(Path("env.json").read_text(encoding="utf-8"))["summary"]["targets"] == 1


def test_allow_errors_from_the_file_and_the_environment(lab: DemoLab) -> None:
    policy = write("p.toml", TRUST_APP + '\n[scan]\nallow_errors = true\nfail_on = "never"\n')
    dead = "http://127.0.0.1:9/x"
    assert invoke("scan", "--policy", str(policy), dead, "-q").exit_code == 0
    result = invoke(
        "scan", "--policy", str(policy), dead, "-q", env={"CORS_AUDIT_ALLOW_ERRORS": "false"}
    )
    assert result.exit_code == 3
    assert invoke("scan", "--policy", str(policy), dead, "-q", "--no-allow-errors").exit_code == 3


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param('fail_on = "sometimes"', "scan.fail_on", id="fail-on"),
        pytest.param("concurrency = 0", "scan.concurrency", id="concurrency"),
        pytest.param('rate = "fast"', "scan.rate: the rate must look like", id="rate"),
        pytest.param("timeout = -1", "scan.timeout", id="timeout"),
        pytest.param('shard = "3"', "scan.shard", id="shard"),
        pytest.param('cookie = "s=1"', 'unknown key "cookie"', id="no-secrets"),
    ],
)
def test_bad_scan_table_values_name_file_line_and_key(
    lab: DemoLab, table: str, message: str
) -> None:
    policy = write("p.toml", TRUST_APP + "\n[scan]\n" + table + "\n")
    result = invoke("scan", "--policy", str(policy), lab.url("/strict"))
    assert_clean(result)
    assert result.exit_code == 2
    assert f"p.toml:{TRUST_APP.count(chr(10)) + 3}: " in result.stderr
    assert message in result.stderr


def test_scan_settings_in_pyproject(lab: DemoLab) -> None:
    write(
        "pyproject.toml",
        '[tool.cors-audit]\ntrusted_origins = ["https://app.example.com"]\n\n'
        '[tool.cors-audit.scan]\nfail_on = "never"\nrate = 500\nmarkdown = "summary.md"\n',
    )
    result = invoke("scan", lab.url("/reflect-credentials"), "-q")
    assert result.exit_code == 0, result.output
    assert Path("summary.md").is_file()


# -- every file format from one scan -------------------------------------------------------------


def test_scan_writes_every_format(lab: DemoLab) -> None:
    result = invoke(
        "scan", *lab_inputs(lab), "-q", "--json", "r.json", "--html", "r.html",
        "--sarif", "r.sarif", "--junit", "r.xml", "--markdown", "r.md",
    )  # fmt: skip
    assert_clean(result)
    assert result.exit_code == 1
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    sarif = json.loads(Path("r.sarif").read_text(encoding="utf-8"))
    assert len(sarif["runs"][0]["results"]) == len(report["findings"])
    suites = ET.fromstring(Path("r.xml").read_text(encoding="utf-8"))
    assert len(suites.findall("testsuite")) == len(report["targets"])
    assert "|" in Path("r.md").read_text(encoding="utf-8")
    assert Path("r.html").read_text(encoding="utf-8").lower().startswith("<!doctype html>")
