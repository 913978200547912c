"""How the engine sends: `EngineOptions`, checked when made (a bad value is a ``UsageError`` that
names the flag and never quotes a secret value).
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from cors_audit import __version__
from cors_audit.core.errors import UsageError
from cors_audit.core.models import Headers
from cors_audit.inputs.settings import CONCURRENCY, PER_HOST, RETRIES, TIMEOUT
from cors_audit.sending.limits import DEADLINE_FACTOR

DEFAULT_USER_AGENT = f"cors-audit/{__version__}"

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
"""An RFC 9110 field name (``token``)."""


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """How the engine sends. ``headers``, ``cookie`` and ``proxy`` are kept out of ``repr``
    because they can hold secrets."""

    concurrency: int = CONCURRENCY.default
    """Most requests in flight at once, over all hosts."""
    per_host: int = PER_HOST.default
    """Most requests in flight at once to one (scheme, host, port)."""
    timeout: float = TIMEOUT.default
    """Seconds, for each of connect, read, write and waiting for a pooled connection."""
    retries: int = RETRIES.default
    """Extra attempts after a connect failure (refused, unreachable, connect timeout) — never
    after the request may have reached the server, never on an HTTP status."""
    backoff: float = 0.2
    """Seconds before the first retry; doubled for each further retry."""
    rate: float | None = None
    """Requests per second over the whole scan (``None``: no limit)."""
    proxy: str | None = field(default=None, repr=False)
    """Proxy URL for all requests (``http://``, ``https://``, ``socks5://``)."""
    insecure: bool = False
    """Skip TLS certificate verification."""
    ca_bundle: Path | None = None
    """A PEM file of CA certificates trusted besides the default ones (and ``SSL_CERT_FILE`` /
    ``SSL_CERT_DIR``): see ``sending/trust.py``. Checked when the options are made."""
    body_cap: int = 65536
    """Most response-body bytes ever read; reading stops there and the body is marked truncated."""
    headers: Headers = field(default=(), repr=False)
    """The user's ``-H`` headers. Secret: sent only on credentialed actual requests, recorded
    as ``<redacted>``."""
    cookie: str | None = field(default=None, repr=False)
    """The user's ``--cookie`` value. Secret, like ``headers``."""
    user_agent: str = DEFAULT_USER_AGENT
    http2: bool = False
    """Offer HTTP/2 (needs the ``h2`` package)."""
    fast_transport: bool = True
    """Send over aiohttp's connection pool when aiohttp is installed and neither ``proxy`` nor
    ``http2`` is set: more than three times the request rate of httpx's own pool
    (tests/benchmarks/README.md), with the same records. A reply aiohttp's stricter parser
    refuses is sent once more through httpx's transport and recorded from there (see
    ``sending/engine.py``). ``False``: httpx's transport for everything."""
    request_deadline: float | None = None
    """Seconds one attempt may take in total, from connecting to the last body byte read
    (``None``: ``DEADLINE_FACTOR * timeout``). httpx's read timeout restarts with every byte
    received; this does not, so a server that trickles its reply is cut off."""

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise UsageError(f"--concurrency must be at least 1 (got {self.concurrency})")
        if self.per_host < 1:
            raise UsageError(f"--per-host must be at least 1 (got {self.per_host})")
        if not self.timeout > 0:
            raise UsageError(f"--timeout must be a positive number of seconds (got {self.timeout})")
        if self.retries < 0:
            raise UsageError(f"--retries must be 0 or more (got {self.retries})")
        if not self.backoff >= 0:
            raise UsageError(f"retry backoff must be 0 or more seconds (got {self.backoff})")
        if self.rate is not None and not self.rate > 0:
            raise UsageError(f"--rate must be a positive number of requests/s (got {self.rate})")
        if self.body_cap < 0:
            raise UsageError(f"body cap must be 0 or more bytes (got {self.body_cap})")
        if self.request_deadline is not None and not self.request_deadline > 0:
            raise UsageError(
                f"request deadline must be a positive number of seconds "
                f"(got {self.request_deadline})"
            )
        for name, value in self.headers:
            if not _TOKEN.match(name):
                raise UsageError(f"-H {name!r}: not a valid header name (expected a token)")
            # The value itself is a secret: the message names the header only.
            if _has_control(value):
                raise UsageError(f"-H {name}: the value contains a line break or control byte")
        if self.cookie is not None and _has_control(self.cookie):
            raise UsageError("--cookie: the value contains a line break or control byte")
        if _has_control(self.user_agent):
            raise UsageError("user agent: contains a line break or control byte")
        if self.ca_bundle is not None and not self.insecure:
            self.tls_context()  # a bundle that cannot be used is a UsageError now, not later

    def tls_context(self) -> ssl.SSLContext:
        """The one TLS context of both transports (``sending/trust.py``): raises
        ``UsageError`` when a CA bundle (``--ca-bundle``, ``SSL_CERT_FILE``, ``SSL_CERT_DIR``)
        cannot be used."""
        from cors_audit.sending.trust import tls_context

        return tls_context(insecure=self.insecure, ca_bundle=self.ca_bundle, http2=self.http2)

    @property
    def attempt_deadline(self) -> float:
        """The overall deadline of one attempt in seconds (``request_deadline`` or its default)."""
        if self.request_deadline is not None:
            return self.request_deadline
        return DEADLINE_FACTOR * self.timeout

    def secret_values(self) -> tuple[str, ...]:
        """Every secret value that must never appear in a record or a message."""
        values = [value for _, value in self.headers]
        if self.cookie is not None:
            values.append(self.cookie)
        return tuple(v for v in values if v.strip())


def _has_control(value: str) -> bool:
    return any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in value)
