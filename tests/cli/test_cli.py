"""End-to-end tests of the command line: arguments → scan of a live loopback server → files,
console output and exit code.

Every scan talks only to servers started here on 127.0.0.1 (port 0): the demo lab for its
ready-made endpoints, and small custom endpoints served by the same loopback server
(``DemoLab(endpoints=...)``) for the acceptance cases, whose handlers also record what they
received. Each test runs in its own ``tmp_path`` as the working directory, so policy
auto-discovery never picks up a file from elsewhere.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from rich.console import Console
from support.cli import assert_clean, invoke
from typer.testing import Result

from cors_audit import __version__
from cors_audit.app import scan as scan_module
from cors_audit.cli import main as cli
from cors_audit.cli import terminal as cli_terminal
from cors_audit.demo import lab as demo
from cors_audit.demo.lab import (
    DEMO_POLICY_TOML,
    DEMO_SITE_ORIGIN,
    ENDPOINTS,
    DemoLab,
    Endpoint,
    Reply,
    RequestView,
)
from cors_audit.inputs.policy import load_policy
from cors_audit.judging import rules
from cors_audit.judging.rules import RULES, get_rule

APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACMA = "Access-Control-Max-Age"

DEMO_BY_PATH = {endpoint.path: endpoint for endpoint in ENDPOINTS}

pytestmark = pytest.mark.usefixtures("cli_isolated", "scan_in_worker_thread")

Handler = Callable[[RequestView], Reply]


# -- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab() -> Iterator[DemoLab]:
    with DemoLab() as running:
        yield running
        assert running.errors == ()


@pytest.fixture
def serve() -> Iterator[Callable[..., DemoLab]]:
    """Start a loopback server with the given endpoints; closed (and checked) at teardown."""
    started: list[DemoLab] = []

    def start(*endpoints: Endpoint) -> DemoLab:
        server = DemoLab(endpoints=endpoints).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
        assert server.errors == ()


def endpoint(path: str, handler: Handler, method: str = "GET") -> Endpoint:
    return Endpoint(path, path, method, frozenset(), handler)


def write_policy(text: str, name: str = "policy.toml") -> Path:
    path = Path.cwd() / name
    path.write_text(text, encoding="utf-8")
    return path


def run_scan(
    validator: Draft202012Validator,
    *args: str,
    input: str | None = None,
    env: dict[str, str] | None = None,
) -> tuple[Result, dict[str, Any]]:
    """``cors-audit scan ARGS --json out.json``; the JSON report, checked against the schema."""
    out = Path.cwd() / "out.json"
    out.unlink(missing_ok=True)
    result = invoke("scan", *args, "--json", str(out), input=input, env=env)
    assert_clean(result)
    assert out.is_file(), result.output
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    validator.validate(report)
    return result, report


def rule_ids(report: dict[str, Any], url: str | None = None) -> set[str]:
    return {f["rule"] for f in report["findings"] if url is None or f["url"] == url}


def target_of(report: dict[str, Any], url: str) -> dict[str, Any]:
    targets: list[dict[str, Any]] = [t for t in report["targets"] if t["url"] == url]
    assert len(targets) == 1, [t["url"] for t in report["targets"]]
    return targets[0]


def closed_port_url() -> str:
    """A loopback URL nothing listens on: bind a port, then free it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"


# -- server behaviours ---------------------------------------------------------------------------


def nginx_reflect(received: list[RequestView] | None = None) -> Handler:
    """nginx ``add_header Access-Control-Allow-Origin $http_origin;`` and
    ``add_header Access-Control-Allow-Credentials true;`` in front of an application that
    answers every method with 200 (an empty ``$http_origin`` makes nginx drop that line)."""

    def handler(request: RequestView) -> Reply:
        if received is not None:
            received.append(request)
        lines: list[tuple[str, str]] = []
        if request.origin is not None:
            lines.append((ACAO, request.origin))
        lines.append((ACAC, "true"))
        return Reply(200, (("Content-Type", "application/json"), *lines), b'{"user":"alice"}')

    return handler


def allowlist(
    trusted: Sequence[str],
    *,
    methods: str = "GET",
    headers: str | None = None,
    credentials: bool = True,
) -> Handler:
    """An exact allowlist done right: echo a trusted origin only, ``Vary: Origin`` always, a 204
    preflight with fixed method and header lists and a 600 s Max-Age."""

    def handler(request: RequestView) -> Reply:
        origin = request.origin
        lines: list[tuple[str, str]] = []
        if origin is not None and origin in trusted:
            lines.append((ACAO, origin))
            if credentials:
                lines.append((ACAC, "true"))
            if request.method == "OPTIONS":
                lines.append((ACAM, methods))
                if headers is not None:
                    lines.append((ACAH, headers))
                lines.append((ACMA, "600"))
        lines.append(("Vary", "Origin"))
        if request.method == "OPTIONS":
            return Reply(204, tuple(lines))
        return Reply(200, (("Content-Type", "application/json"), *lines), b"{}")

    return handler


def static(lines: Sequence[tuple[str, str]]) -> Handler:
    """The same CORS lines on every reply, whatever the origin (a fixed nginx ``add_header``)."""

    def handler(request: RequestView) -> Reply:
        if request.method == "OPTIONS":
            return Reply(204, (*lines, (ACAM, "GET, POST"), (ACMA, "600")))
        return Reply(200, (("Content-Type", "application/json"), *lines), b"{}")

    return handler


TRUST_APP = 'trusted_origins = ["https://app.example.com"]\nallow_credentials = true\n'


# -- scan of the demo lab: reports and the --fail-on gate ----------------------------------------


def test_scan_writes_json_and_html_reports_that_match_the_schema(
    lab: DemoLab, validator: Draft202012Validator
) -> None:
    # Given the demo policy and the lab's reflecting endpoint, judged as the demo site
    policy = write_policy(DEMO_POLICY_TOML)
    url = lab.url("/reflect-credentials")
    html = Path.cwd() / "reports" / "out.html"

    # When it is scanned with JSON and HTML output
    result, report = run_scan(
        validator,
        url,
        "--policy",
        str(policy),
        "--site-origin",
        DEMO_SITE_ORIGIN,
        "--html",
        str(html),
        "--fail-on",
        "never",
    )

    # Then both files exist, the JSON is schema-valid and holds the expected judgement
    assert result.exit_code == 0, result.output
    assert report["schema_version"] == "1"
    assert report["policy"]["source"] == str(policy)
    assert report["policy"]["policy_free"] is False
    target = target_of(report, url)
    assert target["site_origin"] == DEMO_SITE_ORIGIN
    assert target["policy_free"] is False
    assert rule_ids(report) == {"reflected-origin"}
    (finding,) = report["findings"]
    assert finding["severity"] == "critical"
    assert finding["origin"].startswith("https://")
    assert finding["origin"] != DEMO_SITE_ORIGIN
    page = html.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "reflected-origin" in page
    # And the console names the finding and both report files
    assert "reflected-origin" in result.stdout
    assert f"json report: {Path.cwd() / 'out.json'}" in result.stdout
    assert f"html report: {html}" in result.stdout


@pytest.mark.parametrize(
    ("path", "fail_on", "code"),
    [
        pytest.param("/reflect-credentials", "high", 1, id="critical-finding-fails-high"),
        pytest.param("/reflect-credentials", "critical", 1, id="critical-finding-fails-critical"),
        pytest.param("/reflect-credentials", "HIGH", 1, id="gate-is-case-insensitive"),
        pytest.param("/reflect-credentials", "never", 0, id="never-gate"),
        pytest.param("/no-max-age", "high", 0, id="low-finding-below-high"),
        pytest.param("/no-max-age", "low", 1, id="low-finding-fails-low"),
        pytest.param("/strict", "high", 0, id="clean-target"),
        pytest.param("/strict", "info", 0, id="clean-target-strictest-gate"),
    ],
)
def test_fail_on_gate(
    lab: DemoLab, validator: Draft202012Validator, path: str, fail_on: str, code: int
) -> None:
    policy = write_policy(DEMO_POLICY_TOML)
    result, report = run_scan(
        validator,
        lab.url(path),
        "--policy",
        str(policy),
        "--site-origin",
        DEMO_SITE_ORIGIN,
        "--fail-on",
        fail_on,
    )
    assert result.exit_code == code, result.output
    assert rule_ids(report) == set(DEMO_BY_PATH[path].expected)


def test_fail_on_unknown_value_is_a_usage_error(lab: DemoLab) -> None:
    before = lab.request_count
    result = invoke("scan", lab.url("/strict"), "--fail-on", "bogus")
    assert_clean(result)
    assert result.exit_code == 2
    assert "--fail-on must be one of critical, high, medium, low, info, never" in result.stderr
    assert "'bogus'" in result.stderr
    assert lab.request_count == before  # nothing was sent


def test_browser_mode_spec_is_accepted(lab: DemoLab, validator: Draft202012Validator) -> None:
    policy = write_policy(DEMO_POLICY_TOML)
    result, report = run_scan(
        validator,
        lab.url("/reflect-credentials"),
        "--policy",
        str(policy),
        "--site-origin",
        DEMO_SITE_ORIGIN,
        "--browser-mode",
        "spec",
    )
    assert result.exit_code == 1
    assert rule_ids(report) == {"reflected-origin"}


def test_policy_is_discovered_in_the_working_directory(
    lab: DemoLab, validator: Draft202012Validator
) -> None:
    # Given a cors-policy.toml in the working directory and no --policy
    write_policy(DEMO_POLICY_TOML, "cors-policy.toml")

    # When a trusted-origin-breaking endpoint is scanned
    url = lab.url("/two-origins")
    result, report = run_scan(
        validator, url, "--site-origin", DEMO_SITE_ORIGIN, "--fail-on", "medium"
    )

    # Then the discovered policy was used (trusted-origin-denied needs one)
    assert result.exit_code == 1
    assert report["policy"]["source"].endswith("cors-policy.toml")
    assert target_of(report, url)["policy_free"] is False
    assert "trusted-origin-denied" in rule_ids(report)


# -- acceptance ----------------------------------------------------------------------------------


def test_acceptance_a_nginx_reflection_with_credentials_is_critical(
    serve: Callable[..., DemoLab], validator: Draft202012Validator
) -> None:
    # Given nginx reflecting $http_origin with credentials, and a policy trusting one origin
    server = serve(endpoint("/api/me", nginx_reflect()))
    policy = write_policy(TRUST_APP)
    url = server.url("/api/me")

    # When it is scanned with the default-strength gate
    result, report = run_scan(validator, url, "--policy", str(policy), "--fail-on", "high")

    # Then reflected-origin is reported as critical, with credentials, and the gate fails
    assert result.exit_code == 1, result.output
    reflected = [f for f in report["findings"] if f["rule"] == "reflected-origin"]
    assert len(reflected) == 1
    assert reflected[0]["severity"] == "critical"
    assert reflected[0]["credentialed"] is True
    assert "reflected-origin" in result.stdout
    assert target_of(report, url)["grade"] == "F"


def test_acceptance_b_strict_allowlist_has_no_finding(
    serve: Callable[..., DemoLab], validator: Draft202012Validator
) -> None:
    # Given a server that echoes only the trusted origin, with Vary and a sane preflight
    server = serve(endpoint("/api/me", allowlist([APP])))
    policy = write_policy(TRUST_APP)
    url = server.url("/api/me")

    # When it is scanned
    result, report = run_scan(validator, url, "--policy", str(policy), "--fail-on", "high")

    # Then nothing is found and the run succeeds
    assert result.exit_code == 0, result.output
    assert report["findings"] == []
    target = target_of(report, url)
    assert (target["grade"], target["score"], target["error"]) == ("A", 100, None)
    assert "no findings" in result.stdout


def test_acceptance_c_bad_policy_is_a_clear_usage_error(lab: DemoLab) -> None:
    # Given a policy with an unknown key, an origin with a trailing slash and min > max
    policy = write_policy(
        'trusted_origins = ["https://app.example.com/"]\n'
        'allowed_methodz = ["GET"]\n'
        "max_age = { min = 900, max = 60 }\n"
    )
    before = lab.request_count

    # When a scan is attempted
    result = invoke("scan", lab.url("/strict"), "--policy", str(policy))

    # Then it stops with exit 2 and names file, line, key and what was expected, for each error
    assert_clean(result)
    assert result.exit_code == 2
    err = result.stderr
    assert err.startswith("cors-audit: error: ")
    assert f"{policy}:1: trusted_origins[0]:" in err
    assert "trailing slash" in err
    assert f"{policy}:2: allowed_methodz:" in err
    assert "unknown key" in err
    assert f"{policy}:3: max_age:" in err
    assert err.count("(expected ") >= 3
    assert lab.request_count == before  # nothing was sent
    assert result.stdout == ""


def test_missing_policy_file_is_a_usage_error() -> None:
    result = invoke("scan", "http://127.0.0.1:9/", "--policy", "nope.toml")
    assert_clean(result)
    assert result.exit_code == 2
    assert "nope.toml: policy file not found" in result.stderr


def test_acceptance_d_unreachable_target_exits_3_and_the_rest_is_reported(
    lab: DemoLab, validator: Draft202012Validator
) -> None:
    # Given one target that refuses connections and one that reflects origins
    dead = closed_port_url()
    good = lab.url("/reflect-credentials")
    policy = write_policy(DEMO_POLICY_TOML)
    args = (
        dead,
        good,
        "--policy",
        str(policy),
        "--site-origin",
        DEMO_SITE_ORIGIN,
        "--retries",
        "0",
    )

    # When both are scanned and findings do not gate
    result, report = run_scan(validator, *args, "--fail-on", "never")

    # Then the run exits 3; the dead target carries a connect error, the good one its findings
    assert result.exit_code == 3, result.output
    dead_target = target_of(report, dead)
    assert dead_target["error"]["kind"] == "connect"
    assert dead_target["grade"] != "A"
    good_target = target_of(report, good)
    assert good_target["error"] is None
    assert good_target["findings"] == 1
    assert rule_ids(report, good) == {"reflected-origin"}
    assert rule_ids(report, dead) == set()
    assert report["summary"]["errors"] == 1
    assert "ERROR connect" in result.stdout

    # And --allow-errors turns the scan error into success
    result, report = run_scan(validator, *args, "--fail-on", "never", "--allow-errors")
    assert result.exit_code == 0, result.output
    assert target_of(report, dead)["error"]["kind"] == "connect"

    # And proven findings win over scan errors (1, not 3)
    result, _ = run_scan(validator, *args, "--fail-on", "high")
    assert result.exit_code == 1, result.output


def test_acceptance_e_one_header_listing_two_origins_breaks_trusted_origins(
    serve: Callable[..., DemoLab], validator: Draft202012Validator
) -> None:
    # Given the seed's nginx config: ONE Access-Control-Allow-Origin value naming both origins
    server = serve(endpoint("/api/me", static([(ACAO, f"{APP} {ADMIN}")])))
    policy = write_policy(f'trusted_origins = ["{APP}", "{ADMIN}"]\n')
    url = server.url("/api/me")

    # When it is scanned against a policy trusting both
    result, report = run_scan(validator, url, "--policy", str(policy), "--fail-on", "never")

    # Then the header is invalid and both trusted origins are denied; nothing says "secure"
    assert result.exit_code == 0
    found = rule_ids(report, url)
    assert {"invalid-allow-origin", "trusted-origin-denied"} <= found
    denied = {f["origin"] for f in report["findings"] if f["rule"] == "trusted-origin-denied"}
    assert denied <= {APP, ADMIN}
    assert denied
    target = target_of(report, url)
    assert target["grade"] != "A"
    assert target["score"] < 100
    assert "no findings" not in result.stdout
    assert "secure" not in result.stdout.lower()


@pytest.mark.parametrize(
    ("allow_headers", "expected"),
    [
        pytest.param("content-type, AUTHORIZATION, x-api-key", set(), id="odd-case-is-fine"),
        pytest.param("Content-Type, Authorization, X-Api-Key", set(), id="policy-case"),
        pytest.param(
            "content-type, x-api-key", {"trusted-origin-denied"}, id="control-missing-header"
        ),
    ],
)
def test_acceptance_f_header_names_compare_case_insensitively(
    serve: Callable[..., DemoLab],
    validator: Draft202012Validator,
    allow_headers: str,
    expected: set[str],
) -> None:
    # Given a correct allowlist whose preflight lists the header names in some case
    server = serve(endpoint("/api/me", allowlist([APP], headers=allow_headers)))
    policy = write_policy(
        TRUST_APP + 'allowed_headers = ["Content-Type", "Authorization", "X-Api-Key"]\n'
    )
    url = server.url("/api/me")

    # When it is scanned
    result, report = run_scan(validator, url, "--policy", str(policy), "--fail-on", "never")

    # Then case never matters for header names (BROWSER-MODEL.md §3.3); a missing one does
    assert result.exit_code == 0, result.output
    assert rule_ids(report) == expected
    assert {f["origin"] for f in report["findings"]} <= {APP}


@pytest.mark.parametrize(
    ("allow_methods", "expected"),
    [
        # `patch` is also a method of its own that the policy does not list (byte for byte).
        pytest.param(
            "patch",
            {"trusted-origin-denied", "methods-beyond-policy"},
            id="lowercase-blocks-PATCH",
        ),
        pytest.param("GET, PATCH", set(), id="control-exact-PATCH"),
    ],
)
def test_acceptance_f_methods_compare_byte_for_byte(
    serve: Callable[..., DemoLab],
    validator: Draft202012Validator,
    allow_methods: str,
    expected: set[str],
) -> None:
    # Given a PATCH endpoint whose preflight answers Access-Control-Allow-Methods: <methods>
    server = serve(endpoint("/posts/1", allowlist([APP], methods=allow_methods), method="PATCH"))
    policy = write_policy(TRUST_APP + 'allowed_methods = ["PATCH"]\n')
    url = server.url("/posts/1")

    # When it is scanned as a PATCH target
    result, report = run_scan(
        validator, url, "--method", "PATCH", "--policy", str(policy), "--fail-on", "never"
    )

    # Then `patch` does not allow PATCH: methods match byte for byte (BROWSER-MODEL.md §1.3 m09)
    assert result.exit_code == 0, result.output
    assert target_of(report, url)["method"] == "PATCH"
    assert rule_ids(report) == expected
    assert {f["origin"] for f in report["findings"]} <= {APP}


# -- where targets come from ---------------------------------------------------------------------


def test_target_file_with_comments_method_prefix_and_duplicates(
    lab: DemoLab, validator: Draft202012Validator
) -> None:
    # Given a target file with comments, a METHOD prefix and a duplicate URL
    urls = Path.cwd() / "urls.txt"
    urls.write_text(
        "# the demo lab\n"
        f"{lab.url('/strict')}   # correct\n"
        "\n"
        f"PATCH {lab.url('/posts/20')}\n"
        f"{lab.url('/strict')}\n",
        encoding="utf-8",
    )
    policy = write_policy(DEMO_POLICY_TOML)

    # When it is scanned together with the same URL as an argument
    result, report = run_scan(
        validator,
        lab.url("/strict"),
        "-f",
        str(urls),
        "--policy",
        str(policy),
        "--site-origin",
        DEMO_SITE_ORIGIN,
    )

    # Then each (URL, method) is scanned once, the argument first, with the file's method
    assert result.exit_code == 0, result.output
    assert [(t["url"], t["method"], t["source"]) for t in report["targets"]] == [
        (lab.url("/strict"), "GET", "argument"),
        (lab.url("/posts/20"), "PATCH", f"{urls}:4"),
    ]
    assert report["findings"] == []


def test_targets_from_stdin(lab: DemoLab, validator: Draft202012Validator) -> None:
    # Given URLs piped on stdin
    text = f"# piped\n{lab.url('/strict')}\nGET {lab.url('/reflect-credentials')}\n"

    # When they are read with -f -
    result, report = run_scan(
        validator, "-f", "-", "--fail-on", "never", "--site-origin", DEMO_SITE_ORIGIN, input=text
    )

    # Then both are scanned, named after stdin
    assert result.exit_code == 0, result.output
    assert [(t["url"], t["source"]) for t in report["targets"]] == [
        (lab.url("/strict"), "stdin:2"),
        (lab.url("/reflect-credentials"), "stdin:3"),
    ]
    assert "reflected-origin" in rule_ids(report, lab.url("/reflect-credentials"))


def test_targets_from_the_policy(lab: DemoLab, validator: Draft202012Validator) -> None:
    policy = write_policy(
        DEMO_POLICY_TOML
        + f'\n[[target]]\nurl = "{lab.url("/posts/20")}"\nmethod = "PATCH"\n'
        + f'site_origin = "{DEMO_SITE_ORIGIN}"\n'
    )
    result, report = run_scan(validator, "--policy", str(policy))
    assert result.exit_code == 0, result.output
    assert [(t["url"], t["method"], t["source"]) for t in report["targets"]] == [
        (lab.url("/posts/20"), "PATCH", "policy")
    ]


@pytest.mark.parametrize(
    ("args", "file_text", "message"),
    [
        pytest.param(
            ["ftp://example.com/x"],
            None,
            "argument: invalid target 'ftp://example.com/x': unsupported scheme 'ftp'",
            id="ftp-argument",
        ),
        pytest.param(
            ["http://exa mple.com/"],
            None,
            "invalid target 'http://exa mple.com/'",
            id="space-in-url",
        ),
        pytest.param(
            ["example.com/api"],
            None,
            "did you mean 'https://example.com/api'?",
            id="no-scheme",
        ),
        pytest.param(
            ["-f", "urls.txt"],
            "# ok\nhttp://127.0.0.1:9/ok\nftp://files.example.com/\n",
            "urls.txt:3: invalid target 'ftp://files.example.com/'",
            id="ftp-in-file",
        ),
        pytest.param(
            ["-f", "urls.txt"],
            "http://127.0.0.1:9/ GET\n",
            "urls.txt:1: invalid target",
            id="method-after-url-in-file",
        ),
        pytest.param(
            ["-f", "missing.txt"],
            None,
            "target file 'missing.txt' does not exist",
            id="missing-file",
        ),
        pytest.param([], None, "no targets", id="no-targets"),
        pytest.param(["-f", "urls.txt"], "# only a comment\n\n", "no targets", id="empty-file"),
        pytest.param(
            ["http://127.0.0.1:9/", "--method", "TRACE"],
            None,
            "--method: HTTP method 'TRACE' cannot be sent by a browser",
            id="forbidden-method",
        ),
        pytest.param(
            ["http://127.0.0.1:9/", "--site-origin", "ftp://example.com"],
            None,
            "--site-origin: invalid site origin 'ftp://example.com'",
            id="bad-site-origin",
        ),
    ],
)
def test_bad_targets_are_usage_errors(args: list[str], file_text: str | None, message: str) -> None:
    if file_text is not None:
        Path("urls.txt").write_text(file_text, encoding="utf-8")
    result = invoke("scan", *args)
    assert_clean(result)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.startswith("cors-audit: error: ")


# -- policy-free ---------------------------------------------------------------------------------


def test_no_policy_means_policy_free(lab: DemoLab, validator: Draft202012Validator) -> None:
    # Given no policy anywhere and endpoints that break trusted origins under the demo policy
    urls = [lab.url(p) for p in ("/two-origins", "/wildcard-credentials", "/preflight-only")]
    text = "".join(f"{DEMO_BY_PATH[u.removeprefix(lab.base_url)].method} {u}\n" for u in urls)
    Path("urls.txt").write_text(text, encoding="utf-8")

    # When they are scanned
    result, report = run_scan(
        validator, "-f", "urls.txt", "--site-origin", DEMO_SITE_ORIGIN, "--fail-on", "never", "-v"
    )

    # Then every target is policy-free, says so, and trusted-origin-denied is never reported
    assert result.exit_code == 0, result.output
    assert report["policy"]["policy_free"] is True
    assert report["policy"]["source"] is None
    assert len(report["targets"]) == 3
    for target in report["targets"]:
        assert target["policy_free"] is True
        assert any("No policy was given" in note for note in target["notes"])
    assert "trusted-origin-denied" not in rule_ids(report)
    assert "invalid-allow-origin" in rule_ids(report)  # the scan still judged the replies
    assert "policy-free judgement" in result.stdout
    assert "note: No policy was given" in result.stdout


# -- secrets -------------------------------------------------------------------------------------


def test_credentials_reach_actual_requests_only_and_never_the_output(
    serve: Callable[..., DemoLab], validator: Draft202012Validator
) -> None:
    # Given a reflecting server that records every request, and user credentials
    received: list[RequestView] = []
    server = serve(endpoint("/api/me", nginx_reflect(received)))
    url = server.url("/api/me")
    html = Path.cwd() / "out.html"

    # When it is scanned verbosely with -H and --cookie
    result, report = run_scan(
        validator,
        url,
        "-H",
        "Authorization: Bearer SECRET123",
        "--cookie",
        "session=COOKIESECRET",
        "--html",
        str(html),
        "--fail-on",
        "never",
        "-v",
    )

    # Then every actual request carried them and no preflight did
    assert result.exit_code == 0, result.output
    actual = [r for r in received if r.method != "OPTIONS"]
    preflights = [r for r in received if r.method == "OPTIONS"]
    assert actual
    assert preflights
    # (except the anonymous copies that tell whether an exposed reply is per-user data: one per
    # credentialed request cited as proof, which findings may share)
    anonymous = [r for r in actual if not r.get_all("Authorization")]
    assert 1 <= len(anonymous) <= sum(1 for f in report["findings"] if f["credentialed"])
    assert len(anonymous) == len({(r.method, r.path, r.get_all("Origin")) for r in anonymous})
    assert all(not r.get_all("Cookie") for r in anonymous)
    for request in actual:
        if request in anonymous:
            continue
        assert request.get_all("Authorization") == ("Bearer SECRET123",)
        assert request.get_all("Cookie") == ("session=COOKIESECRET",)
    for request in preflights:
        assert request.get("Authorization") is None
        assert request.get("Cookie") is None

    # And the values appear nowhere in the output, the JSON or the HTML
    json_text = (Path.cwd() / "out.json").read_text(encoding="utf-8")
    html_text = html.read_text(encoding="utf-8")
    for secret in ("SECRET123", "COOKIESECRET"):
        assert secret not in result.output
        assert secret not in json_text
        assert secret not in html_text

    # And the reproduction commands reference the environment variables instead
    credentialed = [f for f in report["findings"] if f["credentialed"]]
    assert credentialed
    curls = [f["curl"] for f in report["findings"]]
    assert any("$CORS_AUDIT_COOKIE" in curl for curl in curls)
    assert "$CORS_AUDIT_COOKIE" in result.stdout
    assert "<redacted>" in json_text


def test_cookie_from_the_environment(
    serve: Callable[..., DemoLab], validator: Draft202012Validator
) -> None:
    received: list[RequestView] = []
    server = serve(endpoint("/api/me", nginx_reflect(received)))
    result, report = run_scan(
        validator,
        server.url("/api/me"),
        "--fail-on",
        "never",
        "-v",
        env={"CORS_AUDIT_COOKIE": "session=ENVSECRET"},
    )
    assert result.exit_code == 0, result.output
    gets = [r.get("Cookie") for r in received if r.method == "GET"]
    # credentialed findings' proofs are re-sent once without the cookie (per-user evidence)
    anonymous = gets.count(None)
    assert 1 <= anonymous <= sum(1 for f in report["findings"] if f["credentialed"])
    assert gets.count("session=ENVSECRET") == len(gets) - anonymous
    assert all(r.get("Cookie") is None for r in received if r.method == "OPTIONS")
    assert "ENVSECRET" not in result.output
    assert "ENVSECRET" not in json.dumps(report)
    assert any("$CORS_AUDIT_COOKIE" in f["curl"] for f in report["findings"])


# -- option validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--rate", "abc"], "--rate must look like 20/s or 20, not 'abc'", id="rate"),
        pytest.param(["--rate", "0"], "--rate must be positive", id="rate-zero"),
        pytest.param(["--rate", "-5/s"], "--rate must be positive", id="rate-negative"),
        pytest.param(["--concurrency", "0"], "--concurrency and --per-host", id="concurrency"),
        pytest.param(["--per-host", "0"], "--concurrency and --per-host", id="per-host"),
        pytest.param(["--timeout", "0"], "--timeout must be positive", id="timeout"),
        pytest.param(["--retries", "-1"], "--retries must be 0 or more", id="retries"),
        pytest.param(["-H", "novalue"], "-H number 1 must look like 'Name: value'", id="h-novalue"),
        pytest.param(["-H", ": x"], "-H number 1 must look like 'Name: value'", id="h-no-name"),
        pytest.param(
            ["-H", "X-Ok: 1", "-H", "Bad Name: 1"], "-H number 2 must look like", id="h-space"
        ),
        pytest.param(["-H", "Origin: x"], "-H Origin is not allowed", id="h-origin"),
        pytest.param(["-H", "origin:x"], "-H Origin is not allowed", id="h-origin-lower"),
        pytest.param(
            ["--browser-mode", "x"], "--browser-mode must be chromium or spec, not 'x'", id="mode"
        ),
        pytest.param(["--fail-on", "severe"], "--fail-on must be one of", id="fail-on"),
        pytest.param(
            ["--cookie", "a=1\x07"], "--cookie: the value contains a line break", id="cookie-ctl"
        ),
    ],
)
def test_invalid_option_values_are_usage_errors(args: list[str], message: str) -> None:
    result = invoke("scan", "http://127.0.0.1:9/", *args)
    assert_clean(result)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""


def test_bad_header_value_is_not_echoed() -> None:
    result = invoke("scan", "http://127.0.0.1:9/", "-H", "X-Token SECRETVALUE")
    assert_clean(result)
    assert result.exit_code == 2
    assert "SECRETVALUE" not in result.output
    assert "-H number 1" in result.stderr


def test_unusable_proxy_is_a_usage_error() -> None:
    result = invoke("scan", "http://127.0.0.1:9/", "--proxy", "ftp://proxy.invalid")
    assert_clean(result)
    assert result.exit_code == 2
    assert "--proxy: not a usable proxy URL" in result.stderr


def test_rate_with_per_second_suffix_is_accepted(
    lab: DemoLab, validator: Draft202012Validator
) -> None:
    result, report = run_scan(
        validator, lab.url("/strict"), "--rate", "1000/s", "--site-origin", DEMO_SITE_ORIGIN
    )
    assert result.exit_code == 0, result.output
    assert report["summary"]["requests"] > 0


def test_report_that_cannot_be_written_is_a_usage_error(lab: DemoLab) -> None:
    Path("blocker").write_text("a file, not a directory", encoding="utf-8")
    result = invoke(
        "scan", lab.url("/strict"), "--site-origin", DEMO_SITE_ORIGIN, "--json", "blocker/r.json"
    )
    assert_clean(result)
    assert result.exit_code == 2
    assert "--json blocker/r.json: blocker is not a directory" in result.stderr


def test_quiet_prints_nothing(lab: DemoLab, validator: Draft202012Validator) -> None:
    result, report = run_scan(validator, lab.url("/strict"), "-q")
    assert result.exit_code == 0
    assert result.output == ""
    assert len(report["targets"]) == 1


def test_progress_bar_on_a_terminal(lab: DemoLab, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given stderr is an interactive terminal
    terminal = Console(stderr=True, force_terminal=True, force_interactive=True, width=100)
    monkeypatch.setattr(cli_terminal, "err", terminal)

    # When a scan runs
    result = invoke("scan", lab.url("/strict"), "--site-origin", DEMO_SITE_ORIGIN)

    # Then the progress bar was drawn on stderr and the report still went to stdout
    assert_clean(result)
    assert result.exit_code == 0
    assert "scanning" in result.stderr
    assert "no findings" in result.stdout


# -- rules, explain, init, version ---------------------------------------------------------------


def test_rules_lists_the_catalogue() -> None:
    result = invoke("rules")
    assert_clean(result)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(RULES)
    for line, rule in zip(lines, RULES, strict=True):
        assert line.split()[:2] == [rule.id, rule.default.value]
        assert line.endswith(rule.title)


def test_explain_prints_why_and_fix() -> None:
    rule = get_rule("reflected-origin")
    result = invoke("explain", "reflected-origin")
    assert_clean(result)
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith(f"reflected-origin — {rule.title}")
    assert f"Why it matters:\n  {rule.why}" in out
    assert f"Fix:\n  {rule.fix}" in out
    assert f"CWE: {rule.cwe}" in out


def test_explain_a_fix_for_a_stack_from_a_policy_file() -> None:
    # The policy's [scan] table is checked like scan checks it (report keys included).
    Path("p.toml").write_text(
        'trusted_origins = ["https://shop.example.com"]\n[scan]\njson = "r.json"\n',
        encoding="utf-8",
    )
    result = invoke("explain", "reflected-origin", "--stack", "nginx", "--policy", "p.toml")
    assert_clean(result)
    assert result.exit_code == 0, result.output
    assert "(nginx, " in result.stdout
    assert "shop.example.com" in result.stdout
    result = invoke("explain", "reflected-origin", "--stack", "cobol")
    assert result.exit_code == 2
    assert "cobol" in result.stderr


def test_explain_unknown_rule_lists_known_rules() -> None:
    result = invoke("explain", "nope")
    assert_clean(result)
    assert result.exit_code == 2
    assert "nope" in result.stderr
    for rule in RULES:
        assert rule.id in result.stderr


def test_init_writes_a_loadable_policy_and_will_not_overwrite() -> None:
    # Given an empty directory
    # When init runs
    result = invoke("init")

    # Then it writes cors-policy.toml that load_policy accepts
    assert_clean(result)
    assert result.exit_code == 0
    path = Path("cors-policy.toml")
    assert "wrote cors-policy.toml" in result.stdout
    policy = load_policy(path)
    assert APP in policy.trusted_origins

    # And a second run refuses to overwrite it
    path.write_text("# edited\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    result = invoke("init")
    assert result.exit_code == 2
    assert "cors-policy.toml already exists (use --force to overwrite)" in result.stderr
    assert path.read_text(encoding="utf-8").startswith("# edited\n")

    # And --force does overwrite it
    result = invoke("init", "--force")
    assert result.exit_code == 0
    assert not path.read_text(encoding="utf-8").startswith("# edited\n")


def test_init_to_a_custom_path_and_an_unwritable_one() -> None:
    result = invoke("init", "custom.toml")
    assert result.exit_code == 0
    load_policy(Path("custom.toml"))
    result = invoke("init", "missing-dir/cors-policy.toml")
    assert_clean(result)
    assert result.exit_code == 2
    assert "cannot write missing-dir/cors-policy.toml" in result.stderr


def test_version() -> None:
    result = invoke("--version")
    assert_clean(result)
    assert result.exit_code == 0
    assert result.stdout == f"cors-audit {__version__}\n"


def test_main_entry_point(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["cors-audit", "--version"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"cors-audit {__version__}\n"


def test_an_internal_error_exits_2_with_one_line_not_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(_results: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(rules, "get_rule", broken)
    monkeypatch.setattr(sys, "argv", ["cors-audit", "explain", "reflected-origin"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err
    assert "Traceback" not in err


def test_python_dash_m() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "cors_audit", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    for command in ("scan", "demo", "rules", "explain", "init"):
        assert command in completed.stdout


# -- demo ----------------------------------------------------------------------------------------


def test_demo_writes_reports_and_judges_every_endpoint(validator: Draft202012Validator) -> None:
    # Given an output directory that does not exist yet
    out = Path.cwd() / "demo-out"

    # When the demo runs
    result = invoke("demo", "--out-dir", str(out))

    # Then it exits 0, writes both reports and every endpoint is judged as the lab expects
    assert_clean(result)
    assert result.exit_code == 0
    assert f"demo: all {len(ENDPOINTS)} lab endpoints judged as expected" in result.stdout
    assert f"(judged as {DEMO_SITE_ORIGIN})" in result.stdout
    assert "Total: grade" in result.stdout  # the scan's summary, then where each file went
    assert f"junit report: {out / 'cors-audit.junit.xml'}" in result.stdout
    report = json.loads((out / "cors-audit.json").read_text(encoding="utf-8"))
    validator.validate(report)
    assert len(report["targets"]) == len(ENDPOINTS)
    assert "reflected-origin" in (out / "cors-audit.html").read_text(encoding="utf-8")


@pytest.fixture
def small_lab(monkeypatch: pytest.MonkeyPatch) -> Callable[[Sequence[Endpoint]], None]:
    """Make ``cors-audit demo`` start a lab with only the given endpoints."""

    def use(endpoints: Sequence[Endpoint]) -> None:
        monkeypatch.setattr(demo, "DemoLab", functools.partial(DemoLab, endpoints=endpoints))

    return use


def test_demo_reports_differences(small_lab: Callable[[Sequence[Endpoint]], None]) -> None:
    # Given a lab whose table wrongly expects /strict to reflect origins
    wrong = replace(DEMO_BY_PATH["/strict"], expected=frozenset({"reflected-origin"}))
    small_lab([wrong, DEMO_BY_PATH["/reflect-credentials"]])

    # When the demo runs
    result = invoke("demo", "--out-dir", "out")

    # Then it still exits 0 but names the endpoint judged differently
    assert_clean(result)
    assert result.exit_code == 0
    assert "demo: 1/2 endpoints judged as expected; differences on: " in result.stdout
    assert result.stdout.rstrip().endswith("/strict")
    assert Path("out/cors-audit.json").is_file()


def test_demo_quiet(small_lab: Callable[[Sequence[Endpoint]], None]) -> None:
    small_lab([DEMO_BY_PATH["/strict"]])
    result = invoke("demo", "--out-dir", "out", "-q")
    assert_clean(result)
    assert result.exit_code == 0
    assert result.output == ""
    assert Path("out/cors-audit.html").is_file()


@pytest.mark.parametrize(
    ("args", "env", "fast"),
    [
        pytest.param([], {}, True, id="default-aiohttp"),
        pytest.param(["--no-fast-transport"], {}, False, id="flag-httpx"),
        pytest.param([], {"CORS_AUDIT_FAST_TRANSPORT": "0"}, False, id="env-httpx"),
        pytest.param(["--fast-transport"], {"CORS_AUDIT_FAST_TRANSPORT": "0"}, True, id="cli-wins"),
    ],
)
def test_transport_choice_reaches_the_engine(
    lab: DemoLab,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    fast: bool,
) -> None:
    seen: list[bool] = []
    real = scan_module.scan

    def recording(*a: Any, **kw: Any) -> Any:
        seen.append(a[2].engine.fast_transport)
        return real(*a, **kw)

    monkeypatch.setattr(scan_module, "scan", recording)
    result = invoke("scan", lab.url("/api/items"), *args, "--json", "r.json", "-q", env=env)
    assert_clean(result)
    assert result.exit_code in (0, 1), result.output
    assert seen == [fast]
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    assert report["summary"]["errors"] == 0  # either transport scans the lab


def test_a_report_that_cannot_be_written_leaves_the_others_untouched(lab: DemoLab) -> None:
    Path("r.json").write_text("previous", encoding="utf-8")
    Path("blocker").write_text("a file, not a directory", encoding="utf-8")
    result = invoke(
        "scan", lab.url("/api/items"), "--json", "r.json", "--html", "blocker/r.html", "-q"
    )
    assert_clean(result)
    assert result.exit_code == 2
    assert "--html blocker/r.html: blocker is not a directory" in result.stderr
    # All or nothing: the JSON report staged first was not renamed into place nor left behind.
    assert Path("r.json").read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in Path().iterdir()) == ["blocker", "r.json"]


def test_reports_are_streamed_to_special_files(lab: DemoLab) -> None:
    # A FIFO (like /dev/stdout in a pipeline) cannot be renamed over: it is written directly.
    fifo = Path("report.fifo")
    os.mkfifo(fifo)
    with ThreadPoolExecutor(max_workers=1) as pool:
        received = pool.submit(fifo.read_text, encoding="utf-8")
        result = invoke("scan", lab.url("/api/items"), "--json", str(fifo), "-q")
        text = received.result(timeout=30)
    assert_clean(result)
    assert result.exit_code in (0, 1)
    assert json.loads(text)["summary"]["targets"] == 1
    assert fifo.is_fifo()
