"""Which preflight replies the preflight rules judge, shared by ``methods-beyond-policy``,
``headers-beyond-policy``, ``missing-max-age``, ``max-age-out-of-range`` and
``trusted-origin-denied``: the ones a browser honours today, or else the latent ones.

Latent: when an invalid or missing Access-Control-Allow-Origin blocks every trusted preflight,
Chromium stops at the CORS check, so Allow-Methods, Allow-Headers and Max-Age of such a reply do
nothing today, but they take effect the moment the origin header is corrected. Those replies are
judged as if that header named the probe's origin, and their findings are reported one severity
lower with ``latent`` set (README "Rules"). Without a policy the only trusted origin is the
target's own, which needs no CORS at all, so nothing is latent then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Final, Literal

from cors_audit.browser import ACAH, ACAM, ACAO, ACMA, Credentials, Verdict, header_get
from cors_audit.core.models import Exchange, Finding, OriginClass, ProbeKind
from cors_audit.judging.rules.context import Evidence, listed
from cors_audit.probing.planner import BEYOND, POLICY

LATENT: Final = "latent: applies once Access-Control-Allow-Origin is fixed"
"""The words a latent finding's detail carries."""

# Headers that show a reply answers the preflight's questions (and is not merely some OPTIONS
# handler that knows nothing of CORS).
_PREFLIGHT_ANSWERS: Final = (ACAM, ACAH, ACMA)

Judged = tuple[Exchange, Exchange]
"""(the exchange as received, the exchange the check judges): the same one, or for a latent
check the reply with its Access-Control-Allow-Origin fixed."""


def successful_preflights(evidence: Evidence) -> list[Exchange]:
    """Answered preflights that Chromium accepts as a whole, without credentials."""
    return [
        e for e in evidence.answered(ProbeKind.PREFLIGHT) if evidence.preflight(e, "omit").allowed
    ]


def _trusted_preflights(evidence: Evidence) -> list[Exchange]:
    return [
        e
        for e in evidence.with_origin(OriginClass.TRUSTED, ProbeKind.PREFLIGHT)
        if e.probe.purpose in (POLICY, BEYOND) and evidence.access(e).omit.allowed
    ]


def acao_fixed(exchange: Exchange) -> Exchange:
    """``exchange`` as it would be once Access-Control-Allow-Origin were fixed: every ACAO line
    replaced by a single one naming the probe's own origin, the rest of the reply unchanged."""
    assert exchange.response is not None
    assert exchange.probe.origin is not None
    headers = tuple(
        (name, value) for name, value in exchange.response.headers if name.lower() != ACAO.lower()
    )
    response = replace(exchange.response, headers=(*headers, (ACAO, exchange.probe.origin.value)))
    return replace(exchange, response=response)


def latent_preflights(evidence: Evidence) -> list[Judged]:
    """The trusted preflights judged as if Access-Control-Allow-Origin were fixed, when that
    header (invalid or missing) blocks every one of them; empty otherwise."""
    if evidence.policy.policy_free:
        return []
    trusted = [
        e
        for e in evidence.with_origin(OriginClass.TRUSTED, ProbeKind.PREFLIGHT)
        if e.probe.purpose in (POLICY, BEYOND)
    ]
    if any(evidence.access(e).omit.allowed for e in trusted):
        return []
    return [(e, acao_fixed(e)) for e in trusted if _answers_preflight(e)]


def _answers_preflight(exchange: Exchange) -> bool:
    assert exchange.response is not None
    headers = exchange.response.headers
    return any(header_get(headers, name) is not None for name in _PREFLIGHT_ANSWERS)


def as_latent(finding: Finding) -> Finding:
    """``finding`` one severity lower, marked latent, its detail saying so."""
    return replace(
        finding,
        severity=finding.severity.lowered(),
        latent=True,
        detail=f"{finding.detail} ({LATENT}; until then the browser stops at that header.)",
    )


def still_fails(evidence: Evidence, exchange: Exchange, mode: Credentials, verdict: Verdict) -> str:
    """For a trusted preflight that fails: what it would fail on next once its
    Access-Control-Allow-Origin were fixed, as text to append ("" when nothing else)."""
    fixed = evidence.preflight(acao_fixed(exchange), mode)
    if fixed.allowed or fixed.error == verdict.error or fixed.error is None:
        return ""
    return f", and once Access-Control-Allow-Origin is fixed it still fails ({fixed.error.value})"


def cached_preflight(evidence: Evidence) -> tuple[Judged, bool] | None:
    """The preflight whose Max-Age the Max-Age rules judge, and whether it is latent: the first
    successful preflight, or else the first trusted preflight that would succeed once its
    Access-Control-Allow-Origin were fixed; ``None`` when there is neither."""
    preflights = successful_preflights(evidence)
    if preflights:
        return (preflights[0], preflights[0]), False
    latent = [
        (shown, judged)
        for shown, judged in latent_preflights(evidence)
        if evidence.preflight(judged, "omit").allowed
    ]
    return (latent[0], True) if latent else None


# -- preflight scope: what Allow-Methods and Allow-Headers grant beyond the policy -------------


def scope_preflights(evidence: Evidence) -> tuple[list[Judged], bool]:
    """The trusted preflights whose Allow-Methods/-Headers a browser honours, or else the latent
    ones; and whether they are latent."""
    passing = _trusted_preflights(evidence)
    if passing:
        return [(e, e) for e in passing], False
    latent = latent_preflights(evidence)
    return latent, bool(latent)


def beyond_scope(
    evidence: Evidence,
    preflights: Iterable[Judged],
    header: str,
    allowed: set[str],
    normalize: Callable[[str], str],
    ignored: Callable[[str], bool],
    what: Literal["methods", "request headers"],
) -> tuple[dict[str, None], list[Exchange]]:
    """The items granted outside the policy (in order, `*` included) and the exchanges that
    show them."""
    extra: dict[str, None] = {}
    proof: list[Exchange] = []
    for shown, judged in preflights:
        items = [
            item
            for item in listed(judged, header)
            if item == "*" or (normalize(item) not in allowed and not ignored(item))
        ]
        if judged.probe.purpose == BEYOND and evidence.preflight(judged, "omit").allowed:
            asked = (
                [judged.probe.request_method]
                if what == "methods"
                else [h for h in judged.probe.request_headers if h not in allowed]
            )
            items += [item for item in asked if not ignored(item)]
        if items:
            extra.update(dict.fromkeys(items))
            proof.append(shown)
    return extra, proof
