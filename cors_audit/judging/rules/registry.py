"""The rule registry: the one ordered list of rules, and the tables every stage derives from it.

``RULES`` is the catalogue order: the order of ``cors-audit rules``, README "Rule reference",
SARIF's rule list, and of findings of one severity. Each entry is the `RuleSpec` built by the
rule's own module; adding a rule is writing that module and adding its name to
``RULE_MODULES`` (``base.py`` says what a rule holds).

Derived here, never kept elsewhere: rules by id, origin-class rules by probe class, the checks to
run, the rules that fold into ``reflected-origin``, and which rules each browser `Claim`
confirms (``verify/``). The remediation focus and the demo-lab expectations are read
from the rules themselves (``RuleSpec.focus``, ``demo_expectations``).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Final

from cors_audit.core.models import OriginClass
from cors_audit.judging.rules.base import (
    Check,
    Claim,
    RuleSpec,
    by_origin_class,
    checks,
    claiming,
    demo_expectations,
    index,
)
from cors_audit.judging.rules.origin import narrower_rules

RULE_MODULES: Final = (
    "reflected_origin",
    "null_origin",
    "prefix_match",
    "suffix_match",
    "unescaped_dot",
    "special_chars",
    "third_party_origin",
    "arbitrary_subdomain",
    "insecure_scheme",
    "origin_beyond_policy",
    "wildcard_origin",
    "credentials_with_wildcard",
    "invalid_allow_origin",
    "trusted_origin_denied",
    "missing_vary_origin",
    "missing_max_age",
    "max_age_out_of_range",
    "methods_beyond_policy",
    "headers_beyond_policy",
    "credentials_beyond_policy",
    "sensitive_exposed_headers",
    "private_network_allowed",
    "preflight_actual_mismatch",
)
"""The rule modules of this package (each named after its rule id), in catalogue order."""


def _load(module: str) -> RuleSpec:
    """The ``RULE`` of ``judging/rules/<module>.py``."""
    rule = importlib.import_module(f"{__package__}.{module}").RULE
    if not isinstance(rule, RuleSpec):
        raise TypeError(f"{__package__}.{module}.RULE is not a RuleSpec")
    return rule


RULES: Final[tuple[RuleSpec, ...]] = tuple(_load(module) for module in RULE_MODULES)
"""Every rule, in catalogue order."""

RULES_BY_ID: Final[Mapping[str, RuleSpec]] = index(RULES)
"""Rule id → rule."""

ORDER: Final[Mapping[str, int]] = {rule.id: position for position, rule in enumerate(RULES)}
"""Rule id → its position in the catalogue (the tie-break of findings of one severity)."""

ORIGIN_CLASSES: Final[Mapping[OriginClass, RuleSpec]] = by_origin_class(RULES)
"""Probe origin class → the origin-class rule that judges it, in catalogue order."""

ORIGIN_RULES: Final[tuple[str, ...]] = tuple(
    rule.id for rule in RULES if rule.id in narrower_rules(ORIGIN_CLASSES)
)
"""Narrower origin rules that fold into ``reflected-origin`` on the same target."""

CHECKS: Final[tuple[Check, ...]] = checks(RULES)
"""The checks of the rules that have their own (the origin-class rules share ``origin.check``)."""

DEMO_WITH_POLICY: Final[Mapping[str, frozenset[str]]] = demo_expectations(RULES, policy=True)
"""Demo-lab path → the rules a correct scan with the demo policy reports there."""

DEMO_WITHOUT_POLICY: Final[Mapping[str, frozenset[str]]] = demo_expectations(RULES, policy=False)
"""Demo-lab path → the rules a correct scan without a policy reports there."""


def get_rule(rule_id: str) -> RuleSpec:
    """The rule with this id; ``KeyError`` lists the known ids."""
    try:
        return RULES_BY_ID[rule_id]
    except KeyError:
        known = ", ".join(RULES_BY_ID)
        raise KeyError(f"unknown rule {rule_id!r}; known rules: {known}") from None


def rules_claiming(claim: Claim) -> frozenset[str]:
    """The ids of the rules whose findings Chromium confirms by showing ``claim``."""
    return claiming(RULES, claim)
