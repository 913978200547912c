"""The origin-acceptance check shared by the origin-class rules: which untrusted origins a
browser lets read or send.

Every origin-class rule (``reflected-origin``, ``null-origin``, ``prefix-match``, …) names its
probe class with an `OriginCheck`; the registry maps each class to its rule and hands that map to
`check`. For every such class the check asks the browser model whether a page on that origin
could read the reply (CORS check, BROWSER-MODEL.md §2.1, passing the preflight first when the
target's method needs one, §3.3) or could at least send the policy's preflighted request (a
cross-origin write). Narrower rules fold into the arbitrary-origin rule (``reflected-origin``)
when an arbitrary origin is already allowed.

Any one reply that lets an origin in is an exposure, even when other replies for the same
origin (or the other arbitrary origin) refused it: the finding's detail then says
"intermittent: N of M replies …" (`inconsistent_replies` feeds the scan's target note).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

from cors_audit.browser import (
    AllowOriginShape,
    is_cors_safelisted_method,
)
from cors_audit.core.models import Exchange, Finding, OriginClass, ProbeKind, Severity
from cors_audit.judging.observed import LOCAL_DEV, parent_origin
from cors_audit.judging.rules.base import OriginCheck, RuleSpec, Setting
from cors_audit.judging.rules.context import Evidence, make_finding
from cors_audit.judging.rules.exploit import cookies_stay_home, note

OriginRules = Mapping[OriginClass, RuleSpec]
"""Probe class → the origin-class rule that judges it, in catalogue order (``registry.py``)."""

EXACT_ALLOWLIST_FIX: Final = (
    "Compare the Origin header against an exact allowlist of serialized origins "
    "(scheme://host[:port]) and echo it only on an exact match; never use prefix, suffix, "
    "substring or unanchored regex matching. Send `Vary: Origin` whenever the reply depends "
    "on it."
)
"""The fix of the origin rules whose cure is an exact allowlist."""

ALLOWLIST: Final = (Setting.ORIGINS, Setting.VARY)
"""The settings that fix a rule about which origins get in: the allowlist, and ``Vary``."""


_CROSS_SITE = frozenset(
    set(OriginClass) - {OriginClass.TRUSTED, OriginClass.SUBDOMAIN, OriginClass.FIRST_PARTY}
)
"""Classes whose origin is cross-site to the target: SameSite=Lax/Strict (and unspecified)
cookies stay home (BROWSER-MODEL.md §6.0 factor 4; http:// is cross-site under schemeful
same-site). A subdomain (or a first-party candidate) on the same scheme is same-site: its
requests carry Lax cookies."""


@dataclass(frozen=True, slots=True)
class Exposure:
    """What a page on one origin can do against the target, as Chromium judges it."""

    origin: str
    read_omit: bool
    read_include: bool
    send_omit: bool
    send_include: bool
    proof: tuple[Exchange, ...]

    @property
    def any(self) -> bool:
        """The origin can read or send something it should not."""
        return self.read_omit or self.read_include or self.send_omit or self.send_include

    @property
    def credentialed(self) -> bool:
        """The exposure holds with ``credentials: 'include'``."""
        return self.read_include or self.send_include

    @property
    def reads(self) -> bool:
        """Responses are readable (not only writable)."""
        return self.read_omit or self.read_include


def exposure(evidence: Evidence, exchanges: list[Exchange]) -> Exposure:
    """Combine one origin's actual and preflight replies into what Chromium would allow."""
    first = exchanges[0].probe.origin
    origin = first.value if first else "null"
    needs_preflight = not is_cors_safelisted_method(evidence.target.method)
    # One passing reply is enough: the attacker controls the origin, and a server that lets it
    # in on some replies only (backends behind a load balancer) lets it in on one of a few
    # tries. Both random arbitrary origins form one group, interchangeable for the attacker.
    # One walk over the group (it is the hot loop of the origin rules); a preflight verdict is
    # only asked until one passes, as `any` would.
    read_omit = read_include = send_omit = send_include = False
    proof: list[Exchange] = []
    for e in exchanges:
        access = evidence.access(e)
        if access.any:
            proof.append(e)
        kind = e.probe.kind
        if kind is ProbeKind.ACTUAL:
            read_omit = read_omit or access.omit.allowed
            read_include = read_include or access.include.allowed
        elif kind is ProbeKind.PREFLIGHT:
            send_omit = send_omit or evidence.preflight(e, "omit").allowed
            send_include = send_include or evidence.preflight(e, "include").allowed
    if needs_preflight:
        # The target's own method is preflighted: reading needs the preflight to pass too
        # (BROWSER-MODEL.md §3.3, "after a preflight succeeds, the actual response still goes
        # through §2.1").
        read_omit = read_omit and send_omit
        read_include = read_include and send_include
    return Exposure(
        origin,
        read_omit,
        read_include,
        send_omit,
        send_include,
        tuple(proof) if proof else tuple(exchanges),
    )


@dataclass(frozen=True, slots=True)
class Inconsistency:
    """Replies of one kind for one origin (or for the arbitrary origins together) that did not
    agree: ``passed`` of ``replies`` let the origin in."""

    cls: OriginClass
    origin: str
    kind: ProbeKind
    passed: int
    replies: int


def inconsistencies(evidence: Evidence, group: list[Exchange]) -> list[Inconsistency]:
    """Per probe kind, the replies of ``group`` (one origin, or both arbitrary origins) that
    disagreed: some let the origin in and some did not."""
    if len(group) < 2:
        return []  # one reply cannot disagree with itself (most groups hold a single reply)
    first = group[0].probe.origin
    assert first is not None
    origin = "arbitrary origins" if first.cls is OriginClass.ARBITRARY else first.value
    # [passed, replies] per kind, counted in one walk over the group. A reply lets its probe
    # origin in as `exposure` counts it (an actual reply readable, a preflight passing as a
    # whole), in either credentials mode.
    counts = {ProbeKind.ACTUAL: [0, 0], ProbeKind.PREFLIGHT: [0, 0]}
    for e in group:
        kind = e.probe.kind
        count = counts.get(kind)
        if count is None:
            continue
        count[1] += 1
        if kind is ProbeKind.ACTUAL:
            lets_in = evidence.access(e).any
        else:
            lets_in = (
                evidence.preflight(e, "omit").allowed or evidence.preflight(e, "include").allowed
            )
        if lets_in:
            count[0] += 1
    return [
        Inconsistency(first.cls, origin, kind, passed, replies)
        for kind, (passed, replies) in counts.items()
        if 0 < passed < replies
    ]


_KIND_WORDS = {ProbeKind.ACTUAL: "actual requests", ProbeKind.PREFLIGHT: "preflights"}


def describe_inconsistency(item: Inconsistency) -> str:
    """``1 of 2 replies to actual requests from arbitrary origins let the origin in``."""
    return (
        f"{item.passed} of {item.replies} replies to {_KIND_WORDS[item.kind]} from "
        f"{item.origin} let the origin in"
    )


def inconsistent_replies(evidence: Evidence, rules: OriginRules) -> list[Inconsistency]:
    """Every untrusted origin (or the arbitrary ones together) whose replies of one kind
    disagreed: the server answers the same question differently from one reply to the next."""
    return [
        item
        for cls in rules
        for group in evidence.origin_groups(cls).values()
        for item in inconsistencies(evidence, group)
    ]


def _describe(exp: Exposure, evidence: Evidence) -> str:
    parts: list[str] = []
    if exp.read_include:
        parts.append(
            f"Chromium lets a page on {exp.origin} read this response with the user's cookies "
            "(credentials: 'include')"
        )
    elif exp.read_omit:
        parts.append(f"Chromium lets a page on {exp.origin} read this response (without cookies)")
    request = evidence.request
    if exp.send_include or exp.send_omit:
        mode = "with cookies" if exp.send_include else "without cookies"
        headers = ", ".join(request.headers) or "no extra headers"
        parts.append(
            f"the preflight lets {exp.origin} send {request.method} requests {mode} "
            f"(headers: {headers})"
        )
    return "; ".join(parts) + "."


def _severity(rule: OriginCheck, exp: Exposure, evidence: Evidence) -> Severity:
    cls = rule.origin_class
    severity = rule.with_credentials if exp.credentialed else rule.without_credentials
    if cls is OriginClass.THIRD_PARTY and exp.origin.startswith(LOCAL_DEV):
        # Local dev origins need local code on the victim's machine (BROWSER-MODEL.md §6.2 C12).
        severity = severity.lowered()
    if not exp.reads:
        # Only a cross-origin write is possible, no read: one level lower (§6.0 "state-changing
        # preflighted endpoint open to arbitrary origins" is Medium).
        severity = severity.lowered()
    if (
        exp.credentialed
        and cls in _CROSS_SITE
        and severity is Severity.CRITICAL
        and cookies_stay_home(evidence.context)
    ):
        # §6.0 scale: an arbitrary/null origin with credentials where the session cookie is
        # Lax/unspecified needs a same-site foothold or a non-default browser: High.
        severity = Severity.HIGH
    return severity


def check(evidence: Evidence, rules: OriginRules) -> list[Finding]:
    """Findings for every origin class of ``rules`` that a browser would let through."""
    findings: dict[str, Finding] = {}
    open_parents = _open_parents(evidence)
    # The replies whose Access-Control-Allow-Origin is `*`, by identity: one set for every
    # class instead of a shape look-up per reply per group.
    wildcards = {id(e) for e in evidence.with_shape(AllowOriginShape.WILDCARD)}
    for cls, rule in rules.items():
        assert isinstance(rule.check, OriginCheck)
        if cls is OriginClass.INSECURE_SCHEME and not evidence.target.origin.startswith("https://"):
            continue  # an http:// page reading an http:// target gains nothing (§6.2 C11)
        if cls is OriginClass.FIRST_PARTY and evidence.policy.policy_free:
            continue  # without a policy a first-party origin the server admits is its allowlist
        by_origin = {
            key: group
            for key, group in evidence.origin_groups(cls).items()
            # A random subdomain got in too: arbitrary-subdomain covers this first-party one.
            if not (cls is OriginClass.FIRST_PARTY and parent_origin(key) in open_parents)
        }
        judged = [
            (exposure(evidence, group), group)
            for group in by_origin.values()
            # Only `*` for this origin: that is wildcard-origin's business, not a bypass. A `*`
            # next to an echo of the origin (say, on the preflight only) still counts.
            if not all(id(e) in wildcards for e in group)
        ]
        judged = [(exp, group) for exp, group in judged if exp.any]
        if not judged:
            continue
        exposures = [exp for exp, _ in judged]
        best, best_group = max(judged, key=lambda item: (item[0].credentialed, item[0].reads))
        detail = _describe(best, evidence)
        flaky = inconsistencies(evidence, best_group)
        if flaky:
            # Not every reply let the origin in; one that did is enough for an attacker, who
            # can simply try again.
            detail += (
                " The server answered inconsistently (intermittent: "
                + "; ".join(describe_inconsistency(item) for item in flaky)
                + "), e.g. backends behind a load balancer configured differently: an attacker "
                "retries until a reply lets them in."
            )
        cookie_note = note(evidence.context) if best.credentialed else None
        if cookie_note:
            detail += " " + cookie_note
        others = [exp.origin for exp in exposures if exp is not best]
        if others:
            detail += " Also allowed: " + ", ".join(others) + "."
        findings[rule.id] = make_finding(
            evidence,
            rule,
            _severity(rule.check, best, evidence),
            detail,
            [e for exp in exposures for e in exp.proof],
            credentialed=best.credentialed,
        )
    return fold(list(findings.values()), rules)


def _open_parents(evidence: Evidence) -> set[str]:
    """Parents of the random-subdomain probe origins a browser lets through: every named
    subdomain of them is let in for the same reason."""
    return {
        parent_origin(e.probe.origin.value)
        for e in evidence.with_origin(OriginClass.SUBDOMAIN, ProbeKind.ACTUAL, ProbeKind.PREFLIGHT)
        if e.probe.origin is not None and evidence.access(e).any
    }


def fold(findings: list[Finding], rules: OriginRules) -> list[Finding]:
    """Fold narrower origin findings into the arbitrary-origin rule's (``reflected-origin``;
    their evidence is kept). The merged finding takes the worst severity among them, and is
    credentialed when one was: a narrower origin that reads with cookies where any origin reads
    without them is still that bad."""
    arbitrary = rules.get(OriginClass.ARBITRARY)
    main = next((f for f in findings if arbitrary and f.rule == arbitrary.id), None)
    if main is None:
        return findings
    narrower_ids = narrower_rules(rules)
    narrower = [f for f in findings if f.rule in narrower_ids]
    if not narrower:
        return findings
    worst = max([main, *narrower], key=lambda f: f.severity.rank)
    merged = replace(
        main,
        severity=worst.severity,
        credentialed=any(f.credentialed for f in [main, *narrower]),
        folded=tuple(f.rule for f in narrower),
        evidence=main.evidence + tuple(e for f in narrower for e in f.evidence),
    )
    if worst is not main:
        merged = replace(
            merged,
            detail=f"{main.detail} Worse, for {worst.origin or 'a narrower origin'} "
            f"({worst.rule}): {worst.detail}",
        )
    return [merged] + [f for f in findings if f is not main and f not in narrower]


def narrower_rules(rules: OriginRules) -> frozenset[str]:
    """The ids of the origin-class rules that fold into the arbitrary-origin rule: all but it."""
    return frozenset(rule.id for cls, rule in rules.items() if cls is not OriginClass.ARBITRARY)
