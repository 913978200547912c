"""The TLS trust store of a scan: one ``ssl.SSLContext`` for both transports (httpx's and
aiohttp's).

It trusts certifi's CAs (what httpx trusts by default), plus the certificates of
``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` when they are set, plus ``--ca-bundle`` (a PEM file), so
a staging server behind an internal CA is verified without ``--insecure``. With ``--insecure``
nothing is verified. A bundle that is missing, unreadable or holds no certificate is a
``UsageError`` naming the file, raised before any request is sent.

Contexts are cached by what they are built from (paths, the files' size and modification time,
the variables), so every transport of a run, and every run asking for the same trust, share one.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from cors_audit.core.errors import UsageError

CA_BUNDLE_FLAG = "--ca-bundle"

_Stamp = tuple[str, int, int] | None
"""A path, its size and modification time (``None``: not given)."""


def _stamp(path: str | None) -> _Stamp:
    if not path:
        return None
    try:
        info = os.stat(path)
    except OSError:
        return (path, -1, -1)
    return (path, info.st_size, info.st_mtime_ns)


def tls_context(
    *,
    insecure: bool,
    ca_bundle: Path | None,
    http2: bool = False,
    environ: Mapping[str, str] | None = None,
) -> ssl.SSLContext:
    """The context a scan's transports use (see the module docstring). Raises ``UsageError``
    for a bundle (``--ca-bundle``, ``SSL_CERT_FILE``, ``SSL_CERT_DIR``) that cannot be used.
    ``http2`` runs get contexts of their own: httpcore sets the ALPN protocols on the context it
    is given, and an HTTP/1.1 transport must never offer ``h2``."""
    env = os.environ if environ is None else environ
    if insecure:
        return _insecure(http2)
    return _verifying(
        _stamp(None if ca_bundle is None else str(ca_bundle)),
        _stamp(env.get("SSL_CERT_FILE") or None),
        _stamp(env.get("SSL_CERT_DIR") or None),
        http2,
    )


def _alpn(context: ssl.SSLContext, http2: bool) -> ssl.SSLContext:
    context.set_alpn_protocols(["http/1.1", "h2"] if http2 else ["http/1.1"])
    return context


@lru_cache(maxsize=2)
def _insecure(http2: bool) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return _alpn(context, http2)


@lru_cache(maxsize=8)
def _verifying(bundle: _Stamp, cert_file: _Stamp, cert_dir: _Stamp, http2: bool) -> ssl.SSLContext:
    import certifi

    context = _alpn(ssl.create_default_context(cafile=certifi.where()), http2)
    if cert_file is not None:
        _load(context, cert_file[0], f"SSL_CERT_FILE={cert_file[0]}")
    if cert_dir is not None:
        directory = cert_dir[0]
        if not os.path.isdir(directory):
            raise UsageError(f"SSL_CERT_DIR={directory}: not a directory of CA certificates")
        context.load_verify_locations(capath=directory)
    if bundle is not None:
        _load(context, bundle[0], f"{CA_BUNDLE_FLAG} {bundle[0]}")
    return context


def _load(context: ssl.SSLContext, path: str, named: str) -> None:
    """Add the CA certificates of the PEM file ``path`` (``named`` in messages)."""
    if not os.path.exists(path):
        raise UsageError(f"{named}: no such file")
    if os.path.isdir(path):
        raise UsageError(f"{named}: is a directory; give a PEM file of CA certificates")
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise UsageError(f"{named}: cannot read it: {error.strerror or error}") from None
    try:
        context.load_verify_locations(cafile=path)
    except (ssl.SSLError, ValueError, OSError):
        raise UsageError(
            f"{named}: not a PEM file of CA certificates (expected -----BEGIN CERTIFICATE----- "
            "blocks)"
        ) from None


__all__ = ["CA_BUNDLE_FLAG", "tls_context"]
