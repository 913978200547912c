"""Remediation: configuration snippets that fix a rule's finding, per server stack.

`remediation_for` renders, from the intended policy (``plan.py``), one complete and correct CORS
configuration for the detected stack (when known) and a generic, stack-independent one. The lines
of the snippet that fix the given rule (its ``focus`` settings, declared by the rule itself in
``judging/rules``) carry a ``<- <rule id>`` comment, and the notes start with what to change for
that rule, followed by the stack's pitfalls. `settings_for` returns the structured settings a
snippet is rendered from, so the snippet can be checked by building the real middleware from them
(``tests/fixes/test_remediation.py``).

The snippets live by stack family: ``render_python.py`` (Starlette, flask-cors, Django),
``render_frameworks.py`` (express, Spring, ASP.NET Core, rs/cors) and ``render_servers.py``
(nginx and the generic one); ``escaping.py`` quotes every value taken from the policy for the
snippet's language.

It must not do I/O, guess a stack (that is ``fixes/stack.py``), or change any finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cors_audit.core.errors import UsageError
from cors_audit.core.models import EffectivePolicy
from cors_audit.fixes import render_frameworks, render_python, render_servers
from cors_audit.fixes.plan import GENERIC, Plan, Settings, make_plan, stack_settings
from cors_audit.fixes.render import Renderer, mark
from cors_audit.fixes.stack import Stack
from cors_audit.judging.rules import RULES_BY_ID, Setting


@dataclass(frozen=True, slots=True)
class Remediation:
    """One snippet that fixes a finding on one stack."""

    stack: str
    """A `Stack` value, or ``generic``."""
    title: str
    language: str
    """Syntax of the snippet: ``nginx``, ``javascript``, ``python``, ``java``, ``csharp``,
    ``go`` or ``text``."""
    snippet: str
    notes: tuple[str, ...] = ()


_FOCUS_TITLE: Final = {
    Setting.ORIGINS: "echo only allowlisted origins",
    Setting.CREDENTIALS: "allow credentials only as the policy says",
    Setting.METHODS: "allow only the policy's methods",
    Setting.HEADERS: "allow only the policy's request headers",
    Setting.EXPOSE: "expose only the headers clients need",
    Setting.MAX_AGE: "cache preflights for {max_age} s",
    Setting.VARY: "send Vary: Origin on every reply",
    Setting.PRIVATE_NETWORK: "grant private-network access only to allowlisted origins",
}

_FOCUS_NOTE: Final = {
    Setting.ORIGINS: "Allow-Origin must be the request's Origin echoed only after an exact "
    "match with the allowlist ({origins}); never a prefix, suffix, substring or unanchored "
    "regex match, never `null`, never `*` together with credentials.",
    Setting.CREDENTIALS: "Allow-Credentials is {credentials} per the policy.",
    Setting.METHODS: "Allow-Methods lists exactly the policy's methods ({methods}); never reflect "
    "Access-Control-Request-Method or answer `*`.",
    Setting.HEADERS: "Allow-Headers lists exactly the policy's request headers ({headers}); never "
    "reflect Access-Control-Request-Headers or answer `*`.",
    Setting.EXPOSE: "Expose-Headers lists only what scripts need ({expose}); never "
    "Authorization, Set-Cookie, tokens or session ids.",
    Setting.MAX_AGE: "Max-Age is {max_age} s, inside the policy's range; browsers cap it "
    "(Chromium 7200 s, Firefox 86400 s, Safari 600 s).",
    Setting.VARY: "`Vary: Origin` goes on every reply whose CORS headers depend on the Origin, "
    "including replies to origins that are refused, so no cache serves one origin's reply to "
    "another.",
    Setting.PRIVATE_NETWORK: "Access-Control-Allow-Private-Network is sent only to allowlisted "
    "origins (here: not at all); enable it only if allowlisted public pages must reach this "
    "private service.",
}

_GENERAL_NOTES: Final = (
    "Regular expressions must be anchored (`^https://app\\.example\\.com$`) with escaped dots: "
    "an unescaped `.` matches any character and a missing `$` accepts "
    "`app.example.com.attacker.net`.",
    "Never combine `*` (or reflecting every Origin) with credentials, and never allowlist "
    "`null`: sandboxed iframes and data: URLs send it.",
    "Produce CORS headers in exactly one layer (proxy or application), for OPTIONS and the "
    "actual method alike.",
)


def parse_stack(name: str) -> Stack | None:
    """The `Stack` called ``name`` (``None`` for ``generic``/``unknown``); `UsageError` when
    no stack has that name."""
    if name in (GENERIC, Stack.UNKNOWN):
        return None
    try:
        return Stack(name)
    except ValueError:
        known = ", ".join(s.value for s in Stack if s is not Stack.UNKNOWN)
        raise UsageError(f"unknown stack {name!r}; known stacks: {known}") from None


def _rule_focus(rule_id: str) -> tuple[Setting, ...]:
    rule = RULES_BY_ID.get(rule_id)
    if rule is None:
        known = ", ".join(RULES_BY_ID)
        raise UsageError(f"unknown rule {rule_id!r}; known rules: {known}")
    return rule.focus


def settings_for(stack: str, policy: EffectivePolicy, rule_id: str | None = None) -> Settings:
    """The settings the ``stack`` snippet for ``rule_id`` renders, as that stack names them:
    keyword arguments for Starlette's ``CORSMiddleware`` and flask-cors ``CORS``, Django
    ``settings`` names, the express ``cors`` options object, rs/cors ``Options`` fields…
    Regexes for express are `OriginPattern`."""
    focus = _rule_focus(rule_id) if rule_id is not None else ()
    chosen = parse_stack(stack)
    return stack_settings(chosen or GENERIC, make_plan(policy, focus))


_RENDERERS: Final[dict[str, Renderer]] = {
    **render_servers.RENDERERS,
    **render_frameworks.RENDERERS,
    **render_python.RENDERERS,
}
"""Stack (or ``generic``) → its renderer."""


def _rule_notes(focus: tuple[Setting, ...], plan: Plan) -> list[str]:
    expose = "none" if not plan.expose else ", ".join(plan.expose)
    values = {
        "origins": ", ".join([*plan.origins, *(f"*.{d}" for d in plan.domains)]) or "none",
        "credentials": "on" if plan.credentials else "off",
        "methods": ", ".join(plan.methods),
        "headers": ", ".join(plan.headers) or "only the safelisted ones",
        "expose": expose,
        "max_age": str(plan.max_age),
    }
    return [_FOCUS_NOTE[setting].format(**values) for setting in focus]


def _render(key: str, rule_id: str, focus: tuple[Setting, ...], plan: Plan) -> Remediation:
    renderer = _RENDERERS[key]
    settings = stack_settings(key, plan)
    snippet = mark(renderer.render(settings, focus), focus, rule_id, renderer.comment)
    title = _FOCUS_TITLE[focus[0]].format(max_age=plan.max_age)
    notes = (*_rule_notes(focus, plan), *plan.notes, *renderer.notes, *_GENERAL_NOTES)
    return Remediation(
        stack=key,
        title=f"{renderer.label}: {title}",
        language=renderer.language,
        snippet=snippet,
        notes=notes,
    )


def remediation_for(rule_id: str, stack: str, policy: EffectivePolicy) -> list[Remediation]:
    """Fix snippets for ``rule_id``: the ``stack``'s first when it is a known stack, then the
    generic one. `UsageError` for an unknown rule id or stack name."""
    focus = _rule_focus(rule_id)
    chosen = parse_stack(stack)
    plan = make_plan(policy, focus)
    keys = [chosen.value] if chosen is not None else []
    return [_render(key, rule_id, focus, plan) for key in [*keys, GENERIC]]
