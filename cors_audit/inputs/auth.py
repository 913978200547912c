"""Where a scan's credentials come from, so they never need to be on the command line.

Sources: ``--header-file`` (``Name: value`` lines), ``CORS_AUDIT_HEADER_<NAME>`` environment
variables (``CORS_AUDIT_HEADER_X_API_KEY=…`` → ``X-Api-Key: …``), ``--cookie-file`` (a
Netscape/curl cookie jar, e.g. exported from a browser). Values are secrets: no message of this
module ever contains one (errors name the file and line, or the variable, only). Reads only the
files it is given; no network.
"""

from __future__ import annotations

import http.cookiejar
import os
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

from cors_audit.browser import is_token
from cors_audit.core.errors import UsageError
from cors_audit.core.models import Headers

HEADER_ENV_PREFIX: Final = "CORS_AUDIT_HEADER_"
_FORBIDDEN: Final = frozenset({"origin", "host", "content-length", "transfer-encoding"})
"""Headers cors-audit must control itself (Origin is the probe; the rest is framing)."""


def check_header(name: str, value: str, where: str) -> tuple[str, str]:
    """A validated ``(name, value)``; raises ``UsageError`` naming ``where`` (never the value)."""
    if not is_token(name):
        raise UsageError(f"{where}: {name!r} is not a valid header name")
    if name.lower() in _FORBIDDEN:
        raise UsageError(f"{where}: the {name} header is set by cors-audit and cannot be given")
    if any(c in value for c in "\r\n\0"):
        raise UsageError(f"{where}: the value of {name} contains a line break or NUL")
    return name, value.strip()


def read_header_file(path: Path) -> Headers:
    """``Name: value`` lines; blank lines and ``#`` comments are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: header file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot read the header file ({type(error).__name__})") from None
    headers: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, sep, value = stripped.partition(":")
        if not sep:
            raise UsageError(f"{path}:{number}: expected 'Name: value'")
        headers.append(check_header(name.strip(), value, f"{path}:{number}"))
    return tuple(headers)


def headers_from_env(environ: Mapping[str, str] | None = None) -> Headers:
    """Headers from ``CORS_AUDIT_HEADER_<NAME>`` variables, sorted by variable name; ``_`` in
    the name becomes ``-`` and each word is capitalised (``X_API_KEY`` → ``X-Api-Key``)."""
    env = os.environ if environ is None else environ
    headers: list[tuple[str, str]] = []
    for variable in sorted(env):
        if not variable.startswith(HEADER_ENV_PREFIX) or variable == HEADER_ENV_PREFIX:
            continue
        raw = variable.removeprefix(HEADER_ENV_PREFIX)
        name = "-".join(part.capitalize() for part in raw.split("_"))
        headers.append(check_header(name, env[variable], f"environment variable {variable}"))
    return tuple(headers)


def cookie_from_jar(path: Path, urls: Iterable[str]) -> str | None:
    """The ``Cookie`` header a browser would send to ``urls`` from a Netscape cookie jar.

    Cookies are matched by domain, path and the secure flag like a browser (the standard
    library's cookie policy). A scan sends one Cookie value to every target, so when the
    targets would get different cookies this raises ``UsageError`` instead of guessing; expired
    cookies are ignored. ``None`` when no cookie applies.
    """
    jar = http.cookiejar.MozillaCookieJar()
    try:
        jar.load(str(path), ignore_discard=True, ignore_expires=False)
    except FileNotFoundError:
        raise UsageError(f"{path}: cookie file not found") from None
    except (http.cookiejar.LoadError, OSError, UnicodeDecodeError, ValueError):
        raise UsageError(
            f"{path}: not a Netscape cookie jar (expected the '# Netscape HTTP Cookie File' "
            "format that curl and browser extensions export)"
        ) from None
    values: set[str] = set()
    for url in urls:
        values.add(_cookie_for(jar, url))
    values.discard("")
    if len(values) > 1:
        raise UsageError(
            f"{path}: the targets would receive different cookies from this jar; scan each "
            "site separately (one --cookie-file per run)"
        )
    return values.pop() if values else None


def _cookie_for(jar: http.cookiejar.CookieJar, url: str) -> str:
    request = urllib.request.Request(url)  # noqa: S310 - never opened; used for matching only
    jar.add_cookie_header(request)
    return request.get_header("Cookie") or ""
