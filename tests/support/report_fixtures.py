"""Hand-made scan results and the `Report` built from them, for the format tests.

`sample_report()` is a realistic scan: four targets (one with a critical credentialed
reflection folding narrower rules, one with high/low/info findings, one clean, one that timed
out), with preflight, private-network and actual evidence. `hostile_report(payload)` puts an
attacker-chosen string into every server- or user-derived field, for escaping tests.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from cors_audit.core.models import (
    EffectivePolicy,
    ErrorKind,
    Exchange,
    Finding,
    Headers,
    OriginClass,
    Probe,
    ProbeKind,
    ProbeOrigin,
    RequestRecord,
    ResponseRecord,
    ScanError,
    Severity,
    Target,
    TargetResult,
)
from cors_audit.judging.rules.catalogue import RULES_BY_ID
from cors_audit.judging.scoring import NO_GRADE, grade_for, target_score
from cors_audit.report.build import build_report
from cors_audit.report.model import Report

STARTED = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
FINISHED = datetime(2025, 3, 14, 9, 27, 5, 250000, tzinfo=UTC)

POLICY = {
    "source": "cors-policy.toml",
    "trusted_origins": ["https://app.example.com"],
    "allow_credentials": True,
    "allowed_methods": ["GET", "POST", "PATCH"],
    "allowed_headers": ["Content-Type", "Authorization"],
    "max_age": {"min": 600, "max": 86400},
    "public": False,
}

EFFECTIVE = EffectivePolicy(
    trusted_origins=("https://app.example.com",),
    allow_credentials=True,
    allowed_methods=("GET", "POST", "PATCH"),
    allowed_headers=("content-type", "authorization"),
    max_age_min=600,
    max_age_max=86400,
)

ATTACKER = ProbeOrigin(
    value="https://q7zk2m.invalid-attacker.net",
    cls=OriginClass.ARBITRARY,
    template="https://{label}.invalid-attacker.net",
)
NULL = ProbeOrigin(value="null", cls=OriginClass.NULL, template="null")
PREFIX = ProbeOrigin(
    value="https://app.example.com.q7zk2m.net",
    cls=OriginClass.PREFIX,
    template="https://app.example.com.{label}.net",
)
TRUSTED = ProbeOrigin(
    value="https://app.example.com", cls=OriginClass.TRUSTED, template="https://app.example.com"
)


def fingerprint(*parts: str) -> str:
    """A stable fingerprint like the rules make (sha256 of the identifying parts)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def exchange(
    url: str,
    origin: ProbeOrigin | None,
    *,
    kind: ProbeKind = ProbeKind.ACTUAL,
    method: str = "GET",
    request_method: str | None = None,
    request_headers: tuple[str, ...] = (),
    credentialed: bool = False,
    purpose: str = "policy",
    status: int = 200,
    reason: str = "OK",
    response_headers: Headers = (),
    error: ScanError | None = None,
    elapsed_ms: float = 12.5,
) -> Exchange:
    """One recorded exchange; ``error`` set means no response arrived."""
    probe = Probe(
        kind=kind,
        url=url,
        origin=origin,
        method="OPTIONS" if kind is not ProbeKind.ACTUAL else method,
        request_method=request_method or method,
        request_headers=request_headers,
        credentialed=credentialed,
        purpose=purpose,
    )
    sent: Headers = (("Host", url.split("/")[2]), *probe.wire_headers())
    if credentialed:
        sent = (*sent, ("Cookie", "<redacted>"))
    response = (
        None
        if error is not None
        else ResponseRecord(
            status=status,
            reason=reason,
            http_version="HTTP/1.1",
            headers=response_headers,
            body_bytes=512 if kind is ProbeKind.ACTUAL else 0,
            body_sha256=hashlib.sha256(b"body").hexdigest() if kind is ProbeKind.ACTUAL else None,
        )
    )
    return Exchange(
        probe=probe,
        request=RequestRecord(method=probe.method, url=url, headers=sent),
        response=response,
        error=error,
        elapsed_ms=elapsed_ms,
    )


def curl(url: str, method: str, origin: str, *extra: str) -> str:
    """A reproduction command in the multi-line form the rules emit."""
    lines = [f"curl -i -X {method} '{url}'", f"  -H 'Origin: {origin}'"]
    lines.extend(f"  -H '{header}'" for header in extra)
    return " \\\n".join(lines)


def finding(
    rule: str,
    severity: Severity,
    url: str,
    method: str,
    origin: str | None,
    detail: str,
    evidence: tuple[Exchange, ...],
    *,
    credentialed: bool = False,
    folded: tuple[str, ...] = (),
    cors_error: str | None = None,
) -> Finding:
    """A finding with title and fix from the catalogue, like the rules build them."""
    text = RULES_BY_ID[rule]
    return Finding(
        rule=rule,
        severity=severity,
        url=url,
        method=method,
        origin=origin,
        title=text.title,
        detail=detail,
        fix=text.fix,
        curl=curl(url, method, origin or "https://app.example.com"),
        fingerprint=fingerprint(rule, url, method, origin or ""),
        evidence=evidence,
        credentialed=credentialed,
        folded=folded,
        cors_error=cors_error,
    )


def result(
    target: Target,
    findings: tuple[Finding, ...],
    exchanges: tuple[Exchange, ...],
    *,
    policy: EffectivePolicy = EFFECTIVE,
    error: ScanError | None = None,
    notes: tuple[str, ...] = (),
) -> TargetResult:
    """A target result scored the way judging/scoring.py scores it."""
    score = target_score(findings)
    return TargetResult(
        target=target,
        policy=policy,
        exchanges=exchanges,
        findings=findings,
        error=error,
        requests=len(exchanges),
        score=score,
        grade=NO_GRADE if error else grade_for(score),
        notes=notes,
    )


def _posts() -> TargetResult:
    url = "https://staging.example.com/api/posts/20"
    reflect = (
        ("Access-Control-Allow-Origin", ATTACKER.value),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "GET, POST, PATCH"),
        ("Content-Type", "application/json"),
    )
    preflight = exchange(
        url,
        ATTACKER,
        kind=ProbeKind.PREFLIGHT,
        method="PATCH",
        request_headers=("content-type",),
        status=204,
        reason="No Content",
        response_headers=(*reflect[:3], ("Access-Control-Allow-Headers", "content-type")),
    )
    actual = exchange(
        url, ATTACKER, method="PATCH", credentialed=True, response_headers=reflect, elapsed_ms=41.2
    )
    null_actual = exchange(
        url,
        NULL,
        method="PATCH",
        credentialed=True,
        response_headers=(("Access-Control-Allow-Origin", "null"), reflect[1]),
    )
    prefix_actual = exchange(
        url,
        PREFIX,
        method="PATCH",
        credentialed=True,
        response_headers=(("Access-Control-Allow-Origin", PREFIX.value), reflect[1]),
    )
    trusted_preflight = exchange(
        url,
        TRUSTED,
        kind=ProbeKind.PREFLIGHT,
        method="PATCH",
        status=204,
        reason="No Content",
        response_headers=(("Access-Control-Allow-Origin", TRUSTED.value), reflect[1], reflect[2]),
    )
    findings = (
        finding(
            "reflected-origin",
            Severity.CRITICAL,
            url,
            "PATCH",
            ATTACKER.value,
            f"Chromium lets `{ATTACKER.value}` read PATCH responses with credentials: the "
            "preflight and the actual reply echo the origin with "
            "`Access-Control-Allow-Credentials: true`.",
            (preflight, actual, null_actual, prefix_actual),
            credentialed=True,
            folded=("null-origin", "prefix-match"),
        ),
        finding(
            "missing-vary-origin",
            Severity.MEDIUM,
            url,
            "PATCH",
            ATTACKER.value,
            "`Access-Control-Allow-Origin` changes with the request Origin but `Vary` is absent.",
            (actual,),
            credentialed=True,
        ),
        finding(
            "missing-max-age",
            Severity.LOW,
            url,
            "PATCH",
            TRUSTED.value,
            "The successful preflight has no `Access-Control-Max-Age`; browsers cache it 5 s.",
            (trusted_preflight,),
        ),
    )
    return result(
        Target(url=url, method="PATCH", source="policy"),
        findings,
        (preflight, actual, null_actual, prefix_actual, trusted_preflight),
    )


def _feed() -> TargetResult:
    url = "https://10.0.4.7:8443/internal/feed"
    site = "https://feed.example.com"
    pna = exchange(
        url,
        ATTACKER,
        kind=ProbeKind.PRIVATE_NETWORK,
        request_headers=("x-q7zk2m",),
        purpose="beyond-policy",
        status=204,
        reason="No Content",
        response_headers=(
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Private-Network", "true"),
            ("Access-Control-Allow-Headers", "*"),
            ("Access-Control-Max-Age", "604800"),
        ),
    )
    findings = (
        finding(
            "private-network-allowed",
            Severity.HIGH,
            url,
            "GET",
            ATTACKER.value,
            "The private-network preflight grants `Access-Control-Allow-Private-Network: true` "
            f"to `{ATTACKER.value}`.",
            (pna,),
        ),
        finding(
            "headers-beyond-policy",
            Severity.LOW,
            url,
            "GET",
            ATTACKER.value,
            "`Access-Control-Allow-Headers: *` allows `x-q7zk2m`, which the policy does not list.",
            (pna,),
        ),
        finding(
            "max-age-out-of-range",
            Severity.INFO,
            url,
            "GET",
            ATTACKER.value,
            "`Access-Control-Max-Age: 604800` exceeds Chromium's cap of 7200 s.",
            (pna,),
        ),
    )
    return result(
        Target(url=url, site_origin=site, source="urls.txt:2"),
        findings,
        (pna,),
        notes=("probe origins derived from --site-origin https://feed.example.com",),
    )


def _health() -> TargetResult:
    url = "https://staging.example.com/health"
    ok = exchange(url, TRUSTED, response_headers=(("Access-Control-Allow-Origin", TRUSTED.value),))
    return result(Target(url=url, source="urls.txt:3"), (), (ok,))


def _down() -> TargetResult:
    url = "https://down.example.com/api/v1/users"
    error = ScanError(ErrorKind.TIMEOUT, "no response within 10.0 s (connect)")
    failed = exchange(url, None, purpose="baseline", error=error, elapsed_ms=10000.0)
    return result(Target(url=url, source="urls.txt:4"), (), (failed,), error=error)


def sample_results() -> list[TargetResult]:
    """The per-target results behind `sample_report`."""
    return [_posts(), _feed(), _health(), _down()]


def sample_report() -> Report:
    """A realistic report: 4 targets, 1 errored, 6 findings of all five severities."""
    return build_report(sample_results(), policy=POLICY, started_at=STARTED, finished_at=FINISHED)


def empty_report(*, policy_free: bool = True) -> Report:
    """A scan of one clean target with no findings (policy-free unless told otherwise)."""
    url = "https://clean.example.com/"
    policy = EffectivePolicy(trusted_origins=(url.rstrip("/"),), policy_free=policy_free)
    ok = exchange(url, None, purpose="baseline")
    return build_report(
        [result(Target(url=url), (), (ok,), policy=policy)],
        policy={} if policy_free else POLICY,
        started_at=STARTED,
        finished_at=FINISHED,
    )


def hostile_report(payload: str) -> Report:
    """A report where every server- or user-derived string carries ``payload``.

    It lands in a response header name and value, a reason phrase, the target URL, the probe
    origin, the finding detail and curl, the error message of an errored target and a note.
    """
    url = f"https://victim.example.com/api?q={payload}"
    origin = ProbeOrigin(
        value=f"https://{payload}.attacker.net", cls=OriginClass.ARBITRARY, template="x"
    )
    bad = exchange(
        url,
        origin,
        credentialed=True,
        reason=f"OK {payload}",
        response_headers=(
            ("Access-Control-Allow-Origin", origin.value),
            (f"X-Evil-{payload}", payload),
            ("Server", payload),
        ),
    )
    hostile = finding(
        "reflected-origin",
        Severity.CRITICAL,
        url,
        "GET",
        origin.value,
        f"reflected {payload}",
        (bad,),
        credentialed=True,
    )
    down_error = ScanError(ErrorKind.PROTOCOL, f"malformed status line {payload}")
    failed = exchange(f"https://down.example.com/{payload}", None, error=down_error)
    return build_report(
        [
            result(Target(url=url), (hostile,), (bad,), notes=(f"note {payload}",)),
            result(
                Target(url=f"https://down.example.com/{payload}"), (), (failed,), error=down_error
            ),
        ],
        policy={"source": f"policy-{payload}.toml", "trusted_origins": [payload]},
        started_at=STARTED,
        finished_at=FINISHED,
    )
