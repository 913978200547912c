"""The rule catalogue as every output reads it: the rules in catalogue order, by id, and where
each is documented (README "Rule reference").

JSON, HTML, SARIF ``help``, JUnit, Markdown and ``cors-audit explain`` take rule text from here;
all of it comes from the registry (``registry.py``), which lists each rule's own module. This
module holds no rule of its own.
"""

from __future__ import annotations

from cors_audit import HOMEPAGE
from cors_audit.judging.rules.base import Rule, RuleSpec
from cors_audit.judging.rules.registry import ORIGIN_RULES, RULES, RULES_BY_ID, get_rule

__all__ = ["ORIGIN_RULES", "RULES", "RULES_BY_ID", "Rule", "RuleSpec", "get_rule", "help_uri"]


def help_uri(rule_id: str) -> str:
    """Where a rule is documented: its section (``### <id>``) in README.md on the project page."""
    return f"{HOMEPAGE}#{rule_id}"
