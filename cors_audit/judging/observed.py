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

from cors_audit.browser import (
    ACAH,
    ACAM,
    ACEH,
    ACMA,
    AllowOriginShape,
    HeaderList,
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


def _wildcard(headers: HeaderList) -> bool:
    return remembered_allow_origin_shape(headers) is AllowOriginShape.WILDCARD


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
        wire = response.headers
        wildcard = wildcard or _wildcard(wire)
        if not remembered_cors_check(origin, "omit", wire).allowed:
            continue
        # Preflights only count when the browser would accept them as a whole (§3.3).
        if probe.kind is not ProbeKind.ACTUAL and not is_ok_status(response.status):
            continue
        cls = probe.origin.cls
        if cls is OriginClass.TRUSTED:
            _add(allowed, [origin], fold=False)
            if remembered_cors_check(origin, "include", wire).allowed:
                _add(credentialed, [origin], fold=False)
        elif cls is OriginClass.FIRST_PARTY:
            if not _wildcard(wire):  # `*` says nothing of whom it means
                _add(discovered, [origin], fold=False)
        else:
            _add(untrusted, [origin], fold=False)
            if cls is OriginClass.ARBITRARY and not _wildcard(wire):
                anyone = True
            elif (
                cls is OriginClass.THIRD_PARTY
                and origin.startswith(LOCAL_DEV)
                and not _wildcard(wire)
            ):
                _add(discovered, [origin], fold=False)
            elif cls is OriginClass.SUBDOMAIN:
                open_parents.add(parent_origin(origin))
        if probe.kind is ProbeKind.ACTUAL:
            listed = extract_header_list_values(wire, ACEH)
            if isinstance(listed, list):
                _add(exposed, listed, fold=True)
            continue
        listed = extract_header_list_values(wire, ACAM)
        if isinstance(listed, list):
            _add(methods, listed, fold=False)
        listed = extract_header_list_values(wire, ACAH)
        if isinstance(listed, list):
            # The beyond-policy probe asks for a made-up x-<label> header: a server that echoes
            # it grants nothing anyone uses (that is headers-beyond-policy's business).
            probed = set(probe.request_headers) if probe.purpose == "beyond-policy" else set()
            _add(headers, [h for h in listed if h.lower() not in probed], fold=True)
        listed = extract_header_list_values(wire, ACMA)
        if isinstance(listed, list):  # one line of delta-seconds (BROWSER-MODEL.md §3.5)
            max_age = max(max_age or 0, int(listed[0]))
        if probe.kind is ProbeKind.PRIVATE_NETWORK:
            granted = private_network_check(origin, "omit", wire).allowed
            private_network = private_network or granted
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
