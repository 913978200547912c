"""What a target's CORS configuration does today, summarised from every exchange of its scan.

This is description, not judgement: which probe origins a browser would let read (or preflight
to) the target, with or without credentials, which methods and request headers successful
preflights grant, what they expose and for how long a browser caches them. ``cors-audit init
--from-report`` turns it into a draft policy. Every browser judgement comes from the browser model
(BROWSER-MODEL.md §2, §3.3, §3.5, §4, §5.1); nothing here sends anything or reads a header value
itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from cors_audit.browser import (
    ACAH,
    ACAM,
    ACEH,
    ACMA,
    AllowOriginShape,
    HeaderList,
    Remembered,
    extract_header_list_values,
    is_ok_status,
    private_network_check,
    remembered_allow_origin_shape,
    remembered_cors_check,
)
from cors_audit.core.models import Exchange, OriginClass, ProbeKind
from cors_audit.core.models import Observed as Observed  # re-exported: the summary lives in models


def parent_origin(origin: str) -> str:
    """``https://www.example.com`` → ``https://example.com``: the scheme and the host without
    its first label (the port is dropped)."""
    scheme, _, rest = origin.partition("://")
    host = rest.split(":", 1)[0]
    return f"{scheme}://{host.partition('.')[2]}"


LOCAL_DEV = ("http://localhost", "http://127.0.0.1", "https://localhost")
"""Origin prefixes of local development servers (a discovered one is listed as trusted)."""


def _add(values: list[str], new: Iterable[str], fold: bool) -> None:
    seen = {v.lower() if fold else v for v in values}
    for value in new:
        key = value.lower() if fold else value
        if key not in seen:
            seen.add(key)
            values.append(value)


def _add_one(values: list[str], value: str) -> None:
    """`_add` of one value without case folding: a membership test, not a set of them all."""
    if value not in values:
        values.append(value)


@dataclass(frozen=True, slots=True)
class Seen:
    """What one reply adds to `observe`'s summary, whatever the target: the browser verdicts
    and parsed header lists it needs from the reply, for the probe's origin, kind and (for the
    beyond-policy probe) requested headers."""

    wildcard: bool
    """Access-Control-Allow-Origin is ``*``."""
    passes: bool
    """The reply counts: the CORS check without credentials passes and, for a preflight, the
    status is ok (BROWSER-MODEL.md §3.3)."""
    include: bool
    """The CORS check with credentials passes too."""
    exposed: tuple[str, ...] | None = None
    """An actual reply's parsed Access-Control-Expose-Headers (None: absent or unparsable)."""
    methods: tuple[str, ...] | None = None
    """A preflight's parsed Access-Control-Allow-Methods."""
    headers: tuple[str, ...] | None = None
    """A preflight's parsed Access-Control-Allow-Headers, less the names the probe asked for
    when it is the beyond-policy probe."""
    max_age: int | None = None
    """A preflight's valid Access-Control-Max-Age."""
    private_network: bool = False
    """A private-network preflight's access part passes (§5.1)."""


def _listed(wire: HeaderList, name: str) -> tuple[str, ...] | None:
    listed = extract_header_list_values(wire, name)
    return tuple(listed) if isinstance(listed, list) else None


def seen(
    origin: str, kind: ProbeKind, probed: tuple[str, ...], status: int, wire: HeaderList
) -> Seen:
    """What a reply to a probe from ``origin`` of ``kind`` adds to the summary; ``probed``:
    the request headers of a beyond-policy probe (an echo of them grants nothing), else
    empty."""
    wildcard = remembered_allow_origin_shape(wire) is AllowOriginShape.WILDCARD
    if not remembered_cors_check(origin, "omit", wire).allowed or (
        kind is not ProbeKind.ACTUAL and not is_ok_status(status)
    ):
        return Seen(wildcard, passes=False, include=False)
    include = remembered_cors_check(origin, "include", wire).allowed
    if kind is ProbeKind.ACTUAL:
        return Seen(wildcard, True, include, exposed=_listed(wire, ACEH))
    headers = _listed(wire, ACAH)
    if headers is not None and probed:
        asked = set(probed)
        headers = tuple(h for h in headers if h.lower() not in asked)
    max_age = _listed(wire, ACMA)
    return Seen(
        wildcard,
        True,
        include,
        methods=_listed(wire, ACAM),
        headers=headers,
        max_age=int(max_age[0]) if max_age is not None else None,
        private_network=kind is ProbeKind.PRIVATE_NETWORK
        and private_network_check(origin, "omit", wire).allowed,
    )


SEEN_MEMO: Final = 4096
"""Most replies `remembered_seen` keeps: as ``browser.check.CHECK_MEMO``."""


_remembered_seen = Remembered(seen, SEEN_MEMO)
remembered_seen = _remembered_seen.ask
"""`seen`, remembered for a header tuple: equal replies to the same probe repeat across
the targets of one server, and parsing their header lists again was most of `observe`."""


def observe(exchanges: Iterable[Exchange]) -> Observed:
    """Summarise the exchanges of one target (order-preserving, de-duplicated)."""
    allowed: list[str] = []
    credentialed: list[str] = []
    untrusted: list[str] = []
    discovered: list[str] = []
    open_parents: set[str] = set()
    anyone = False
    methods: list[str] = []
    headers: list[str] = []
    exposed: list[str] = []
    wildcard = private_network = False
    max_age: int | None = None
    for exchange in exchanges:
        probe, response = exchange.probe, exchange.response
        if response is None or probe.origin is None:
            continue
        origin = probe.origin.value
        kind = probe.kind
        reply = remembered_seen(
            origin,
            kind,
            # The beyond-policy probe asks for a made-up x-<label> header: a server that echoes
            # it grants nothing anyone uses (that is headers-beyond-policy's business).
            probe.request_headers if probe.purpose == "beyond-policy" else (),
            response.status,
            response.headers,
        )
        wildcard = wildcard or reply.wildcard
        if not reply.passes:
            continue
        cls = probe.origin.cls
        if cls is OriginClass.TRUSTED:
            _add_one(allowed, origin)
            if reply.include:
                _add_one(credentialed, origin)
        elif cls is OriginClass.FIRST_PARTY:
            if not reply.wildcard:  # `*` says nothing of whom it means
                _add_one(discovered, origin)
        else:
            _add_one(untrusted, origin)
            if cls is OriginClass.ARBITRARY and not reply.wildcard:
                anyone = True
            elif (
                cls is OriginClass.THIRD_PARTY
                and origin.startswith(LOCAL_DEV)
                and not reply.wildcard
            ):
                _add_one(discovered, origin)
            elif cls is OriginClass.SUBDOMAIN:
                open_parents.add(parent_origin(origin))
        if kind is ProbeKind.ACTUAL:
            if reply.exposed is not None:
                _add(exposed, reply.exposed, fold=True)
            continue
        if reply.methods is not None:
            _add(methods, reply.methods, fold=False)
        if reply.headers is not None:
            _add(headers, reply.headers, fold=True)
        if reply.max_age is not None:  # one line of delta-seconds (BROWSER-MODEL.md §3.5)
            max_age = max(max_age or 0, reply.max_age)
        private_network = private_network or reply.private_network
    return Observed(
        allowed_origins=tuple(allowed),
        credentialed_origins=tuple(credentialed),
        untrusted_allowed=tuple(untrusted),
        wildcard=wildcard,
        methods=tuple(methods),
        headers=tuple(headers),
        exposed=tuple(exposed),
        max_age=max_age,
        private_network=private_network,
        # A named subdomain let in because every subdomain is says nothing of intent.
        discovered=()
        if anyone
        else tuple(o for o in discovered if parent_origin(o) not in open_parents),
    )
