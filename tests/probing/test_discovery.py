"""Policy-free origin discovery, end to end: a server whose allowlist is written around origins
that are not the scanned target's own (``api.example.com`` trusts ``app.example.com``) gets its
real first-party origins found, attacked and reported ("this server trusts …") in every format,
and ``init --from-report`` drafts them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from support.cli import assert_clean, invoke

from cors_audit.app.scan import ScanOptions, scan
from cors_audit.core.models import OriginClass, Target, TargetResult
from cors_audit.formats import ReportFormat, render
from cors_audit.formats import console as console_format
from cors_audit.inputs.policy import load_policy
from cors_audit.report.build import build_report
from cors_audit.report.model import Report

SITE = "https://api.example.com"
URL = "http://127.0.0.1:9/v1/items"
LABEL = "disc0verya1"

# A hand-written allowlist: an exact app origin, and a regex around the dashboard anchored at the
# start only (``re.match("https://dashboard\.example\.com", origin)``).
DASHBOARD = re.compile(r"https://dashboard\.example\.com")


def allowlist(request: httpx.Request) -> httpx.Response:
    origin = request.headers.get("origin")
    headers: list[tuple[str, str]] = [("Vary", "Origin")]
    if origin is not None and (
        origin == "https://app.example.com" or DASHBOARD.match(origin) is not None
    ):
        headers += [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
        ]
    if request.method == "OPTIONS":
        headers += [("Access-Control-Allow-Methods", "GET, POST")]
        return httpx.Response(204, headers=headers)
    return httpx.Response(200, headers=headers, json={"items": []})


def run(policy_text: str | None, tmp_path: Path) -> TargetResult:
    policy = None
    if policy_text is not None:
        path = tmp_path / "cors-policy.toml"
        path.write_text(policy_text, encoding="utf-8")
        policy = load_policy(path)
    target = Target(url=URL, site_origin=SITE)
    options = ScanOptions(label=LABEL, keep_exchanges=True)
    (result,) = scan([target], policy, options, transport=httpx.MockTransport(allowlist))
    return result


def report_of(result: TargetResult) -> Report:
    now = datetime.now(UTC)
    return build_report([result], policy={}, started_at=now, finished_at=now)


def test_discovery_finds_the_first_party_origins_and_attacks_them(tmp_path: Path) -> None:
    # Given no policy (the target's own origin is the only one trusted, and the server does not
    # admit it)
    result = run(None, tmp_path)

    # Then discovery found both first-party origins the allowlist is written around
    assert result.observed is not None
    assert result.observed.discovered == (
        "https://app.example.com",
        "https://dashboard.example.com",
    )
    # And the start-anchored regex was attacked from the dashboard origin it was found around
    rules = {f.rule for f in result.findings}
    assert "prefix-match" in rules
    prefix = next(f for f in result.findings if f.rule == "prefix-match")
    assert prefix.origin == f"https://dashboard.example.com.{LABEL}-attacker.net"
    assert prefix.credentialed
    # Without a policy an admitted first-party origin is not a finding
    assert "origin-beyond-policy" not in rules
    # And the candidates went out as one cheap probe each (a GET: the actual request only)
    candidates = [
        e
        for e in result.exchanges
        if e.probe.origin is not None and e.probe.origin.cls is OriginClass.FIRST_PARTY
    ]
    assert len(candidates) == len({e.probe.origin.value for e in candidates if e.probe.origin})
    assert all(not e.probe.is_preflight for e in candidates)
    assert result.requests <= 45


def test_with_a_policy_an_admitted_origin_it_does_not_list_is_reported(tmp_path: Path) -> None:
    # Given a policy that trusts only the app origin
    result = run(
        'trusted_origins = ["https://app.example.com"]\nallow_credentials = true\n', tmp_path
    )

    # Then the dashboard origin the server also admits is origin-beyond-policy, with credentials
    beyond = [f for f in result.findings if f.rule == "origin-beyond-policy"]
    assert [f.origin for f in beyond] == ["https://dashboard.example.com"]
    assert beyond[0].credentialed
    assert beyond[0].severity.value == "medium"
    assert "prefix-match" in {f.rule for f in result.findings}


def test_the_discovered_allowlist_is_in_json_html_and_console(tmp_path: Path) -> None:
    report = report_of(run(None, tmp_path))
    (target,) = report.targets
    assert target.observed is not None
    assert target.observed.discovered == [
        "https://app.example.com",
        "https://dashboard.example.com",
    ]
    assert '"discovered"' in render(ReportFormat.JSON, report)
    html = render(ReportFormat.HTML, report)
    assert "this server trusts" in html
    assert "https://dashboard.example.com" in html
    text = console_format.render(report)
    trusts = [line for line in text.splitlines() if "trusts:" in line]
    assert trusts == ["         trusts: https://app.example.com, https://dashboard.example.com"]


@pytest.mark.usefixtures("cli_isolated")
def test_init_from_report_drafts_the_discovered_origins(tmp_path: Path) -> None:
    report = report_of(run(None, tmp_path))
    Path("today.json").write_text(render(ReportFormat.JSON, report), encoding="utf-8")

    result = invoke("init", "drafted.toml", "--from-report", "today.json")

    assert_clean(result)
    assert result.exit_code == 0, result.output
    text = Path("drafted.toml").read_text(encoding="utf-8")
    policy = load_policy(Path("drafted.toml"))
    assert set(policy.trusted_origins) == {
        "https://app.example.com",
        "https://dashboard.example.com",
    }
    assert "found by discovery" in text
    # The attacker origin that got in stays a commented-out, flagged line
    assert f'# "https://dashboard.example.com.{LABEL}-attacker.net"' in text
