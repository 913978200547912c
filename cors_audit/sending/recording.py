"""What goes out and what is kept of it: the request head of a probe (built once, the same bytes
on every transport), which of its headers are secrets, and the records of both sides.

Secrecy: the user's ``-H`` headers and cookie go only on credentialed actual requests, never on
a preflight (BROWSER-MODEL.md §3.2), and their values are recorded as ``<redacted>``; an error
message that quotes one is scrubbed. Replies are recorded exactly as received, also when a
server echoes a secret back: the rules must judge what the server said, so echoed secrets are
redacted only when outputs are written (``core/redaction.py``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Protocol

from cors_audit.core.models import Headers, Probe, ResponseRecord
from cors_audit.sending.options import EngineOptions

REDACTED = "<redacted>"
"""What the request record shows instead of the value of a user ``-H`` header or the cookie."""

RawHeaders = list[tuple[bytes, bytes]]
"""Header lines as bytes, in order, repeated names kept."""

RawHead = tuple[tuple[bytes, bytes], ...]
"""A request head as the transports take it: `RawHeaders`, frozen (heads are shared by the
requests that have the same one)."""

_BODY_METHODS = ("POST", "PUT", "PATCH")


class ReplyHead(Protocol):
    """The parts of a reply's head a record keeps (``transports.Reply``)."""

    @property
    def status(self) -> int:
        """The status code."""
        ...

    @property
    def reason(self) -> str:
        """The reason phrase, its bytes shown as latin-1."""
        ...

    @property
    def http_version(self) -> str:
        """``HTTP/1.1`` and the like."""
        ...

    @property
    def raw_headers(self) -> Sequence[tuple[bytes, bytes]]:
        """The header lines exactly as received."""
        ...


def client_headers(user_agent: str) -> RawHeaders:
    """The headers every request starts from, as httpx's ``AsyncClient(headers={"User-Agent": …,
    "Accept-Encoding": "identity"})`` has them (identity: the body cap counts raw bytes and a
    gzip bomb cannot expand). tests/sending/test_engine_fast.py checks them against httpx."""
    return [
        (b"Accept", b"*/*"),
        (b"Connection", b"keep-alive"),
        (b"User-Agent", encode(user_agent)),
        (b"Accept-Encoding", b"identity"),
    ]


def request_head(
    defaults: Sequence[tuple[bytes, bytes]],
    netloc: bytes,
    method: str,
    headers: Sequence[tuple[bytes, bytes]],
) -> RawHeaders:
    """The request head ``AsyncClient.build_request`` makes of the client's ``defaults`` and a
    request's ``headers`` (no body): a request header replaces every client header of its name,
    ``Host`` (``netloc``, none when empty) goes first, and ``POST``/``PUT``/``PATCH`` (any case:
    httpx and aiohttp send the method uppercased) get ``Content-Length: 0``
    (tests/sending/test_engine_fast.py checks this against httpx)."""
    names = {k.lower() for k, _ in headers}
    merged = [(k, v) for k, v in defaults if k.lower() not in names]
    merged += headers
    names.update(k.lower() for k, _ in defaults)
    auto: RawHeaders = []
    if b"host" not in names and netloc:
        auto.append((b"Host", netloc))
    if method.upper() in _BODY_METHODS and not names & {b"content-length", b"transfer-encoding"}:
        auto.append((b"Content-Length", b"0"))
    return auto + merged if auto else merged


def probe_headers(probe: Probe, options: EngineOptions) -> tuple[RawHeaders, frozenset[str]]:
    """The probe's request headers, and the lowercased names whose values are secrets.

    User-Agent and ``Accept-Encoding: identity`` come from `client_headers`.
    """
    headers = list(probe.wire_headers())
    user: list[tuple[str, str]] = []
    # BROWSER-MODEL.md §3.2: a preflight never carries credentials, whatever the probe says.
    if probe.credentialed and not probe.is_preflight:
        # The probe's own CORS headers are the experiment: a user header cannot replace them.
        taken = {name.lower() for name, _ in headers}
        cookies: list[str] = []
        for name, value in options.headers:
            if name.lower() in taken:
                continue
            if name.lower() == "cookie":
                cookies.append(value)  # one Cookie header (RFC 6265 §5.4)
            else:
                user.append((name, value))
        if options.cookie is not None:
            cookies.append(options.cookie)
        if cookies:
            user.append(("Cookie", "; ".join(cookies)))
    encoded = [(name.encode("ascii"), encode(value)) for name, value in headers + user]
    return encoded, frozenset(name.lower() for name, _ in user)


def encode(value: str) -> bytes:
    """Header values go out as latin-1 (every record decodes them back byte for byte); text
    outside latin-1 is sent as UTF-8 rather than refused."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def as_text(headers: Sequence[tuple[bytes, bytes]]) -> Headers:
    """Header lines as recorded: every byte shown as its latin-1 character."""
    return tuple([(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers])


def redact(headers: Headers, secret_names: frozenset[str]) -> Headers:
    """``headers`` with the value of every header named in ``secret_names`` replaced."""
    if not secret_names:
        return headers
    return tuple(
        (name, REDACTED if name.lower() in secret_names else value) for name, value in headers
    )


def scrub(message: str, secrets: Sequence[str]) -> str:
    """Remove secret values from an error message (h11 quotes bad header values verbatim)."""
    for secret in secrets:
        for form in {secret, repr(secret)[1:-1], repr(encode(secret))[2:-1]}:
            message = message.replace(form, REDACTED)
        # Belt and braces: any longer piece of a secret still visible withholds the message.
        if any(len(piece) >= 4 and piece in message for piece in re.split(r"[\s;,=]+", secret)):
            return "error message withheld: it quoted a secret request header value"
    return message


def response_record(head: ReplyHead, body: bytes | bytearray, truncated: bool) -> ResponseRecord:
    """The record of a reply: its head as received and the (capped) body's size and digest."""
    return ResponseRecord(
        status=head.status,
        reason=head.reason,
        http_version=head.http_version,
        headers=as_text(head.raw_headers),
        body_bytes=len(body),
        body_truncated=truncated,
        body_sha256=hashlib.sha256(body).hexdigest(),
    )
