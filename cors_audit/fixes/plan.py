"""The plan every remediation snippet renders: one complete and correct CORS configuration built
from the intended policy (trusted origins, subdomains, methods, headers, credentials, Max-Age,
exposed headers), and the settings each stack names it by (`stack_settings`).

``null`` and ``*`` are never put in an allowlist; what the plan had to decide because the policy
left it open is kept in ``Plan.notes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cors_audit.core.models import EffectivePolicy
from cors_audit.fixes.escaping import origin_regex, subdomain_regex
from cors_audit.fixes.stack import Stack
from cors_audit.judging.rules import Setting

GENERIC: Final = "generic"
"""The ``stack`` of the stack-independent remediation."""

DEFAULT_MAX_AGE: Final = 600
"""Seconds of preflight caching when the policy allows it: Safari's cap, far above 5 s."""

SIMPLE_METHODS: Final = ("GET", "HEAD", "POST")
"""Rendered when the policy does not state ``allowed_methods`` (the CORS-safelisted methods)."""


@dataclass(frozen=True, slots=True)
class OriginPattern:
    """An anchored regular expression for origins (used where a stack takes one)."""

    regex: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What every snippet renders."""

    origins: tuple[str, ...]
    domains: tuple[str, ...]
    credentials: bool
    methods: tuple[str, ...]
    headers: tuple[str, ...]
    expose: tuple[str, ...] | None
    max_age: int
    focus: tuple[Setting, ...]
    """The settings that fix the rule (see `stack_settings` for what that changes)."""
    notes: tuple[str, ...]
    """What the plan had to decide because the policy left it open or was unusable."""


def _clamp_max_age(policy: EffectivePolicy) -> int:
    value = DEFAULT_MAX_AGE
    if policy.max_age_min is not None and value < policy.max_age_min:
        value = policy.max_age_min
    if policy.max_age_max is not None and value > policy.max_age_max:
        value = policy.max_age_max
    return value


def make_plan(policy: EffectivePolicy, focus: tuple[Setting, ...]) -> Plan:
    """The plan for ``policy``, fixing the ``focus`` settings."""
    notes: list[str] = []
    origins: list[str] = []
    for origin in policy.trusted_origins:
        if origin.strip().lower() in ("null", "*"):
            notes.append(f"{origin!r} was left out of the allowlist: it trusts every page.")
        elif origin not in origins:
            origins.append(origin)
    if not origins and not policy.trust_subdomains_of:
        notes.append("The policy trusts no origin: no origin is allowed.")
    methods = policy.allowed_methods
    if methods is None:
        methods = SIMPLE_METHODS
        notes.append(
            "The policy does not state allowed_methods: only the safelisted "
            f"{', '.join(SIMPLE_METHODS)} are rendered; add the methods your clients use."
        )
    if policy.allow_credentials is None:
        notes.append(
            "The policy does not state allow_credentials: credentials are left off; enable them "
            "only if clients send cookies or HTTP authentication."
        )
    return Plan(
        origins=tuple(origins),
        domains=tuple(dict.fromkeys(d.strip(".").lower() for d in policy.trust_subdomains_of)),
        credentials=bool(policy.allow_credentials),
        methods=tuple(methods),
        headers=tuple(policy.allowed_headers or ()),
        expose=policy.expose_headers,
        max_age=_clamp_max_age(policy),
        focus=focus,
        notes=tuple(notes),
    )


# -- settings per stack -------------------------------------------------------------------------

Settings = dict[str, object]


def _flask_origins(plan: Plan) -> list[str]:
    # flask-cors adds `Vary: Origin` only when more than one origin or a regex could match
    # (flask_cors/core.py get_cors_headers) and treats any origin containing one of
    # `*\]?$^[]()` as a regex: anchored, escaped regexes avoid both traps.
    patterns = [origin_regex(origin) for origin in plan.origins]
    if plan.domains:
        patterns.append(subdomain_regex(plan.domains))
    return patterns


def _wildcards(plan: Plan) -> list[str]:
    return [f"https://*.{domain}" for domain in plan.domains]


def stack_settings(stack: Stack | str, plan: Plan) -> Settings:
    """The stack's settings, in the order the snippet shows them. Exposed headers and
    private-network access appear only when the policy states them or the rule is about them."""
    expose = list(plan.expose or ())
    with_expose = plan.expose is not None or Setting.EXPOSE in plan.focus
    private_network = Setting.PRIVATE_NETWORK in plan.focus
    methods, headers = list(plan.methods), list(plan.headers)
    regexes = [subdomain_regex(plan.domains)] if plan.domains else []
    settings: Settings
    if stack == Stack.STARLETTE:
        settings = {
            "allow_origins": list(plan.origins),
            "allow_origin_regex": regexes[0] if regexes else None,
            "allow_credentials": plan.credentials,
            "allow_methods": methods,
            "allow_headers": headers,
            **({"expose_headers": expose} if with_expose else {}),
            **({"allow_private_network": False} if private_network else {}),
            "max_age": plan.max_age,
        }
    elif stack == Stack.FLASK_CORS:
        settings = {
            "origins": _flask_origins(plan),
            "supports_credentials": plan.credentials,
            "methods": methods,
            "allow_headers": headers,
            **({"expose_headers": expose} if with_expose else {}),
            **({"allow_private_network": False} if private_network else {}),
            "max_age": plan.max_age,
            "vary_header": True,
        }
    elif stack == Stack.DJANGO:
        settings = {
            "CORS_ALLOW_ALL_ORIGINS": False,
            "CORS_ALLOWED_ORIGINS": list(plan.origins),
            "CORS_ALLOWED_ORIGIN_REGEXES": regexes,
            "CORS_ALLOW_CREDENTIALS": plan.credentials,
            "CORS_ALLOW_METHODS": methods,
            "CORS_ALLOW_HEADERS": headers,
            **({"CORS_EXPOSE_HEADERS": expose} if with_expose else {}),
            "CORS_PREFLIGHT_MAX_AGE": plan.max_age,
            "CORS_ALLOW_PRIVATE_NETWORK": False,
        }
    elif stack == Stack.EXPRESS:
        settings = {
            "origin": [*plan.origins, *(OriginPattern(r) for r in regexes)],
            "credentials": plan.credentials,
            "methods": methods,
            "allowedHeaders": headers,
            **({"exposedHeaders": expose} if with_expose else {}),
            "maxAge": plan.max_age,
        }
    elif stack == Stack.SPRING:
        settings = {
            "allowedOrigins": list(plan.origins),
            "allowedOriginPatterns": _wildcards(plan),
            "allowCredentials": plan.credentials,
            "allowedMethods": methods,
            "allowedHeaders": headers,
            **({"exposedHeaders": expose} if with_expose else {}),
            "maxAge": plan.max_age,
            **({"allowPrivateNetwork": False} if private_network else {}),
        }
    elif stack == Stack.ASPNETCORE:
        origins = [*plan.origins, *_wildcards(plan)]
        settings = {
            "origins": origins,
            "wildcard_subdomains": bool(plan.domains),
            "credentials": plan.credentials,
            "methods": methods,
            "headers": headers,
            **({"exposed_headers": expose} if with_expose else {}),
            "max_age": plan.max_age,
            # CorsService.PopulateResult: `VaryByOrigin = policy.Origins.Count > 1`.
            "add_vary_origin": len(origins) <= 1,
        }
    elif stack == Stack.RS_CORS:
        settings = {
            "AllowedOrigins": [*plan.origins, *_wildcards(plan)],
            "AllowCredentials": plan.credentials,
            "AllowedMethods": methods,
            "AllowedHeaders": headers,
            **({"ExposedHeaders": expose} if with_expose else {}),
            "MaxAge": plan.max_age,
            **({"AllowPrivateNetwork": False} if private_network else {}),
        }
    else:  # nginx and generic: plain header values
        settings = {
            "origins": list(plan.origins),
            "origin_regexes": regexes,
            "credentials": plan.credentials,
            "methods": methods,
            "headers": headers,
            "expose": expose,
            "with_expose": with_expose,
            "max_age": plan.max_age,
            "private_network": private_network,
        }
    return settings
