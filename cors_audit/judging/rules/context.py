"""What the checks see of one target, and how they turn an observation into a `Finding`.

`Evidence` indexes a target's exchanges and answers browser questions through the browser model
(``cors_audit.browser``: "would Chromium let this origin read this reply, with or without
credentials?", "would Chromium send this request at all?"). Checks never compare header strings
themselves. `make_finding` builds the finding of a `Rule` with its stable fingerprint and a
``curl`` command that reproduces it without any secret value.
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urljoin, urlsplit

from cors_audit.browser import (
    AllowOriginShape,
    Credentials,
    HeaderList,
    Mode,
    Remembered,
    Verdict,
    extract_header_list_values,
    header_get,
    is_cors_safelisted_method,
    is_redirect,
    remembered_allow_origin_shape,
    remembered_cors_check,
    remembered_preflight_check,
)
from cors_audit.core.models import (
    EffectivePolicy,
    Exchange,
    Exploitability,
    Finding,
    OriginClass,
    ProbeKind,
    Severity,
    Target,
)
from cors_audit.core.wire import url_origin
from cors_audit.judging.rules.base import Rule
from cors_audit.probing.planner import PolicyRequest, policy_request


@dataclass(frozen=True, slots=True)
class Access:
    """The browser's verdict for one origin on one reply, in both credentials modes."""

    omit: Verdict
    include: Verdict

    @property
    def any(self) -> bool:
        """Readable (or sendable) in at least one credentials mode."""
        return self.omit.allowed or self.include.allowed


@dataclass(frozen=True, slots=True)
class Evidence:
    """A target's exchanges, its policy, and the browser model's mode."""

    target: Target
    policy: EffectivePolicy
    exchanges: tuple[Exchange, ...]
    mode: Mode = "chromium"
    credentials_given: bool = False
    context: Exploitability = field(default_factory=Exploitability)
    """Severity factors from the replies (BROWSER-MODEL.md §6.0), see ``exploit.py``."""
    _verdicts: dict[tuple[int, str], tuple[Exchange, Verdict]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Preflight verdicts already computed, by exchange identity and credentials mode: several
    checks ask the same question of the same reply. The exchange is kept with its verdict so
    that its id cannot be reused."""
    _access: dict[int, tuple[Exchange, Access]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """`access` verdicts already computed, by exchange identity alone (the rules ask it over a
    hundred times per target, so the key is kept as cheap as it gets); as for ``_verdicts``,
    the exchange is kept so that its id cannot be reused."""
    _groups: dict[OriginClass, dict[str, list[Exchange]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """`origin_groups` by class, made on first use: the origin rules and the inconsistency note
    both ask for every class."""
    _by_class: dict[OriginClass | None, list[Exchange]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """The answered exchanges by probe origin class (``None``: no origin), in scan order, made
    on first use: every origin rule asks for one class, and walking every exchange for each of
    them cost more than the verdicts."""
    _by_shape: dict[AllowOriginShape, list[Exchange]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """The answered exchanges by the shape of their Access-Control-Allow-Origin, in scan order,
    made on first use: several rules look for one or two rare shapes among every reply."""
    _answered: tuple[Exchange, ...] = field(init=False, repr=False, compare=False)
    """The exchanges that got a reply, in scan order: most checks walk them."""
    _by_kind: dict[ProbeKind, list[Exchange]] = field(init=False, repr=False, compare=False)
    """``_answered`` by probe kind, in scan order: most checks ask for one kind."""
    _preflighted: bool = field(init=False, repr=False, compare=False)
    """The target's method needs a preflight (`browser_sends` asks it of every reply)."""

    def __post_init__(self) -> None:
        answered = tuple(e for e in self.exchanges if e.response is not None)
        by_kind: dict[ProbeKind, list[Exchange]] = {}
        for exchange in answered:
            by_kind.setdefault(exchange.probe.kind, []).append(exchange)
        object.__setattr__(self, "_answered", answered)
        object.__setattr__(self, "_by_kind", by_kind)
        object.__setattr__(self, "_preflighted", not is_cors_safelisted_method(self.target.method))

    @property
    def request(self) -> PolicyRequest:
        """The request trusted pages make according to the policy."""
        return policy_request(self.target, self.policy)

    @property
    def policy_credentials(self) -> Credentials:
        """The credentials mode trusted pages use according to the policy."""
        return "include" if self.policy.allow_credentials else "omit"

    def answered(self, *kinds: ProbeKind) -> Iterator[Exchange]:
        """Exchanges of these kinds (all kinds if none given) that got a reply, in scan
        order."""
        if not kinds:
            return iter(self._answered)
        if len(kinds) == 1:
            return iter(self._by_kind.get(kinds[0], ()))
        return (e for e in self._answered if e.probe.kind in kinds)

    def with_origin(self, cls: OriginClass, *kinds: ProbeKind) -> Iterator[Exchange]:
        """Answered exchanges whose probe origin belongs to ``cls``."""
        by_class = self._by_class
        if not by_class:
            for exchange in self.answered():
                origin = exchange.probe.origin
                by_class.setdefault(None if origin is None else origin.cls, []).append(exchange)
        for exchange in by_class.get(cls, ()):
            if kinds and exchange.probe.kind not in kinds:
                continue
            yield exchange

    def with_shape(self, *shapes: AllowOriginShape) -> Iterator[Exchange]:
        """Answered exchanges whose Access-Control-Allow-Origin has one of ``shapes``
        (`remembered_allow_origin_shape`), in scan order."""
        by_shape = self._by_shape
        if not by_shape:
            for exchange in self._answered:
                assert exchange.response is not None
                shape = remembered_allow_origin_shape(exchange.response.headers)
                by_shape.setdefault(shape, []).append(exchange)
        if len(shapes) == 1:
            return iter(by_shape.get(shapes[0], ()))
        picked = {id(e) for shape in shapes for e in by_shape.get(shape, ())}
        return (e for e in self._answered if id(e) in picked)

    def origin_groups(self, cls: OriginClass) -> dict[str, list[Exchange]]:
        """The answered actual and preflight exchanges of ``cls`` by probe origin, in scan
        order; both arbitrary origins form one group, ``"*"`` (the attacker may use either).
        Made once per class: callers must not change what they get."""
        groups = self._groups.get(cls)
        if groups is None:
            groups = {}
            for exchange in self.with_origin(cls, ProbeKind.ACTUAL, ProbeKind.PREFLIGHT):
                assert exchange.probe.origin is not None
                key = "*" if cls is OriginClass.ARBITRARY else exchange.probe.origin.value
                groups.setdefault(key, []).append(exchange)
            self._groups[cls] = groups
        return groups

    def access(self, exchange: Exchange) -> Access:
        """CORS-check verdicts (BROWSER-MODEL.md §2.1) for the exchange's own origin.

        For a preflight this is the access part only; `preflight` adds method, headers and
        status.
        """
        key = id(exchange)
        hit = self._access.get(key)
        if hit is not None and hit[0] is exchange:
            return hit[1]
        assert exchange.response is not None
        assert exchange.probe.origin is not None
        access = remembered_access(exchange.probe.origin.value, exchange.response.headers)
        self._access[key] = (exchange, access)
        return access

    def preflight(self, exchange: Exchange, credentials: Credentials) -> Verdict:
        """The full preflight verdict (BROWSER-MODEL.md §3.3) for what the probe asked."""
        key = (id(exchange), credentials)
        hit = self._verdicts.get(key)
        if hit is not None and hit[0] is exchange:
            return hit[1]
        assert exchange.response is not None
        assert exchange.probe.origin is not None
        probe = exchange.probe
        verdict = remembered_preflight_check(
            probe.origin.value if probe.origin else "null",
            credentials,
            probe.request_method,
            tuple(probe.request_headers),
            exchange.response.status,
            exchange.response.headers,
            self.mode,
        )
        result = Verdict(allowed=verdict.allowed, error=verdict.error)
        self._verdicts[key] = (exchange, result)
        return result

    def preflight_access(self, exchange: Exchange) -> Access:
        """Full preflight verdicts in both credentials modes."""
        return Access(
            omit=self.preflight(exchange, "omit"), include=self.preflight(exchange, "include")
        )

    def browser_sends(self, exchange: Exchange) -> bool:
        """Whether a browser could send this actual request: for a method that needs a
        preflight, not when every preflight sent for its origin was refused (Chromium then never
        sends it, and its reply is nothing a browser or its cache ever sees)."""
        origin = exchange.probe.origin
        if not self._preflighted or origin is None or exchange.probe.is_preflight:
            return True
        preflights = [
            e
            for e in self.answered(ProbeKind.PREFLIGHT)
            if e.probe.origin is not None
            and (
                e.probe.origin.value == origin.value
                # The random arbitrary origins stand for one another (one preflight is sent).
                or e.probe.origin.cls is origin.cls is OriginClass.ARBITRARY
            )
        ]
        return not preflights or any(self.preflight(e, "omit").allowed for e in preflights)


def _access_of(origin: str, headers: HeaderList) -> Access:
    return Access(
        omit=remembered_cors_check(origin, "omit", headers),
        include=remembered_cors_check(origin, "include", headers),
    )


ACCESS_MEMO: Final = 4096
"""Most (origin, header tuple) `remembered_access` keeps: as ``browser.check.CHECK_MEMO``."""


_remembered_access = Remembered(_access_of, ACCESS_MEMO)
remembered_access = _remembered_access.ask
"""Both CORS-check verdicts for ``origin`` on a reply, remembered for a header tuple: one
look-up per reply of a target instead of one per credentials mode, as equal replies repeat
across the targets of one server."""


PROOF_SHOWN: Final = 4
"""Exchanges a finding keeps as its proof when many replies show the same thing."""


def first(exchanges: Iterable[Exchange]) -> list[Exchange]:
    """The first `PROOF_SHOWN` of ``exchanges``."""
    return list(exchanges)[:PROOF_SHOWN]


def listed(exchange: Exchange, name: str) -> list[str]:
    """The items of the reply's list-valued header ``name`` as a browser parses them (Fetch
    "extract header list values", BROWSER-MODEL.md §1.1); empty when absent or unparsable."""
    assert exchange.response is not None
    values = extract_header_list_values(exchange.response.headers, name)
    return values if isinstance(values, list) else []


def fingerprint(rule: str, target: Target, origin_template: str | None) -> str:
    """Stable id of a finding: rule, method, URL and the origin *template* (the random label
    is replaced by ``{label}``), so the same finding matches across runs."""
    material = "\x1f".join((rule, target.method, target.url, origin_template or ""))
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def curl_command(exchange: Exchange, credentials_given: bool) -> str:
    """A ``curl`` command reproducing the exchange. User secrets are referenced through
    environment variables (``$CORS_AUDIT_COOKIE``, ``$CORS_AUDIT_HEADER``), never inlined."""
    probe = exchange.probe
    parts = ["curl", "-i", "-s", "-X", probe.method, probe.url]
    for name, value in probe.wire_headers():
        if name == "Accept":
            continue
        parts += ["-H", f"{name}: {value}"]
    command = shlex.join(parts)
    if probe.credentialed and credentials_given:
        command += ' -H "Cookie: $CORS_AUDIT_COOKIE" -H "$CORS_AUDIT_HEADER"'
    return command


def make_finding(
    evidence: Evidence,
    rule: Rule,
    severity: Severity,
    detail: str,
    proof: Sequence[Exchange],
    *,
    origin_template: str | None = None,
    credentialed: bool = False,
    cors_error: str | None = None,
) -> Finding:
    """A finding of ``rule`` proven by ``proof`` (the first exchange gives the curl). When an
    actual reply in the proof is a redirect, the detail says what Chromium does next."""
    redirect = redirect_note(evidence, proof)
    if redirect is not None:
        detail = f"{detail} {redirect}"
    first = proof[0]
    origin = first.probe.origin
    if origin_template is None and origin is not None:
        origin_template = origin.template
    return Finding(
        rule=rule.id,
        severity=severity,
        url=evidence.target.url,
        method=evidence.target.method,
        origin=origin.value if origin else None,
        title=rule.title,
        detail=detail,
        fix=rule.fix,
        curl=curl_command(first, evidence.credentials_given),
        fingerprint=fingerprint(rule.id, evidence.target, origin_template),
        evidence=tuple(proof),
        credentialed=credentialed,
        cors_error=cors_error,
        exploitability=evidence.context,
    )


_LOCATION_SHOWN: Final = 200
"""Characters of a redirect's Location quoted in a finding (a hostile one may be huge)."""


def redirect_note(evidence: Evidence, proof: Sequence[Exchange]) -> str | None:
    """What Chromium does after the first actual reply in ``proof`` that is a redirect.

    The scan never follows a redirect (the 3xx is the evidence), and a page never reads one:
    Chromium runs the CORS check on the hop and stops there when it fails (BROWSER-MODEL.md §2.1,
    r03), else follows it, and the reply at the Location decides what the page reads. Same
    origin: the request keeps its ``Origin`` (r04). Another origin: it goes on with
    ``Origin: null`` (redirect-taint, r01, r02), often to a login page when the scan had no
    credentials.
    """
    for exchange in proof:
        response = exchange.response
        probe = exchange.probe
        if probe.kind is not ProbeKind.ACTUAL or response is None or probe.origin is None:
            continue
        if not is_redirect(response.status, response.headers):
            continue
        raw = header_get(response.headers, "Location") or ""
        shown = raw if len(raw) <= _LOCATION_SHOWN else raw[:_LOCATION_SHOWN] + "…"
        lead = f"The reply was a {response.status} redirect to `{shown}` (the scan follows none)"
        if not evidence.access(exchange).omit.allowed:
            return f"{lead}; Chromium runs the CORS check on the redirect itself and stops there."
        scheme = urlsplit(urljoin(exchange.probe.url, raw)).scheme.lower()
        if scheme not in ("http", "https"):
            # Fetch "HTTP-redirect fetch": a Location whose scheme is not HTTP(S) is a network
            # error, not a redirect Chromium follows.
            return (
                f"{lead}; its Location is not an http(s) URL ({scheme or 'no scheme'}:), which "
                "Fetch treats as a network error: the fetch fails there and the page reads "
                "nothing."
            )
        try:
            same = url_origin(urljoin(exchange.probe.url, raw)) == url_origin(exchange.probe.url)
        except ValueError:  # a Location nobody can parse: the fetch fails there
            return f"{lead}; its Location cannot be parsed, so Chromium's fetch fails there."
        if same:
            return (
                f"{lead}; Chromium follows it on the same origin with the same Origin, and the "
                "reply there must let the origin through as well before a page reads anything."
            )
        return (
            f"{lead}; Chromium follows it to another origin with `Origin: null`, and what a page "
            "reads is decided there. If this is a login redirect, scan with a signed-in user's "
            "credentials (-H, --cookie) to judge the replies real users get."
        )
    return None
