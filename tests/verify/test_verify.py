"""Tests for real-browser confirmation (`cors_audit.verify.replay`).

The plan (which fetch checks which finding), the verdict table, binary lookup and resolver rules
need no browser. The `browser`-marked tests scan the demo lab on 127.0.0.1 and replay its
findings in a real Chromium: every critical/high finding must be confirmed (issue 5's acceptance
criterion), and findings edited to claim something false must come back not reproduced.
Without Playwright or a Chromium binary they skip with the reason.
"""

from __future__ import annotations

import importlib.util
import json
import re
import socket
import stat
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.chromium import HAS_PLAYWRIGHT, NO_PLAYWRIGHT, chromium_or_none, needs_chromium

from cors_audit.app.scan import ScanOptions, scan
from cors_audit.core.models import Severity, Target
from cors_audit.demo.lab import (
    DEMO_POLICY_TOML,
    DEMO_SITE_ORIGIN,
    DemoLab,
    Endpoint,
    Reply,
    RequestView,
    respond,
)
from cors_audit.inputs.policy import load_policy
from cors_audit.judging.rules.catalogue import RULES
from cors_audit.report.build import build_report
from cors_audit.report.model import FindingModel, Report, VerificationModel
from cors_audit.sending.engine import EngineOptions
from cors_audit.verify import chromium
from cors_audit.verify import plan as verify_plan
from cors_audit.verify import replay as verify
from cors_audit.verify.replay import (
    FALLBACK_ORIGIN,
    BrowserUnavailable,
    Claim,
    Outcome,
    PageScheme,
    Plan,
    PlanError,
    browser_name,
    find_chromium,
    judge,
    plan_finding,
    resolver_rules,
    verify_findings,
)

UNOBSERVABLE = frozenset(
    {"missing-vary-origin", "missing-max-age", "max-age-out-of-range", "preflight-actual-mismatch"}
)
"""Rules with no browser-observable outcome: they get no verification entry."""

BROWSER_RE = re.compile(r"^Chromium \d+\.\d+\.\d+\.\d+$")
CHROMIUM = chromium_or_none()
needs_playwright = pytest.mark.skipif(not HAS_PLAYWRIGHT, reason=NO_PLAYWRIGHT)
browser_test = needs_chromium
"""Marks a test as needing a real Chromium; skipped with the reason when there is none."""


# -- fixtures: one demo lab and one scan per module --------------------------------------------


def _lab_transport(request: httpx.Request) -> httpx.Response:
    # The lab's pure `respond`: the same replies as the live lab, without the socket round trips
    # (the browser tests then fetch the live lab at the same URLs).
    view = RequestView(
        request.method,
        request.url.path,
        tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw),
    )
    reply = respond(view)
    return httpx.Response(reply.status, headers=list(reply.headers), content=reply.body)


def _scan(lab: DemoLab, tmp: Path) -> Report:
    policy_path = tmp / "cors-policy.toml"
    policy_path.write_text(DEMO_POLICY_TOML, encoding="utf-8")
    targets = [Target(url=u, method=m, site_origin=DEMO_SITE_ORIGIN) for u, m in lab.urls()]
    now = datetime.now(UTC)
    results = scan(
        targets,
        load_policy(policy_path),
        ScanOptions(engine=EngineOptions(retries=0)),
        transport=httpx.MockTransport(_lab_transport),
    )
    return build_report(results, policy={}, started_at=now, finished_at=now)


@pytest.fixture(scope="module")
def lab() -> Iterator[DemoLab]:
    with DemoLab() as running:
        yield running


@pytest.fixture(scope="module")
def report(lab: DemoLab, tmp_path_factory: pytest.TempPathFactory) -> Report:
    return _scan(lab, tmp_path_factory.mktemp("verify"))


def find(report: Report, path: str, rule: str, origin: str | None = "") -> FindingModel:
    """The finding of ``rule`` on ``path`` (and ``origin`` when given)."""
    for f in report.findings:
        if f.url.endswith(path) and f.rule == rule and (origin == "" or f.origin == origin):
            return f
    raise AssertionError(f"no {rule} finding on {path} ({origin or 'any origin'})")


def moved(finding: FindingModel, lab: DemoLab, path: str, **changes: Any) -> FindingModel:
    """``finding`` edited to claim the same about another lab path (a fresh fingerprint)."""
    update = {"url": lab.url(path), "fingerprint": f"{finding.fingerprint}->{path}", **changes}
    return finding.model_copy(update=update)


# -- the plan ----------------------------------------------------------------------------------


def test_every_catalogue_rule_has_a_verification_decision() -> None:
    planned = verify.READ_RULES | verify.DENIED_RULES | verify.SENT_RULES | verify.EXPOSED_RULES
    ids = {rule.id for rule in RULES}
    assert planned | UNOBSERVABLE == ids
    assert not planned & UNOBSERVABLE


@pytest.mark.parametrize(
    ("path", "rule", "claim", "method", "credentials", "origin"),
    [
        pytest.param(
            "/reflect-credentials",
            "reflected-origin",
            Claim.READ,
            "GET",
            "include",
            None,
            id="reflected-credentialed",
        ),
        pytest.param(
            "/anon/reflect-no-vary",
            "reflected-origin",
            Claim.READ,
            "GET",
            "omit",
            None,
            id="reflected-anon",
        ),
        pytest.param("/null", "null-origin", Claim.READ, "GET", "include", "null", id="null"),
        pytest.param(
            "/insecure-scheme",
            "insecure-scheme",
            Claim.READ,
            "GET",
            "include",
            "http://app.example.com",
            id="insecure-scheme",
        ),
        pytest.param(
            "/wildcard-credentials",
            "wildcard-origin",
            Claim.READ,
            "GET",
            "omit",
            None,
            id="wildcard-omit",
        ),
        pytest.param(
            "/anon/credentials",
            "credentials-beyond-policy",
            Claim.READ,
            "GET",
            "include",
            "https://app.example.com",
            id="credentials-beyond-policy",
        ),
        pytest.param(
            "/wildcard-credentials",
            "trusted-origin-denied",
            Claim.DENIED,
            "GET",
            "include",
            None,
            id="denied-wildcard-include",
        ),
        pytest.param(
            "/preflight-only",
            "trusted-origin-denied",
            Claim.DENIED,
            "PATCH",
            "include",
            None,
            id="denied-patch",
        ),
        pytest.param(
            "/two-origins",
            "invalid-allow-origin",
            Claim.DENIED,
            "GET",
            "omit",
            "https://app.example.com",
            id="invalid-origin-from-evidence",
        ),
        pytest.param(
            "/wildcard-credentials",
            "credentials-with-wildcard",
            Claim.DENIED,
            "GET",
            "include",
            "https://app.example.com",
            id="credentials-with-wildcard",
        ),
        pytest.param(
            "/methods-broad",
            "methods-beyond-policy",
            Claim.SENT,
            "DELETE",
            "omit",
            "https://app.example.com",
            id="methods-beyond-policy",
        ),
        pytest.param(
            "/headers-reflect",
            "headers-beyond-policy",
            Claim.SENT,
            "GET",
            "omit",
            "https://app.example.com",
            id="headers-beyond-policy",
        ),
        pytest.param(
            "/expose-token",
            "sensitive-exposed-headers",
            Claim.EXPOSED,
            "GET",
            "omit",
            "https://app.example.com",
            id="sensitive-exposed-headers",
        ),
    ],
)
def test_plan_for_demo_findings(
    report: Report,
    path: str,
    rule: str,
    claim: Claim,
    method: str,
    credentials: str,
    origin: str | None,
) -> None:
    finding = find(report, path, rule)
    plan = plan_finding(finding)
    assert plan is not None
    assert (plan.claim, plan.method, plan.credentials) == (claim, method, credentials)
    assert plan.origin == (origin or finding.origin)
    assert plan.url == finding.url
    assert plan.fingerprint == finding.fingerprint


def test_a_latent_finding_is_not_replayed(report: Report) -> None:
    # It applies only once Access-Control-Allow-Origin is fixed: nothing a browser shows today
    finding = find(report, "/headers-reflect", "headers-beyond-policy")
    assert plan_finding(finding) is not None
    assert plan_finding(finding.model_copy(update={"latent": True})) is None


def test_plan_headers_come_from_the_beyond_policy_preflight(report: Report) -> None:
    plan = plan_finding(find(report, "/headers-reflect", "headers-beyond-policy"))
    assert plan is not None
    names = [name for name, _ in plan.headers]
    # The policy's headers and the made-up x-<label> one, sorted as Chromium sends them (where
    # the random label sorts varies from run to run)
    assert names == sorted(names)
    made_up = [n for n in names if n not in ("authorization", "content-type", "x-api-key")]
    assert [n for n in names if n not in made_up] == ["authorization", "content-type", "x-api-key"]
    assert len(made_up) == 1
    assert re.fullmatch(r"x-[a-z0-9]+", made_up[0])
    assert dict(plan.headers)["content-type"] == "application/json"
    assert dict(plan.headers)[made_up[0]] == "1"


def test_plan_exposed_names_come_from_the_evidence(report: Report) -> None:
    plan = plan_finding(find(report, "/expose-token", "sensitive-exposed-headers"))
    assert plan is not None
    assert plan.exposed == ("authorization", "x-auth-token")


def test_plan_skips_evidence_without_a_response(report: Report) -> None:
    finding = find(report, "/expose-token", "sensitive-exposed-headers")
    evidence = [finding.evidence[0].model_copy(update={"response": None}), *finding.evidence[1:]]
    plan = plan_finding(finding.model_copy(update={"evidence": evidence}))
    assert plan is not None
    assert plan.exposed == ("authorization", "x-auth-token")


def test_private_network_plan_says_acapn_is_not_consulted(report: Report) -> None:
    plan = plan_finding(find(report, "/pna", "private-network-allowed"))
    assert plan is not None
    assert plan.claim is Claim.READ
    assert "Local Network Access" in plan.note


@pytest.mark.parametrize("rule", sorted(UNOBSERVABLE))
def test_unobservable_rules_get_no_plan(report: Report, rule: str) -> None:
    finding = next(f for f in report.findings if f.rule == rule)
    assert plan_finding(finding) is None


def test_breakage_without_any_origin_uses_a_neutral_page(report: Report) -> None:
    finding = find(report, "/two-origins", "invalid-allow-origin")
    bare = finding.model_copy(update={"origin": None, "evidence": []})
    plan = plan_finding(bare)
    assert plan is not None
    assert plan.origin == FALLBACK_ORIGIN


def _strip_request_header(finding: FindingModel, name: str) -> FindingModel:
    evidence = [
        e.model_copy(
            update={
                "request": e.request.model_copy(
                    update={"headers": [h for h in e.request.headers if h.name != name]}
                )
            }
        )
        for e in finding.evidence
    ]
    return finding.model_copy(update={"evidence": evidence})


@pytest.mark.parametrize(
    ("path", "rule", "edit", "message"),
    [
        pytest.param(
            "/reflect-credentials",
            "reflected-origin",
            lambda f: f.model_copy(update={"origin": None}),
            "names no origin",
            id="read-without-origin",
        ),
        pytest.param(
            "/methods-broad",
            "methods-beyond-policy",
            lambda f: f.model_copy(update={"evidence": []}),
            "no preflight evidence",
            id="sent-without-preflight",
        ),
        pytest.param(
            "/methods-broad",
            "methods-beyond-policy",
            lambda f: _strip_request_header(f, "Access-Control-Request-Method"),
            "no Access-Control-Request-Method",
            id="methods-without-acrm",
        ),
        pytest.param(
            "/headers-reflect",
            "headers-beyond-policy",
            lambda f: _strip_request_header(f, "Access-Control-Request-Headers"),
            "no Access-Control-Request-Headers",
            id="headers-without-acrh",
        ),
        pytest.param(
            "/expose-token",
            "sensitive-exposed-headers",
            lambda f: f.model_copy(update={"evidence": []}),
            "no Access-Control-Expose-Headers",
            id="exposed-without-aceh",
        ),
        pytest.param(
            "/reflect-credentials",
            "reflected-origin",
            lambda f: f.model_copy(update={"origin": f.url.rsplit("/", 1)[0]}),
            "the target's own origin",
            id="same-origin",
        ),
    ],
)
def test_unreplayable_findings_raise_plan_error(
    report: Report, path: str, rule: str, edit: Any, message: str
) -> None:
    with pytest.raises(PlanError, match=re.escape(message)):
        plan_finding(edit(find(report, path, rule)))


# -- the verdict -------------------------------------------------------------------------------


def _plan(claim: Claim, **changes: Any) -> Plan:
    base: dict[str, Any] = {
        "fingerprint": "fp",
        "rule": "reflected-origin",
        "claim": claim,
        "origin": "https://x.attacker.example",
        "url": "http://127.0.0.1:9/x",
        "method": "GET",
        "headers": (),
        "credentials": "include",
    }
    base.update(changes)
    return Plan(**base)


OK = Outcome("ok", status=200, readable=("content-type", "x-auth-token"))
BLOCKED = Outcome("network-error", message="TypeError", cors_error="AllowOriginMismatch")


@pytest.mark.parametrize(
    ("plan", "outcome", "result", "cors_error", "detail"),
    [
        pytest.param(_plan(Claim.READ), OK, "confirmed", None, "read the response (HTTP 200)"),
        pytest.param(
            _plan(Claim.READ, origin="null"),
            OK,
            "confirmed",
            None,
            "sandboxed iframe (Origin: null)",
        ),
        pytest.param(
            _plan(Claim.READ), BLOCKED, "not-reproduced", "AllowOriginMismatch", "blocked"
        ),
        pytest.param(_plan(Claim.DENIED), BLOCKED, "confirmed", "AllowOriginMismatch", "blocked"),
        pytest.param(_plan(Claim.DENIED), OK, "not-reproduced", None, "let a page on"),
        pytest.param(_plan(Claim.SENT), OK, "confirmed", None, "preflight passed"),
        pytest.param(
            _plan(Claim.SENT, headers=(("x-a", "1"),)),
            Outcome("network-error", cors_error="HeaderDisallowedByPreflightResponse"),
            "not-reproduced",
            "HeaderDisallowedByPreflightResponse",
            "and headers x-a",
        ),
        pytest.param(
            _plan(Claim.SENT),
            Outcome("network-error", cors_error="PreflightMissingAllowOriginHeader"),
            "not-reproduced",
            "PreflightMissingAllowOriginHeader",
            "preflight blocked",
        ),
        pytest.param(
            _plan(Claim.SENT),
            Outcome("network-error", cors_error="MissingAllowOriginHeader"),
            "confirmed",
            "MissingAllowOriginHeader",
            "then blocked",
        ),
        pytest.param(
            _plan(Claim.EXPOSED, exposed=("authorization", "x-auth-token")),
            OK,
            "confirmed",
            None,
            "x-auth-token",
        ),
        pytest.param(
            _plan(Claim.EXPOSED, exposed=("authorization",)),
            OK,
            "not-reproduced",
            None,
            "none of the exposed headers",
        ),
        pytest.param(
            _plan(Claim.EXPOSED, exposed=("x-auth-token",)),
            BLOCKED,
            "not-reproduced",
            "AllowOriginMismatch",
            "blocked",
        ),
        pytest.param(
            _plan(Claim.READ),
            Outcome("network-error", net_error="net::ERR_CONNECTION_REFUSED"),
            "error",
            None,
            "without a CORS verdict (net::ERR_CONNECTION_REFUSED)",
        ),
        pytest.param(
            _plan(Claim.DENIED),
            Outcome("network-error", blocked_reason="mixed-content"),
            "error",
            None,
            "(mixed-content)",
        ),
        pytest.param(
            _plan(Claim.READ),
            Outcome("timeout", message="no answer in 10 ms"),
            "error",
            None,
            "no answer in 10 ms",
        ),
        pytest.param(
            _plan(Claim.READ),
            Outcome("exception", message="TypeError: bad header"),
            "error",
            None,
            "threw before reaching the network",
        ),
        pytest.param(
            _plan(Claim.READ),
            Outcome("setup-error", message="Error: boom"),
            "error",
            None,
            "could not set up a page on https://x.attacker.example: Error: boom",
        ),
    ],
)
def test_judge(
    plan: Plan, outcome: Outcome, result: str, cors_error: str | None, detail: str
) -> None:
    verdict = judge(plan, outcome, "Chromium 156.0.1.2")
    assert verdict.result == result
    assert verdict.cors_error == cors_error
    assert detail in verdict.detail
    assert verdict.browser == "Chromium 156.0.1.2"


def test_judge_appends_the_plan_note() -> None:
    verdict = judge(_plan(Claim.READ, note=" NOTE."), OK, "Chromium 1.2.3.4")
    assert verdict.detail.endswith(" NOTE.")


# -- the browser binary, Playwright, version, resolver rules -----------------------------------


def _assert_install_hint(message: str) -> None:
    assert "pip install 'cors-audit[browser]'" in message
    assert "apt-get install chromium" in message
    assert "CORS_AUDIT_CHROMIUM" in message


def test_bogus_chromium_path_is_browser_unavailable(report: Report) -> None:
    with pytest.raises(BrowserUnavailable) as caught:
        verify_findings(report.findings, chromium="/nonexistent/chromium")
    message = str(caught.value)
    assert "'/nonexistent/chromium' not found" in message
    _assert_install_hint(message)


def test_bogus_env_chromium_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_AUDIT_CHROMIUM", "/nonexistent/chrome")
    with pytest.raises(BrowserUnavailable, match=r"^\$CORS_AUDIT_CHROMIUM: Chromium binary"):
        find_chromium()


def test_no_chromium_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CORS_AUDIT_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BrowserUnavailable, match="no Chromium binary on PATH") as caught:
        find_chromium()
    _assert_install_hint(str(caught.value))


def _executable(path: Path, text: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_chromium_lookup_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    on_path = _executable(tmp_path / "chromium-browser")
    chosen = _executable(tmp_path / "my-chrome")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CORS_AUDIT_CHROMIUM", raising=False)
    assert find_chromium() == str(on_path)
    assert find_chromium("my-chrome") == str(chosen)  # a name is looked up on PATH
    monkeypatch.setenv("CORS_AUDIT_CHROMIUM", str(chosen))
    assert find_chromium() == str(chosen)
    assert find_chromium(str(on_path)) == str(on_path)  # the argument wins over the variable


def test_missing_playwright_is_browser_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "playwright" else real(name, *a),
    )
    with pytest.raises(BrowserUnavailable, match="playwright is not installed") as caught:
        verify.require_playwright()
    _assert_install_hint(str(caught.value))


@pytest.mark.parametrize(
    ("product", "executable", "name"),
    [
        pytest.param(
            "Chrome/156.0.8078.108", "/usr/bin/chromium", "Chromium 156.0.8078.108", id="chromium"
        ),
        pytest.param(
            "HeadlessChrome/156.0.1.2", "/opt/google-chrome", "Google Chrome 156.0.1.2", id="gc"
        ),
        pytest.param("156.0.1.2", "/usr/bin/chromium", "Chromium 156.0.1.2", id="bare"),
    ],
)
def test_browser_name(product: str, executable: str, name: str) -> None:
    assert browser_name(product, executable) == name


def test_resolver_rules_map_targets_and_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"api.internal": "10.1.2.3", "v6.internal": "fd00::5"}

    def fake_getaddrinfo(host: str, port: int, **_: Any) -> list[Any]:
        if host not in answers:
            raise socket.gaierror(-2, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    rules, failed = resolver_rules(
        [
            "http://127.0.0.1:8000/a",
            "http://127.0.0.1:8000/b",
            "http://[::1]:8000/c",
            "https://API.internal/d",
            "http://v6.internal:8080/e",
            "https://gone.internal/f",
        ]
    )
    assert rules == (
        "EXCLUDE 127.0.0.1, EXCLUDE ::1, EXCLUDE [::1], MAP api.internal 10.1.2.3, "
        "MAP v6.internal [fd00::5], MAP * ~NOTFOUND"
    )
    assert list(failed) == ["gone.internal"]
    assert "cannot resolve gone.internal" in failed["gone.internal"]


@needs_playwright
def test_only_unobservable_findings_start_no_browser(report: Report, tmp_path: Path) -> None:
    # A binary that would fail if started: nothing to replay, so it never is.
    never = _executable(tmp_path / "chromium", "#!/bin/sh\nexit 7\n")
    unobservable = [f for f in report.findings if f.rule in UNOBSERVABLE]
    broken = find(report, "/reflect-credentials", "reflected-origin").model_copy(
        update={"origin": None}
    )
    results = verify_findings([*unobservable, broken], chromium=str(never))
    assert list(results) == [broken.fingerprint]
    assert results[broken.fingerprint].result == "error"
    assert "names no origin" in results[broken.fingerprint].detail


@needs_playwright
@pytest.mark.parametrize(("insecure", "flag"), [(True, True), (False, False)])
def test_insecure_accepts_invalid_certificates_only_when_asked(
    report: Report, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, insecure: bool, flag: bool
) -> None:
    seen: list[Sequence[str]] = []

    @contextmanager
    def fake_launch(_: Any, __: str, flags: Sequence[str], ___: float) -> Iterator[Any]:
        seen.append(flags)
        raise BrowserUnavailable("stop here")
        yield  # pragma: no cover - a generator that never gets this far

    monkeypatch.setattr(verify, "launch_chromium", fake_launch)
    finding = find(report, "/reflect-credentials", "reflected-origin")
    with pytest.raises(BrowserUnavailable, match="stop here"):
        verify_findings([finding], chromium=str(_executable(tmp_path / "c")), insecure=insecure)
    assert ("--ignore-certificate-errors" in seen[0]) is flag
    assert seen[0][0].startswith("--host-resolver-rules=EXCLUDE 127.0.0.1")


# -- the CDP bookkeeping -----------------------------------------------------------------------


class _FakeSession:
    def __init__(self) -> None:
        self.handlers: dict[str, Any] = {}

    def on(self, event: str, handler: Any) -> None:
        self.handlers[event] = handler

    def send(self, method: str) -> None:
        assert method == "Network.enable"


def _group(raw: list[dict[str, Any]]) -> tuple[verify._Group, _FakeSession]:
    session = _FakeSession()
    events = chromium.NetworkEvents(session)  # type: ignore[arg-type]
    group = verify._Group("https://a.example", [], events=events, raw=raw)
    return group, session


def test_request_ids_follow_the_job_order() -> None:
    url = "http://127.0.0.1:9/x"
    raw = [
        {"outcome": "ok", "key": url},
        {"outcome": "exception", "key": url},
        {"outcome": "network-error", "key": url},
        {"outcome": "timeout", "key": "http://127.0.0.1:9/never-sent"},
    ]
    group, session = _group(raw)
    announce = session.handlers["Network.requestWillBeSent"]
    fail = session.handlers["Network.loadingFailed"]
    assert verify._request_ids(group) is None  # nothing announced yet
    announce({"type": "Fetch", "requestId": "1", "request": {"url": url}})
    announce({"type": "Fetch", "requestId": "1", "request": {"url": url}, "redirectResponse": {}})
    announce({"type": "Preflight", "requestId": "p", "request": {"url": url}})
    announce({"type": "Fetch", "requestId": "2", "request": {"url": url}})
    assert verify._request_ids(group) is None  # request 2 failed, but its event is pending
    fail({"requestId": "2", "corsErrorStatus": {"corsError": "AllowOriginMismatch"}})
    assert verify._request_ids(group) == ["1", None, "2", None]
    assert verify._outcome(raw[2], group.events.failed["2"]).cors_error == "AllowOriginMismatch"  # type: ignore[union-attr]


def test_outcome_of_a_readable_response() -> None:
    outcome = verify._outcome({"outcome": "ok", "status": 204, "readable": ["x-a"]}, None)
    assert outcome == Outcome("ok", status=204, readable=("x-a",))


def test_outcome_of_a_failure_without_events() -> None:
    outcome = verify._outcome({"outcome": "network-error", "message": "TypeError: x"}, None)
    assert outcome == Outcome("network-error", message="TypeError: x")


# -- Chromium that does not start (needs Playwright only) --------------------------------------


@needs_playwright
@pytest.mark.parametrize(
    ("script", "mode", "message"),
    [
        pytest.param("#!/bin/sh\nexit 3\n", 0o755, "exited with status 3", id="exits"),
        pytest.param("#!/bin/sh\nexit 0\n", 0o644, "cannot start Chromium", id="not-executable"),
        pytest.param("#!/bin/sh\nexec sleep 30\n", 0o755, "did not open its DevTools", id="mute"),
    ],
)
def test_chromium_that_does_not_start_is_browser_unavailable(
    report: Report,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    script: str,
    mode: int,
    message: str,
) -> None:
    monkeypatch.setattr(chromium, "START_TIMEOUT_S", 0.3)
    binary = tmp_path / "chromium"
    binary.write_text(script, encoding="utf-8")
    binary.chmod(mode)
    finding = find(report, "/reflect-credentials", "reflected-origin")
    with pytest.raises(BrowserUnavailable, match=message):
        verify_findings([finding], chromium=str(binary), timeout=0.1)


# -- real Chromium ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def verified(report: Report) -> dict[str, VerificationModel]:
    if not HAS_PLAYWRIGHT or CHROMIUM is None:
        pytest.skip("needs playwright and a Chromium binary")
    return verify_findings(report.findings)


@browser_test
@pytest.mark.parametrize("severity", [Severity.CRITICAL, Severity.HIGH])
def test_every_critical_and_high_demo_finding_is_confirmed(
    report: Report, verified: dict[str, VerificationModel], severity: Severity
) -> None:
    chosen = [f for f in report.findings if f.severity is severity]
    assert chosen, f"the demo lab has {severity} findings"
    failures = {
        f"{f.rule} {f.url} {f.origin}": verified.get(f.fingerprint)
        for f in chosen
        if f.fingerprint not in verified or verified[f.fingerprint].result != "confirmed"
    }
    assert failures == {}


@browser_test
def test_every_observable_demo_finding_is_confirmed(
    report: Report, verified: dict[str, VerificationModel]
) -> None:
    observable = [f for f in report.findings if f.rule not in UNOBSERVABLE]
    assert {f.fingerprint for f in observable} == set(verified)
    wrong = {
        f"{f.rule} {f.url} {f.origin}": verified[f.fingerprint].detail
        for f in observable
        if verified[f.fingerprint].result != "confirmed"
    }
    assert wrong == {}
    assert all(BROWSER_RE.match(v.browser) for v in verified.values())


@browser_test
@pytest.mark.parametrize("origin", ["https://app.example.com", "https://admin.example.com"])
def test_trusted_origin_denied_on_two_origins_is_confirmed(
    report: Report, verified: dict[str, VerificationModel], origin: str
) -> None:
    finding = find(report, "/two-origins", "trusted-origin-denied", origin)
    result = verified[finding.fingerprint]
    assert (result.result, result.cors_error) == ("confirmed", "MultipleAllowOriginValues")
    assert origin in result.detail


@browser_test
def test_methods_beyond_policy_is_confirmed_by_the_sent_delete(
    report: Report, verified: dict[str, VerificationModel]
) -> None:
    result = verified[find(report, "/methods-broad", "methods-beyond-policy").fingerprint]
    # The lab answers DELETE with a 405 without CORS headers: the preflight passed, so the
    # browser sent it, and only the response was blocked.
    assert (result.result, result.cors_error) == ("confirmed", "MissingAllowOriginHeader")
    assert "sent DELETE" in result.detail


@pytest.fixture(scope="module")
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (so nobody else gets it), not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture(scope="module")
def false_claims(
    report: Report, lab: DemoLab, closed_port: int
) -> dict[str, tuple[FindingModel, str, str | None]]:
    """Findings edited to claim something the lab does not do, with the verdict expected."""
    prefix = find(report, "/prefix", "prefix-match")
    return {
        "foreign-origin": (
            prefix.model_copy(
                update={"origin": "https://evil.example", "fingerprint": "foreign-origin"}
            ),
            "not-reproduced",
            "MissingAllowOriginHeader",
        ),
        "null-on-strict": (
            moved(find(report, "/null", "null-origin"), lab, "/strict"),
            "not-reproduced",
            "MissingAllowOriginHeader",
        ),
        "denied-on-strict": (
            moved(
                find(report, "/two-origins", "trusted-origin-denied", "https://app.example.com"),
                lab,
                "/strict",
            ),
            "not-reproduced",
            None,
        ),
        "methods-on-strict": (
            moved(find(report, "/methods-broad", "methods-beyond-policy"), lab, "/strict"),
            "not-reproduced",
            "MethodDisallowedByPreflightResponse",
        ),
        "headers-on-strict": (
            moved(find(report, "/headers-reflect", "headers-beyond-policy"), lab, "/strict"),
            "not-reproduced",
            "HeaderDisallowedByPreflightResponse",
        ),
        "exposed-on-strict": (
            moved(find(report, "/expose-token", "sensitive-exposed-headers"), lab, "/strict"),
            "not-reproduced",
            None,
        ),
        "credentialed-wildcard": (
            moved(
                find(report, "/anon/credentials", "credentials-beyond-policy"),
                lab,
                "/anon/wildcard",
            ),
            "not-reproduced",
            "WildcardOriginNotAllowed",
        ),
        "bad-origin": (
            prefix.model_copy(update={"origin": "https://exa mple.com", "fingerprint": "bad"}),
            "error",
            None,
        ),
        "closed-port": (
            prefix.model_copy(
                update={"url": f"http://127.0.0.1:{closed_port}/prefix", "fingerprint": "closed"}
            ),
            "error",
            None,
        ),
    }


@pytest.fixture(scope="module")
def false_results(
    false_claims: dict[str, tuple[FindingModel, str, str | None]],
) -> dict[str, VerificationModel]:
    if not HAS_PLAYWRIGHT or CHROMIUM is None:
        pytest.skip("needs playwright and a Chromium binary")
    return verify_findings([finding for finding, _, _ in false_claims.values()], timeout=5)


@browser_test
@pytest.mark.parametrize(
    "name",
    [
        "foreign-origin",
        "null-on-strict",
        "denied-on-strict",
        "methods-on-strict",
        "headers-on-strict",
        "exposed-on-strict",
        "credentialed-wildcard",
        "bad-origin",
        "closed-port",
    ],
)
def test_false_claims_are_not_reproduced(
    false_claims: dict[str, tuple[FindingModel, str, str | None]],
    false_results: dict[str, VerificationModel],
    name: str,
) -> None:
    finding, result, cors_error = false_claims[name]
    verdict = false_results[finding.fingerprint]
    assert (verdict.result, verdict.cors_error) == (result, cors_error), verdict.detail


@browser_test
def test_error_results_say_why(
    false_claims: dict[str, tuple[FindingModel, str, str | None]],
    false_results: dict[str, VerificationModel],
) -> None:
    assert "could not set up a page on https://exa mple.com" in false_results["bad"].detail
    assert "net::ERR_CONNECTION_REFUSED" in false_results["closed"].detail


# -- attacker origins: https on the default port, explicit ports, http -------------------------


class _OriginRecorder:
    """A lab endpoint that reflects every origin and records the Origin headers it saw."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, request: RequestView) -> Reply:
        origin = request.origin or ""
        with self.lock:
            self.seen.append(f"{request.method} {origin}")
        lines = (
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
        )
        return Reply(200, (("Content-Type", "application/json"), *lines), b"{}")


ATTACKER_ORIGINS = (
    "https://x.attacker.example",
    "https://x.attacker.example:8443",
    "http://x.attacker.example",
    "http://x.attacker.example:8080",
)


@browser_test
def test_attacker_pages_have_exactly_the_finding_origin(report: Report) -> None:
    recorder = _OriginRecorder()
    endpoint = Endpoint("/echo", "records origins", "GET", frozenset(), recorder)
    template = find(report, "/reflect-credentials", "reflected-origin")
    with DemoLab(endpoints=(endpoint,)) as echo:
        findings = [
            template.model_copy(
                update={"url": echo.url("/echo"), "origin": origin, "fingerprint": origin}
            )
            for origin in ATTACKER_ORIGINS
        ]
        results = verify_findings(findings)
    assert {o: results[o].result for o in ATTACKER_ORIGINS} == dict.fromkeys(
        ATTACKER_ORIGINS, "confirmed"
    )
    # The page was served by interception: the lab saw only the cross-origin fetches, each with
    # the serialized origin (default ports dropped by the browser, explicit ones kept).
    assert sorted(recorder.seen) == sorted(f"GET {origin}" for origin in ATTACKER_ORIGINS)


@browser_test
def test_a_hanging_target_is_an_error_after_the_timeout(report: Report) -> None:
    release = threading.Event()

    def hang(request: RequestView) -> Reply:
        release.wait(10)
        return Reply(200, (("Access-Control-Allow-Origin", "*"),), b"")

    endpoint = Endpoint("/hang", "never answers in time", "GET", frozenset(), hang)
    template = find(report, "/anon/wildcard", "wildcard-origin")
    with DemoLab(endpoints=(endpoint,)) as slow:
        try:
            finding = moved(template, slow, "/hang")
            results = verify_findings([finding], timeout=0.5)
        finally:
            release.set()
    verdict = results[finding.fingerprint]
    assert verdict.result == "error"
    assert "no answer in 500 ms" in verdict.detail


@browser_test
def test_an_unresolvable_target_is_an_error(
    report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:

    def no_dns(*_: Any, **__: Any) -> Any:
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    finding = find(report, "/reflect-credentials", "reflected-origin").model_copy(
        update={"url": "http://intranet.example:8080/me"}
    )
    verdict = verify_findings([finding])[finding.fingerprint]
    assert verdict.result == "error"
    assert "cannot resolve intranet.example" in verdict.detail
    assert BROWSER_RE.match(verdict.browser)


def test_results_serialize_as_report_json(report: Report) -> None:
    verdict = judge(_plan(Claim.READ), OK, "Chromium 156.0.8078.108")
    finding = report.findings[0].model_copy(update={"verified": verdict})
    data = json.loads(finding.model_dump_json())
    assert data["verified"]["result"] == "confirmed"


# -- plain-http targets: the attacker page's scheme and the replayed request --------------------

STAGING_HOST = "api.staging.test"
"""A plain-http target by name: not loopback to the mixed-content checker, whatever it resolves
to (the browser tests map it to 127.0.0.1)."""


def on_staging(finding: FindingModel, port: int = 8080) -> FindingModel:
    """``finding`` about the same path on ``http://api.staging.test:<port>``."""
    path = "/" + finding.url.split("/", 3)[3]
    return finding.model_copy(update={"url": f"http://{STAGING_HOST}:{port}{path}"})


def _planned(finding: FindingModel) -> Plan:
    plan = plan_finding(finding)
    assert plan is not None
    return plan


@pytest.mark.parametrize(
    ("url", "mixed"),
    [
        pytest.param("http://api.staging.test:8080/x", True, id="http-name"),
        pytest.param("http://10.1.2.3/x", True, id="http-private-ip"),
        pytest.param("https://api.staging.test/x", False, id="https"),
        pytest.param("http://127.0.0.1:8000/x", False, id="loopback-v4"),
        pytest.param("http://127.8.9.10/x", False, id="loopback-v4-range"),
        pytest.param("http://[::1]:8000/x", False, id="loopback-v6"),
        pytest.param("http://localhost:3000/x", False, id="localhost"),
        pytest.param("http://app.localhost/x", False, id="dot-localhost"),
    ],
)
def test_which_targets_an_https_page_may_not_fetch(url: str, mixed: bool) -> None:
    assert verify_plan._mixed_content(url) is mixed


@pytest.mark.parametrize(
    ("path", "rule", "origin", "scheme"),
    [
        pytest.param(
            "/reflect-credentials", "reflected-origin", None, PageScheme.HTTP, id="arbitrary"
        ),
        pytest.param("/prefix", "prefix-match", None, PageScheme.HTTP, id="look-alike"),
        pytest.param("/third-party", "third-party-origin", None, PageScheme.HTTP, id="third-party"),
        pytest.param("/anon/wildcard", "wildcard-origin", None, PageScheme.HTTP, id="wildcard"),
        pytest.param(
            "/insecure-scheme", "insecure-scheme", None, PageScheme.AS_IS, id="http-origin"
        ),
        pytest.param(
            "/two-origins",
            "trusted-origin-denied",
            "https://app.example.com",
            PageScheme.INSECURE_CONTENT,
            id="trusted-denied",
        ),
        pytest.param(
            "/anon/credentials",
            "credentials-beyond-policy",
            None,
            PageScheme.INSECURE_CONTENT,
            id="trusted-read",
        ),
        pytest.param(
            "/methods-broad",
            "methods-beyond-policy",
            None,
            PageScheme.INSECURE_CONTENT,
            id="trusted-sent",
        ),
        pytest.param(
            "/expose-token",
            "sensitive-exposed-headers",
            None,
            PageScheme.INSECURE_CONTENT,
            id="trusted-exposed",
        ),
    ],
)
def test_page_scheme_on_a_plain_http_host(
    report: Report, path: str, rule: str, origin: str | None, scheme: PageScheme
) -> None:
    finding = on_staging(find(report, path, rule, origin or ""))
    plan = _planned(finding)
    assert plan.scheme is scheme
    assert plan.origin == finding.origin  # the finding's origin is what the result names
    if scheme is PageScheme.HTTP:
        assert plan.page_origin == "http://" + plan.origin.removeprefix("https://")
    else:
        assert plan.page_origin == plan.origin


def test_null_origin_on_a_plain_http_host_uses_an_http_holder_page(report: Report) -> None:
    plan = _planned(on_staging(find(report, "/null", "null-origin")))
    assert plan.scheme is PageScheme.HTTP
    assert plan.page_origin == "null"
    assert plan.holder == "http://null-host.cors-audit.invalid"


def test_a_breakage_finding_without_origin_keeps_the_neutral_https_page(report: Report) -> None:
    finding = find(report, "/two-origins", "invalid-allow-origin")
    plan = _planned(on_staging(finding.model_copy(update={"origin": None, "evidence": []})))
    assert (plan.origin, plan.scheme) == (FALLBACK_ORIGIN, PageScheme.INSECURE_CONTENT)


def test_an_http_form_that_is_the_target_origin_keeps_https(report: Report) -> None:
    # An attacker-class origin whose http:// form is the target's own origin would make the
    # fetch same-origin: the https origin is kept instead.
    finding = on_staging(find(report, "/reflect-credentials", "reflected-origin"))
    evidence = [
        e.model_copy(update={"origin": f"https://{STAGING_HOST}:8080"}) for e in finding.evidence
    ]
    edited = finding.model_copy(
        update={"origin": f"https://{STAGING_HOST}:8080", "evidence": evidence}
    )
    assert verify.page_scheme(edited, f"https://{STAGING_HOST}:8080") is PageScheme.INSECURE_CONTENT


def test_loopback_and_https_targets_keep_every_page_as_is(report: Report) -> None:
    plans = [p for f in report.findings if (p := _planned_or_none(f)) is not None]
    assert plans
    assert {p.scheme for p in plans} == {PageScheme.AS_IS}  # the lab is on 127.0.0.1
    secure = find(report, "/reflect-credentials", "reflected-origin").model_copy(
        update={"url": "https://api.example.com/reflect-credentials"}
    )
    assert _planned(secure).scheme is PageScheme.AS_IS


def _planned_or_none(finding: FindingModel) -> Plan | None:
    try:
        return plan_finding(finding)
    except PlanError:
        return None


class _PatchApi:
    """A JSON API used with PATCH and an ``X-Trace-Id`` header: it reflects every origin with
    credentials and lets PATCH with Content-Type and X-Trace-Id through its preflight. Records
    ``(method, Origin, X-Trace-Id, Access-Control-Request-Method, -Headers)`` per request."""

    POLICY = (
        'trusted_origins = ["https://app.example.com"]\n'
        "allow_credentials = true\n"
        'allowed_methods = ["GET", "PATCH"]\n'
        'allowed_headers = ["Content-Type", "X-Trace-Id"]\n'
        "max_age = { min = 0, max = 86400 }\n"
    )

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None, str | None, str | None, str | None]] = []
        self.lock = threading.Lock()
        self.endpoint = Endpoint("/items/7", "PATCH API", "PATCH", frozenset(), self)

    def __call__(self, request: RequestView) -> Reply:
        origin = request.origin
        with self.lock:
            self.seen.append(
                (
                    request.method,
                    origin,
                    request.get("X-Trace-Id"),
                    request.get("Access-Control-Request-Method"),
                    request.get("Access-Control-Request-Headers"),
                )
            )
        cors: tuple[tuple[str, str], ...] = (("Vary", "Origin"),)
        if origin is not None:
            cors += (
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Credentials", "true"),
            )
        if request.method == "OPTIONS":
            return Reply(
                204,
                (
                    *cors,
                    ("Access-Control-Allow-Methods", "GET, PATCH"),
                    ("Access-Control-Allow-Headers", "Content-Type, X-Trace-Id"),
                    ("Access-Control-Max-Age", "600"),
                ),
            )
        return Reply(200, (("Content-Type", "application/json"), *cors), b'{"id": 7}')

    def transport(self) -> httpx.MockTransport:
        """The same replies without a socket, for the scan."""

        def handle(request: httpx.Request) -> httpx.Response:
            view = RequestView(
                request.method,
                request.url.path,
                tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw),
            )
            reply = respond(view, (self.endpoint,))
            return httpx.Response(reply.status, headers=list(reply.headers), content=reply.body)

        return httpx.MockTransport(handle)

    def scan(self, url: str, tmp: Path) -> Report:
        """Scan ``url`` (this API) as the PATCH-with-X-Trace-Id target it is."""
        policy_path = tmp / "patch-api-policy.toml"
        policy_path.write_text(self.POLICY, encoding="utf-8")
        target = Target(url=url, method="PATCH", request_headers=("x-trace-id",))
        now = datetime.now(UTC)
        results = scan(
            [target],
            load_policy(policy_path),
            ScanOptions(engine=EngineOptions(retries=0)),
            transport=self.transport(),
        )
        with self.lock:
            self.seen.clear()  # from here on: what the browser sent
        return build_report(results, policy={}, started_at=now, finished_at=now)


@pytest.fixture(scope="module")
def patch_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return _PatchApi().scan(f"http://{STAGING_HOST}:8080/items/7", tmp_path_factory.mktemp("p"))


def test_plan_replays_the_preflighted_patch_with_its_headers(patch_report: Report) -> None:
    finding = find(patch_report, "/items/7", "reflected-origin")
    plan = _planned(finding)
    assert (plan.claim, plan.method, plan.credentials) == (Claim.READ, "PATCH", "include")
    assert plan.headers == (("content-type", "application/json"), ("x-trace-id", "1"))
    assert plan.scheme is PageScheme.HTTP
    # The fetch() init the attacker page runs.
    assert verify._job(plan, 2.5) == {
        "url": f"http://{STAGING_HOST}:8080/items/7",
        "method": "PATCH",
        "headers": [["content-type", "application/json"], ["x-trace-id", "1"]],
        "credentials": "include",
        "timeout_ms": 2500,
    }


def _edit_responses(
    finding: FindingModel, kind: str, drop: Sequence[str], origin: str | None = None
) -> FindingModel:
    """``finding`` with the ``drop`` response headers removed from its ``kind`` evidence."""
    wanted = {name.lower() for name in drop}
    evidence = []
    for e in finding.evidence:
        if e.kind == kind and e.response is not None and origin in (None, e.origin):
            kept = [h for h in e.response.headers if h.name.lower() not in wanted]
            e = e.model_copy(update={"response": e.response.model_copy(update={"headers": kept})})
        evidence.append(e)
    return finding.model_copy(update={"evidence": evidence})


def test_a_send_only_finding_replays_its_preflighted_request(report: Report) -> None:
    # The GET reply names no origin, but the preflight lets the origin send PATCH with the
    # policy's headers: what the evidence shows is a sent request, so that one is replayed.
    finding = find(report, "/reflect-credentials", "reflected-origin")
    plan = _planned(_edit_responses(finding, "actual", ["Access-Control-Allow-Origin"]))
    assert (plan.claim, plan.method, plan.credentials) == (Claim.SENT, "PATCH", "include")
    assert [name for name, _ in plan.headers] == ["authorization", "content-type", "x-api-key"]


def test_a_read_that_passes_only_without_credentials_is_replayed_without(
    report: Report,
) -> None:
    finding = find(report, "/reflect-credentials", "reflected-origin")
    assert finding.credentialed
    plan = _planned(_edit_responses(finding, "actual", ["Access-Control-Allow-Credentials"]))
    assert (plan.claim, plan.method, plan.credentials) == (Claim.READ, "GET", "omit")


def test_a_denied_preflight_replays_the_preflighted_request(report: Report) -> None:
    finding = find(report, "/two-origins", "trusted-origin-denied", "https://app.example.com")
    only_preflight = finding.model_copy(
        update={"evidence": [e for e in finding.evidence if e.kind == "preflight"]}
    )
    plan = _planned(only_preflight)
    assert (plan.claim, plan.method) == (Claim.DENIED, "PATCH")
    assert [name for name, _ in plan.headers] == ["authorization", "content-type", "x-api-key"]


@pytest.mark.parametrize(
    ("changes", "verdict", "retried"),
    [
        pytest.param({}, ("not-reproduced", "AllowOriginMismatch"), True, id="refused"),
        pytest.param({}, ("confirmed", None), False, id="confirmed"),
        pytest.param({}, ("not-reproduced", None), False, id="no-cors-error"),
        pytest.param({}, ("error", None), False, id="error"),
        pytest.param(
            {"scheme": PageScheme.AS_IS},
            ("not-reproduced", "AllowOriginMismatch"),
            False,
            id="as-is",
        ),
        pytest.param(
            {"scheme": PageScheme.INSECURE_CONTENT},
            ("not-reproduced", "AllowOriginMismatch"),
            False,
            id="insecure-already",
        ),
        pytest.param(
            {"origin": "null"}, ("not-reproduced", "AllowOriginMismatch"), False, id="null"
        ),
    ],
)
def test_retry_on_the_exact_https_origin(
    changes: dict[str, Any], verdict: tuple[str, str | None], retried: bool
) -> None:
    fields: dict[str, Any] = {"url": "http://api.staging.test/x", "scheme": PageScheme.HTTP}
    plan = _plan(Claim.READ, **{**fields, **changes})
    result = VerificationModel(
        browser="Chromium 1.2.3.4", result=verdict[0], cors_error=verdict[1], detail="d"
    )
    retry = verify.retry_plan(plan, result)
    if not retried:
        assert retry is None
        return
    assert retry is not None
    assert (retry.scheme, retry.page_origin) == (PageScheme.INSECURE_CONTENT, plan.origin)
    assert "first served on http://x.attacker.example, which was refused" in retry.note
    assert "(AllowOriginMismatch)" in retry.note


@pytest.mark.parametrize(
    ("schemes", "allowed"),
    [
        pytest.param([PageScheme.AS_IS], False, id="as-is"),
        pytest.param([PageScheme.AS_IS, PageScheme.HTTP], True, id="http-may-retry"),
        pytest.param([PageScheme.INSECURE_CONTENT], True, id="insecure"),
    ],
)
def test_insecure_content_is_allowed_only_when_a_plan_may_need_it(
    schemes: list[PageScheme], allowed: bool
) -> None:
    plans = [_plan(Claim.READ, scheme=scheme) for scheme in schemes]
    flags = verify.launch_flags(plans, "MAP * ~NOTFOUND", insecure=False)
    assert flags[0] == "--host-resolver-rules=MAP * ~NOTFOUND"
    assert (verify.INSECURE_CONTENT_FLAG in flags) is allowed
    assert "--ignore-certificate-errors" not in flags


@pytest.mark.parametrize(
    ("scheme", "page", "says"),
    [
        pytest.param(
            PageScheme.HTTP,
            "a page on http://x.attacker.example",
            "Attacker page served over http: the attacker chooses the scheme",
            id="http",
        ),
        pytest.param(
            PageScheme.INSECURE_CONTENT,
            "a page on https://x.attacker.example",
            "Insecure content allowed for this check",
            id="insecure",
        ),
    ],
)
def test_results_say_how_the_page_was_served(scheme: PageScheme, page: str, says: str) -> None:
    verdict = judge(_plan(Claim.READ, scheme=scheme, note=" NOTE."), OK, "Chromium 1.2.3.4")
    assert page in verdict.detail
    assert says in verdict.detail
    assert verdict.detail.endswith(" NOTE.")


@contextmanager
def staging_resolves_to_loopback() -> Iterator[None]:
    """``api.staging.test`` resolves to 127.0.0.1 for the scanner's resolver (so for the
    browser's ``--host-resolver-rules``); every other name as usual."""
    real = socket.getaddrinfo

    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == STAGING_HOST else host, port, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", resolve)
        yield


@pytest.fixture(scope="module")
def plain_http(
    report: Report, lab: DemoLab, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[_PatchApi, dict[str, FindingModel], dict[str, VerificationModel]]]:
    """The PATCH API and the demo lab reached as ``http://api.staging.test:<port>``, their
    findings replayed in one Chromium: the API's reflection (page served over http), the lab's
    prefix match (its regex pins https: retried with insecure content) and a trusted origin
    that is denied (kept on https with insecure content)."""
    if not HAS_PLAYWRIGHT or CHROMIUM is None:
        pytest.skip("needs playwright and a Chromium binary")
    api = _PatchApi()
    with DemoLab(endpoints=(api.endpoint,)) as live:
        api_report = api.scan(
            f"http://{STAGING_HOST}:{live.port}/items/7", tmp_path_factory.mktemp("a")
        )
        findings = {
            "reflected": find(api_report, "/items/7", "reflected-origin"),
            "prefix": on_staging(find(report, "/prefix", "prefix-match"), lab.port),
            "denied": on_staging(
                find(report, "/two-origins", "trusted-origin-denied", "https://app.example.com"),
                lab.port,
            ),
        }
        with staging_resolves_to_loopback():
            results = verify_findings(list(findings.values()))
        yield api, findings, results


@browser_test
def test_plain_http_patch_api_is_confirmed_from_an_http_attacker_page(
    plain_http: tuple[_PatchApi, dict[str, FindingModel], dict[str, VerificationModel]],
) -> None:
    # Given a plain-http API by name that reflects origins with credentials and allows PATCH
    # with X-Trace-Id, when its reflected-origin finding is replayed,
    api, findings, results = plain_http
    finding = findings["reflected"]
    verdict = results[finding.fingerprint]
    # then Chromium gives a CORS verdict (no mixed-content error) from the http:// page,
    assert (verdict.result, verdict.cors_error) == ("confirmed", None), verdict.detail
    assert "mixed-content" not in verdict.detail
    assert "Attacker page served over http: the attacker chooses the scheme" in verdict.detail
    assert finding.origin is not None
    page = "http://" + finding.origin.removeprefix("https://")
    assert f"PATCH http://{STAGING_HOST}:" in verdict.detail
    # and the API saw the preflight for PATCH with the header, then the PATCH carrying it.
    assert api.seen == [
        ("OPTIONS", page, None, "PATCH", "content-type,x-trace-id"),
        ("PATCH", page, "1", None, None),
    ]


@browser_test
def test_a_look_alike_whose_http_form_is_refused_is_retried_on_https(
    plain_http: tuple[_PatchApi, dict[str, FindingModel], dict[str, VerificationModel]],
) -> None:
    _, findings, results = plain_http
    finding = findings["prefix"]
    verdict = results[finding.fingerprint]
    assert (verdict.result, verdict.cors_error) == ("confirmed", None), verdict.detail
    assert f"a page on {finding.origin} read the response" in verdict.detail
    assert "Insecure content allowed for this check" in verdict.detail
    assert "which was refused (MissingAllowOriginHeader)" in verdict.detail


@browser_test
def test_a_trusted_https_origin_keeps_its_scheme_with_insecure_content_allowed(
    plain_http: tuple[_PatchApi, dict[str, FindingModel], dict[str, VerificationModel]],
) -> None:
    _, findings, results = plain_http
    verdict = results[findings["denied"].fingerprint]
    assert (verdict.result, verdict.cors_error) == ("confirmed", "MultipleAllowOriginValues")
    assert "a page on https://app.example.com" in verdict.detail
    assert "Insecure content allowed for this check" in verdict.detail
