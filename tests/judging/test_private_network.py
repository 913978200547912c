"""Private-network access (BROWSER-MODEL.md §5.1): the browser model's one verdict
(``private_network_check``) and its two users, the ``private-network-allowed`` rule and the
``observed`` summary, which must agree with it."""

from __future__ import annotations

import pytest
from support.rule_builders import APP, allowlist, rules_of, run, trusted_only

from cors_audit.browser import CorsError, private_network_check
from cors_audit.core.models import Headers, Probe, ProbeKind
from cors_audit.judging.observed import observe

ORIGIN = "https://x.attacker.example"
ACAO = "Access-Control-Allow-Origin"
ACAPN = "Access-Control-Allow-Private-Network"


@pytest.mark.parametrize(
    ("headers", "allowed", "error"),
    [
        pytest.param(((ACAO, ORIGIN), (ACAPN, "true")), True, None, id="granted"),
        pytest.param(((ACAO, "*"), (ACAPN, " true\t")), True, None, id="ows-stripped"),
        pytest.param(
            ((ACAO, ORIGIN),), False, CorsError.PREFLIGHT_MISSING_ALLOW_PRIVATE_NETWORK, id="absent"
        ),
        pytest.param(
            ((ACAO, ORIGIN), (ACAPN, "TRUE")),
            False,
            CorsError.PREFLIGHT_INVALID_ALLOW_PRIVATE_NETWORK,
            id="case",
        ),
        pytest.param(
            ((ACAO, ORIGIN), (ACAPN, "true"), (ACAPN, "true")),
            False,
            CorsError.PREFLIGHT_INVALID_ALLOW_PRIVATE_NETWORK,
            id="two-lines",
        ),
        pytest.param(
            ((ACAO, APP), (ACAPN, "true")),
            False,
            CorsError.PREFLIGHT_ALLOW_ORIGIN_MISMATCH,
            id="cors-check-first",
        ),
    ],
)
def test_private_network_check(headers: Headers, allowed: bool, error: CorsError | None) -> None:
    verdict = private_network_check(ORIGIN, "omit", headers)
    assert (verdict.allowed, verdict.error) == (allowed, error)


def test_credentials_need_the_cors_check_with_credentials() -> None:
    headers = ((ACAO, "*"), (ACAPN, "true"))
    assert private_network_check(ORIGIN, "omit", headers).allowed
    verdict = private_network_check(ORIGIN, "include", headers)
    assert verdict.error is CorsError.PREFLIGHT_WILDCARD_ORIGIN_NOT_ALLOWED


def _granting(cors_ok: bool) -> object:
    """A server that reflects every origin and answers ACAPN: true to private-network
    preflights; with ``cors_ok`` false it names a fixed origin instead of echoing."""

    def server(probe: Probe) -> tuple[int, Headers]:
        origin = probe.origin.value if probe.origin else APP
        lines: list[tuple[str, str]] = [(ACAO, origin if cors_ok else APP), ("Vary", "Origin")]
        if probe.kind is ProbeKind.PRIVATE_NETWORK:
            lines.append((ACAPN, "true"))
        return (204 if probe.is_preflight else 200), tuple(lines)

    return server


@pytest.mark.parametrize("cors_ok", [True, False], ids=["cors-passes", "cors-fails"])
def test_the_rule_and_the_summary_follow_the_verdict(cors_ok: bool) -> None:
    # Given a server that answers every private-network preflight with ACAPN: true
    findings, exchanges = run(_granting(cors_ok))  # type: ignore[arg-type]
    # Then the rule reports it, and the summary shows it, exactly when the CORS check passes too
    assert ("private-network-allowed" in rules_of(findings)) is cors_ok
    assert observe(exchanges).private_network is cors_ok


def test_a_correct_server_grants_no_private_network_access() -> None:
    findings, exchanges = run(allowlist(trusted_only))
    assert "private-network-allowed" not in rules_of(findings)
    assert observe(exchanges).private_network is False
