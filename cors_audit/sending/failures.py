"""Why an attempt failed, in words a person can act on: `classify_error` maps an httpx, OS or TLS
exception (the aiohttp transport maps its own onto httpx's first) to a ``ScanError`` kind and
message, and the engine's own two failures (the attempt deadline, a head with too many lines)
are worded here too.

It must not raise (the engine turns a classifier bug into an ``other`` error all the same) and
must not quote request header values: the engine scrubs secrets from every message it keeps.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator

import httpx

from cors_audit.core.models import ErrorKind, ScanError
from cors_audit.core.wire import DEFAULT_PORTS
from cors_audit.sending.limits import MAX_HEAD_BYTES, MAX_RESPONSE_HEADERS

_DNS_TEXT = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "getaddrinfo failed",
    "no address associated with hostname",
    "name resolution",
)
_RESET_TEXT = (
    "server disconnected",
    "peer closed connection",
    "connection reset",
    "broken pipe",
    "connection aborted",
)
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.ENETDOWN}
_RESET = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED}


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes/contexts and the members of exception groups among them."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def host_and_port(url: str) -> tuple[str, str]:
    """``(host, host:port)`` of a URL for messages."""
    try:
        parsed = httpx.URL(url)
    except Exception:
        return url, url
    port = parsed.port or DEFAULT_PORTS.get(parsed.scheme)
    host = parsed.host or url
    return host, f"{host}:{port}" if port else host


def describe(exc: BaseException) -> str:
    """An exception's text, or its type's name when it has none."""
    return str(exc).strip() or type(exc).__name__


def classify_error(
    exc: BaseException, *, url: str, timeout: float, proxied: bool = False
) -> ScanError:
    """Map an httpx/OS/TLS exception to a ``ScanError`` with a message a person can act on."""
    host, hostport = host_and_port(url)
    chain = list(exception_chain(exc))
    texts = " | ".join(describe(e) for e in chain).lower()
    seconds = f"{timeout:g} s"

    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        phase, what = _timeout_phase(exc, hostport)
        return ScanError(ErrorKind.TIMEOUT, f"{phase} timeout: {what} within {seconds}")
    if isinstance(exc, httpx.ProxyError):
        return ScanError(ErrorKind.PROXY, f"proxy error while reaching {hostport}: {describe(exc)}")

    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            detail = link.verify_message or describe(link)
            return ScanError(ErrorKind.TLS, _cert_message(hostport, detail))
    if "certificate_verify_failed" in texts or "certificate verify failed" in texts:
        return ScanError(ErrorKind.TLS, _cert_message(hostport, describe(exc)))
    for link in chain:
        if isinstance(link, ssl.SSLError):
            reason = getattr(link, "reason", None)  # unset on hand-made SSLErrors
            return ScanError(ErrorKind.TLS, _tls_message(hostport, reason or describe(link)))
    if "[ssl" in texts or "ssl:" in texts:
        return ScanError(ErrorKind.TLS, _tls_message(hostport, describe(exc)))

    gai = next((e for e in chain if isinstance(e, socket.gaierror)), None)
    if gai is not None or any(t in texts for t in _DNS_TEXT):
        why = (gai.strerror if gai is not None else None) or describe(exc)
        return ScanError(ErrorKind.DNS, f"DNS lookup failed for {host}: {why}")

    os_errnos = {e.errno for e in chain if isinstance(e, OSError) and e.errno is not None}
    refused = any(isinstance(e, ConnectionRefusedError) for e in chain)
    if refused or errno.ECONNREFUSED in os_errnos or "connection refused" in texts:
        via = " (through the proxy)" if proxied else ""
        return ScanError(
            ErrorKind.CONNECT,
            f"connection refused by {hostport}{via}: nothing is listening there",
        )
    if os_errnos & _UNREACHABLE:
        cause = next(
            (e.strerror for e in chain if isinstance(e, OSError) and e.errno in _UNREACHABLE),
            None,
        )
        return ScanError(ErrorKind.CONNECT, f"{hostport} is unreachable: {cause or describe(exc)}")

    is_reset = any(isinstance(e, ConnectionResetError | BrokenPipeError) for e in chain)
    if is_reset or os_errnos & _RESET or any(t in texts for t in _RESET_TEXT):
        return ScanError(
            ErrorKind.RESET,
            f"{hostport} closed or reset the connection before a complete response "
            f"({describe(exc)})",
        )

    if isinstance(exc, httpx.RemoteProtocolError | httpx.LocalProtocolError):
        if "too long" in texts or "too large" in texts:
            return ScanError(
                ErrorKind.TOO_LARGE,
                f"response head from {hostport} is too large (over "
                f"{MAX_HEAD_BYTES // 1024} KiB without the end of the headers): {describe(exc)}",
            )
        return ScanError(
            ErrorKind.PROTOCOL, f"malformed HTTP exchange with {hostport}: {describe(exc)}"
        )
    if isinstance(exc, httpx.DecodingError):
        return ScanError(
            ErrorKind.PROTOCOL, f"undecodable response from {hostport}: {describe(exc)}"
        )
    if isinstance(exc, httpx.ConnectError):
        via = " through the proxy" if proxied else ""
        return ScanError(
            ErrorKind.CONNECT, f"could not connect to {hostport}{via}: {describe(exc)}"
        )
    if isinstance(exc, httpx.NetworkError):
        return ScanError(ErrorKind.RESET, f"the connection to {hostport} broke: {describe(exc)}")
    return ScanError(ErrorKind.OTHER, f"{type(exc).__name__}: {describe(exc)}")


def _timeout_phase(exc: BaseException, hostport: str) -> tuple[str, str]:
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect", f"no connection to {hostport}"
    if isinstance(exc, httpx.ReadTimeout):
        return "read", f"no response data from {hostport}"
    if isinstance(exc, httpx.WriteTimeout):
        return "write", f"could not send the request to {hostport}"
    if isinstance(exc, httpx.PoolTimeout):
        return "pool", "no free connection in the client pool"
    return "request", f"no answer from {hostport}"


def _cert_message(hostport: str, detail: str) -> str:
    return (
        f"TLS certificate verify failed for {hostport}: {detail}; "
        "use --insecure to skip verification"
    )


def _tls_message(hostport: str, reason: str) -> str:
    hint = ""
    if any(r in reason.upper() for r in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE")):
        hint = " (is this port plain HTTP? try an http:// URL)"
    return f"TLS handshake with {hostport} failed: {reason}{hint}"


def deadline_error(url: str, seconds: float) -> ScanError:
    """The attempt ran past its overall deadline (``EngineOptions.attempt_deadline``)."""
    limit = f"{seconds:g} s"
    hostport = host_and_port(url)[1]
    return ScanError(
        ErrorKind.TIMEOUT,
        f"request deadline: {hostport} did not deliver a complete response within {limit} "
        f"(each request gets at most {limit} in total, however slowly data trickles in)",
    )


def too_many_lines(url: str, lines: int) -> ScanError:
    """The response head has more than `MAX_RESPONSE_HEADERS` lines."""
    return ScanError(
        ErrorKind.TOO_LARGE,
        f"response head from {host_and_port(url)[1]} has {lines} header lines "
        f"(more than {MAX_RESPONSE_HEADERS}); it was not recorded",
    )
