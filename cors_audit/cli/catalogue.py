"""``cors-audit rules`` and ``explain``: the rule catalogue, and one rule with its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cors_audit.cli.terminal import fail, out
from cors_audit.core.errors import CorsAuditError
from cors_audit.core.models import EffectivePolicy


def rules_command() -> None:
    """List the rule catalogue."""
    from cors_audit.judging.rules.reference import rule_list

    out.print(rule_list(), markup=False, end="")


SAMPLE_POLICY = EffectivePolicy(
    trusted_origins=("https://app.example.com",),
    allow_credentials=True,
    allowed_methods=("GET", "POST"),
    allowed_headers=("Content-Type", "Authorization"),
    max_age_min=600,
    max_age_max=86400,
)
"""The policy ``explain --stack`` builds fixes from when no ``--policy`` is given."""
SAMPLE_URL = "https://api.example.com/"
"""The URL whose policy a given ``--policy`` file yields for ``explain --stack``."""


def explain_command(
    rule_id: Annotated[str, typer.Argument(help="A rule id, e.g. reflected-origin.")],
    stack: Annotated[
        str | None,
        typer.Option(
            help="Show the fix for this stack: nginx, express-cors, starlette, flask-cors, "
            "django-cors-headers, spring, aspnetcore, go-rs-cors.",
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(help="Build the fix snippet from this policy (default: a sample one)."),
    ] = None,
) -> None:
    """Explain one rule: what it means, why it matters, how to fix it (in your stack)."""
    from cors_audit.app.configure import read_policy
    from cors_audit.fixes.remediation import remediation_for
    from cors_audit.judging.rules import get_rule

    try:
        rule = get_rule(rule_id)
    except KeyError as error:
        fail(str(error.args[0]))
    out.print(
        f"{rule.id} — {rule.title}\n\n"
        f"Severity: {rule.severity}\nCWE: {rule.cwe}\nFamily: {rule.family}\n\n"
        f"Why it matters:\n  {rule.why}\n\nFix:\n  {rule.fix}",
        markup=False,
    )
    if stack is None:
        return
    try:
        effective = SAMPLE_POLICY if policy is None else read_policy(policy).for_url(SAMPLE_URL)
        fixes = remediation_for(rule.id, stack, effective)
    except CorsAuditError as error:
        fail(str(error))
    for fix in fixes:
        notes = "".join(f"\n  - {note}" for note in fix.notes)
        out.print(
            f"\n{fix.title} ({fix.stack}, {fix.language}):\n\n{fix.snippet}{notes}", markup=False
        )


__all__ = ["explain_command", "rules_command"]
