"""The rule unit: everything one rule is, in one record, and the helpers the registry derives its
tables with.

A rule is one `RuleSpec`, built by its own module (``rules/<rule_id>.py``) and listed once in
``registry.py``. It holds:

* its catalogue text (the `Rule` fields: id, title, severity in words, CWE, family, why, fix),
  which every output shows (JSON, HTML, SARIF, JUnit, Markdown, ``cors-audit explain``, README
  "Rule reference");
* its ``check``: a function of the target's `Evidence` that returns its findings, or for an
  origin-class rule an `OriginCheck` naming the probe class the shared acceptance check of
  ``origin.py`` judges for it;
* its ``claim``: what Chromium must show for ``scan --verify-browser`` to confirm a finding
  (`Claim`), or ``None`` when nothing a page can observe follows from it;
* its ``focus``: the configuration settings (`Setting`) that fix it (the remediation snippets
  mark those lines; the first names the fix);
* its ``demo``: the demo-lab endpoints a correct scan reports it for (`DemoExpectation`), so the
  lab's expectations are derived from the rules and not kept beside them.

Nothing here knows a particular rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from cors_audit.core.models import Finding, OriginClass, Severity

if TYPE_CHECKING:
    from cors_audit.judging.rules.context import Evidence


@dataclass(frozen=True, slots=True)
class Rule:
    """The catalogue text of one rule: what every output says about it."""

    id: str
    """Stable kebab-case id used by reports, baselines and dashboards."""
    title: str
    """One line saying what is wrong."""
    family: str
    """Grouping for reports: ``origin``, ``wildcard``, ``validity``, ``preflight``, ``caching``,
    ``exposure``, ``network``."""
    severity: str
    """How the severity is decided, in words (the logic itself is in the check)."""
    default: Severity
    """The severity without aggravating context; used for ``cors-audit rules`` sorting."""
    cwe: str
    """The closest CWE id, e.g. ``CWE-942``."""
    why: str
    """Why it matters, in one or two sentences a developer understands."""
    fix: str
    """What to change, concretely."""


class Claim(StrEnum):
    """What the browser must show for a finding to be confirmed (``scan --verify-browser``)."""

    READ = "read"
    """The page on the finding's origin reads the response (the fetch promise resolves)."""
    DENIED = "denied"
    """The page is blocked with a CORS error (breakage findings: a trusted origin fails)."""
    SENT = "sent"
    """The preflight passes, so the actual request is sent (its response may still be blocked)."""
    EXPOSED = "exposed"
    """The response is readable and script can read an exposed header."""


class Setting(StrEnum):
    """The parts of a CORS configuration a rule can be fixed by."""

    ORIGINS = "origins"
    CREDENTIALS = "credentials"
    METHODS = "methods"
    HEADERS = "headers"
    EXPOSE = "expose"
    MAX_AGE = "max-age"
    VARY = "vary"
    PRIVATE_NETWORK = "private-network"


@dataclass(frozen=True, slots=True)
class DemoExpectation:
    """The demo-lab endpoints (paths in ``cors_audit/demo/endpoints.py``) a correct scan reports
    the rule for: with the demo policy, and without any policy (the site origin still given)."""

    with_policy: frozenset[str]
    without_policy: frozenset[str]


def demo_lab(*paths: str, without_policy: Iterable[str] | None = None) -> DemoExpectation:
    """The rule holds on ``paths`` with the demo policy, and on the same paths without a policy
    unless ``without_policy`` lists others (a rule that compares with a stated policy: ``()``)."""
    with_policy = frozenset(paths)
    without = with_policy if without_policy is None else frozenset(without_policy)
    return DemoExpectation(with_policy, without)


@dataclass(frozen=True, slots=True)
class OriginCheck:
    """The check of an origin-class rule: ``origin.py`` judges the probe origins of
    ``origin_class`` (can a page there read the reply, or send the policy's preflighted
    request?) and reports at these severities before context lowers them (README "Rules")."""

    origin_class: OriginClass
    with_credentials: Severity
    without_credentials: Severity


Check = Callable[["Evidence"], list[Finding]]
"""A rule's check: the target's evidence in, the rule's findings out (worst-first order is the
caller's business)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSpec(Rule):
    """One rule as a unit: its catalogue text and everything else that is about it."""

    check: Check | OriginCheck
    """The function that finds it, or the origin class the shared origin check judges for it."""
    claim: Claim | None
    """What Chromium must show to confirm a finding; ``None``: nothing a page observes (a cache
    lifetime, a missing ``Vary``, a disagreement between two replies)."""
    focus: tuple[Setting, ...]
    """The settings that fix it, the first one naming the remediation."""
    demo: DemoExpectation
    """The demo-lab endpoints that must trigger it."""
    reference: str = ""
    """More words for README "Rule reference" (one paragraph, plain text), after why and fix."""

    @property
    def origin_class(self) -> OriginClass | None:
        """The probe class of an origin-class rule, else ``None``."""
        return self.check.origin_class if isinstance(self.check, OriginCheck) else None


# -- registry helpers --------------------------------------------------------------------------


def index(rules: Iterable[RuleSpec]) -> dict[str, RuleSpec]:
    """Rule id → rule; ``ValueError`` on a repeated id."""
    by_id: dict[str, RuleSpec] = {}
    for rule in rules:
        if rule.id in by_id:
            raise ValueError(f"rule id {rule.id!r} is registered twice")
        by_id[rule.id] = rule
    return by_id


def by_origin_class(rules: Iterable[RuleSpec]) -> dict[OriginClass, RuleSpec]:
    """Probe class → its origin-class rule, in registry order; ``ValueError`` when two rules
    claim one class."""
    classes: dict[OriginClass, RuleSpec] = {}
    for rule in rules:
        cls = rule.origin_class
        if cls is None:
            continue
        if cls in classes:
            raise ValueError(f"{rule.id} and {classes[cls].id} both judge origin class {cls}")
        classes[cls] = rule
    return classes


def checks(rules: Iterable[RuleSpec]) -> tuple[Check, ...]:
    """The checks of the rules that have their own, in registry order."""
    return tuple(rule.check for rule in rules if not isinstance(rule.check, OriginCheck))


def claiming(rules: Iterable[RuleSpec], claim: Claim) -> frozenset[str]:
    """The ids of the rules whose findings Chromium confirms by showing ``claim``."""
    return frozenset(rule.id for rule in rules if rule.claim is claim)


def demo_expectations(rules: Iterable[RuleSpec], *, policy: bool) -> Mapping[str, frozenset[str]]:
    """Demo-lab path → the ids of the rules a correct scan reports there, with the demo policy
    or (``policy=False``) without one. Paths no rule names are absent."""
    found: dict[str, set[str]] = {}
    for rule in rules:
        paths = rule.demo.with_policy if policy else rule.demo.without_policy
        for path in paths:
            found.setdefault(path, set()).add(rule.id)
    return {path: frozenset(ids) for path, ids in found.items()}
