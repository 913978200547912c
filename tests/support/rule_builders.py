"""Builders for hand-made exchanges, so rule tests state a server's replies as plain tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cors_audit.core.models import (
    EffectivePolicy,
    Exchange,
    Finding,
    Headers,
    OriginClass,
    Probe,
    ProbeOrigin,
    RequestRecord,
    ResponseRecord,
    Target,
)
from cors_audit.judging.rules import evaluate
from cors_audit.judging.rules.registry import ORIGIN_CLASSES
from cors_audit.probing.origins import probe_origins
from cors_audit.probing.planner import plan_initial, plan_next

Server = Callable[[Probe], tuple[int, Headers]]
"""A fake server: probe → (status, response header list)."""

SITE = "https://api.example.com"
APP = "https://app.example.com"
LABEL = "rulelabel7"


def policy(**changes: object) -> EffectivePolicy:
    """The usual test policy: trusts APP with credentials, GET/POST/PATCH, two headers."""
    base: dict[str, object] = {
        "trusted_origins": (APP,),
        "allow_credentials": True,
        "allowed_methods": ("GET", "POST", "PATCH"),
        "allowed_headers": ("Content-Type", "Authorization"),
        "max_age_min": 600,
        "max_age_max": 86400,
    }
    base.update(changes)
    return EffectivePolicy(**base)  # type: ignore[arg-type]


def respond(probe: Probe, server: Server) -> Exchange:
    status, headers = server(probe)
    return Exchange(
        probe=probe,
        request=RequestRecord(probe.method, probe.url, probe.wire_headers()),
        response=ResponseRecord(status=status, reason="", http_version="HTTP/1.1", headers=headers),
    )


def run(
    server: Server,
    pol: EffectivePolicy | None = None,
    *,
    method: str = "GET",
    credentialed: bool = False,
) -> tuple[tuple[Finding, ...], list[Exchange]]:
    """Plan both rounds against the fake server and evaluate the rules."""
    pol = pol or policy()
    target = Target(url="https://api.example.com/items", method=method, site_origin=SITE)
    origins = probe_origins(SITE, pol, LABEL)
    round1 = [
        respond(p, server)
        for p in plan_initial(target, pol, origins, LABEL, credentialed=credentialed)
    ]
    exchanges = list(round1)
    while True:
        more, _ = plan_next(target, pol, LABEL, exchanges, credentialed=credentialed)
        if not more:
            break
        exchanges += [respond(p, server) for p in more]
    return evaluate(target, pol, exchanges, credentials_given=credentialed), exchanges


def rules_of(findings: Sequence[Finding]) -> set[str]:
    return {f.rule for f in findings}


def allowlist(
    allowed: Callable[[str], bool],
    *,
    credentials: bool = True,
    methods: str = "GET, POST, PATCH",
    headers: str = "Content-Type, Authorization",
    max_age: str | None = "600",
    extra: Headers = (),
    preflight_status: int = 204,
) -> Server:
    """A server that echoes allowed origins (with Vary) on actual and preflight replies."""

    def server(probe: Probe) -> tuple[int, Headers]:
        origin = probe.origin.value if probe.origin else None
        out: list[tuple[str, str]] = [("Vary", "Origin")]
        if origin is not None and allowed(origin):
            out.append(("Access-Control-Allow-Origin", origin))
            if credentials:
                out.append(("Access-Control-Allow-Credentials", "true"))
            if probe.is_preflight:
                out.append(("Access-Control-Allow-Methods", methods))
                out.append(("Access-Control-Allow-Headers", headers))
                if max_age is not None:
                    out.append(("Access-Control-Max-Age", max_age))
            out.extend(extra)
        if probe.is_preflight:
            return preflight_status, tuple(out)
        return 200, tuple(out)

    return server


def trusted_only(origin: str) -> bool:
    return origin == APP


def origin_of(cls: OriginClass, value: str) -> ProbeOrigin:
    return ProbeOrigin(value=value, cls=cls, template=value)


NARROW_CLASSES = frozenset(ORIGIN_CLASSES) - {OriginClass.ARBITRARY}
"""Every probe origin class but the trusted and arbitrary ones (discovery included): the classes
of the narrower origin rules (``registry.ORIGIN_CLASSES``)."""
