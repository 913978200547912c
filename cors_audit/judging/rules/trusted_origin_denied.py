"""``trusted-origin-denied``: an origin the policy trusts is blocked by Chromium: a failed CORS
check on the actual reply, or a preflight that refuses the policy's request (BROWSER-MODEL.md
§2.1, §3.3). A failing preflight also says what it would still fail on once its
Access-Control-Allow-Origin were fixed (``preflights.still_fails``).
"""

from __future__ import annotations

from cors_audit.browser import Verdict
from cors_audit.core.models import Exchange, Finding, OriginClass, ProbeKind, Severity
from cors_audit.judging.rules.base import Claim, RuleSpec, Setting, demo_lab
from cors_audit.judging.rules.context import Evidence, make_finding
from cors_audit.judging.rules.preflights import still_fails
from cors_audit.probing.planner import POLICY


def check(evidence: Evidence) -> list[Finding]:
    """One finding per trusted origin that Chromium blocks, with every reason."""
    if evidence.policy.policy_free:
        return []  # without a policy nobody said which origin must work
    mode = evidence.policy_credentials
    request = evidence.request
    findings: list[Finding] = []
    by_origin: dict[str, list[Exchange]] = {}
    for exchange in evidence.with_origin(
        OriginClass.TRUSTED, ProbeKind.ACTUAL, ProbeKind.PREFLIGHT
    ):
        if exchange.probe.purpose == POLICY:
            assert exchange.probe.origin is not None
            by_origin.setdefault(exchange.probe.origin.value, []).append(exchange)
    for origin, exchanges in by_origin.items():
        reasons: list[str] = []
        proof: list[Exchange] = []
        error: str | None = None
        for exchange in exchanges:
            verdict: Verdict
            if exchange.probe.kind is ProbeKind.ACTUAL:
                verdict = (
                    evidence.access(exchange).include
                    if mode == "include"
                    else evidence.access(exchange).omit
                )
                what = f"the {exchange.probe.method} response"
            elif request.needs_preflight:
                verdict = evidence.preflight(exchange, mode)
                what = f"the preflight for {request.method}" + (
                    f" with {', '.join(request.headers)}" if request.headers else ""
                )
            else:
                continue
            if not verdict.allowed:
                reason = f"{what} fails ({verdict.error.value if verdict.error else '?'})"
                if exchange.probe.kind is ProbeKind.PREFLIGHT:
                    reason += still_fails(evidence, exchange, mode, verdict)
                reasons.append(reason)
                proof.append(exchange)
                error = error or (verdict.error.value if verdict.error else None)
        if reasons:
            creds = " with credentials" if mode == "include" else ""
            findings.append(
                make_finding(
                    evidence,
                    RULE,
                    Severity.MEDIUM,
                    f"The policy trusts {origin}{creds}, but Chromium blocks it: "
                    + "; ".join(reasons)
                    + ".",
                    proof,
                    credentialed=mode == "include",
                    cors_error=error,
                )
            )
    return findings


RULE = RuleSpec(
    id="trusted-origin-denied",
    title="A trusted origin is blocked by the browser",
    family="validity",
    severity="medium",
    default=Severity.MEDIUM,
    cwe="CWE-436",
    why="The policy says this origin must work, but Chromium would block it (failed CORS "
    "check, non-2xx preflight, missing credentials or a method/header not allowed).",
    fix="Return the trusted origin exactly, `Access-Control-Allow-Credentials: true` when "
    "credentials are intended, and a 2xx preflight listing the methods and headers used.",
    check=check,
    claim=Claim.DENIED,
    focus=(Setting.ORIGINS, Setting.CREDENTIALS, Setting.METHODS, Setting.HEADERS),
    demo=demo_lab(
        "/static-null",
        "/wildcard-credentials",
        "/two-origins",
        "/double-header",
        "/preflight-only",
        without_policy=(),
    ),
)
