"""Output-time redaction: the user's secrets never reach a report, a message or a curl command.

The engine records every reply exactly as received and the rules judge it so: a secret that
happens to equal a protocol token (``-H 'X-Debug: true'``) or to sit inside an origin
(``-H 'X-Tenant: example'`` and ``https://app.example.com``) must not change the verdict.
Redaction therefore happens once the verdict is made, on the finished ``Report`` that every
writer (JSON, HTML, SARIF, JUnit, Markdown, the terminal summary) reads
(``report.redact_report``), and on messages quoting target URLs (`redact_url`).

What is redacted: each secret value (``-H``/``--header-file``/``CORS_AUDIT_HEADER*``/HAR
credential values, the cookie, and the values of credential-like query parameters of the target
URLs), its longer pieces (the token of ``Bearer <token>``, the value of ``name=value``) and their
URL-encoded and base64 forms, in header names as well as values and in every other text field.

What is not: an occurrence that lies inside a *protected* string, one the verdict used and a
reader must see as it was: the protocol tokens (``true``, ``null``, ``*``, method names), the
CORS header names, the probe origins and the trusted origins. A value equal to a secret left
there is named in a report note, as is a secret the replies echoed (shown as ``<redacted>``).
A secret shorter than ``MIN_SECRET`` characters is not searched for at all (it would match
everywhere).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from pydantic import BaseModel

from cors_audit.core.wire import CORS_REQUEST_HEADERS, CORS_RESPONSE_HEADERS

_M = TypeVar("_M", bound=BaseModel)

REDACTED: Final = "<redacted>"
"""What every output shows instead of a secret."""

MIN_SECRET: Final = 4
"""Shortest secret form searched for in outputs."""

MIN_PIECE: Final = 8
"""Shortest piece of a secret (split at whitespace, ``;``, ``,``, ``=``) searched for alone."""

CREDENTIAL_PARAMETERS: Final = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "auth",
        "auth_token",
        "authorization",
        "client_secret",
        "id_token",
        "jwt",
        "key",
        "passwd",
        "password",
        "pwd",
        "refresh_token",
        "secret",
        "session",
        "session_id",
        "sessionid",
        "sig",
        "signature",
        "token",
        "x_amz_credential",
        "x_amz_security_token",
        "x_amz_signature",
    }
)
"""Query parameter names (lowercase, ``-`` read as ``_``) whose values are treated as secrets."""

PROTOCOL_TOKENS: Final = (
    "true",
    "false",
    "null",
    "*",
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
    "OPTIONS",
    "Origin",
    "Vary",
    "Location",
    "Set-Cookie",
    "Cookie",
    "Authorization",
    "Content-Type",
    "Cache-Control",
    "Strict-Transport-Security",
    "WWW-Authenticate",
    *CORS_RESPONSE_HEADERS,
    *CORS_REQUEST_HEADERS,
)
"""Values and header names the verdict reads: never rewritten (matched case-insensitively)."""

_PARAMETER_RE: Final = re.compile(
    r"(?i)([?&;](?:"
    + "|".join(
        sorted(
            (re.escape(n).replace("_", "[_-]") for n in CREDENTIAL_PARAMETERS),
            key=len,
            reverse=True,
        )
    )
    + r")=)([^&#\s\"'<>]+)"
)
"""``?name=value`` / ``&name=value`` of a credential-like parameter, in any text."""

_USERINFO_RE: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#\s]*)@")
"""``scheme://user:password@`` in a URL (up to the last ``@`` of the authority)."""

_SKIPPED_FIELDS: Final = frozenset(
    {
        # Structure and verdict: enumerations, numbers, digests, the user's own policy and the
        # generated fixes (built from that policy only).
        "schema_version",
        "tool",
        "started_at",
        "finished_at",
        "policy",
        "summary",
        "gate",
        "shard",
        "rule",
        "severity",
        "fingerprint",
        "cwe",
        "kind",
        "origin_class",
        "grade",
        "body_sha256",
        "http_version",
        "cors_error",
        "result",
        "remediation",
    }
)


@dataclass(frozen=True, slots=True)
class Secret:
    """One secret value and how a report note names it (never by its value)."""

    source: str
    """E.g. "the X-Api-Key request header", "the cookie", "the api_key query parameter"."""
    value: str


def credential_parameters(url: str) -> list[tuple[str, str]]:
    """``(name, value)`` of every credential-like query parameter of ``url`` with a value."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return []
    return [
        (name, value)
        for name, value in parse_qsl(query, keep_blank_values=False)
        if name.lower().replace("-", "_") in CREDENTIAL_PARAMETERS and value
    ]


def redact_url(text: str) -> str:
    """``text`` (a URL or a message quoting one) without the credentials of a ``user:pass@``
    URL and without the values of credential-like query parameters. For messages about target
    URLs, before any ``Redactor`` exists."""
    text = _USERINFO_RE.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    return _PARAMETER_RE.sub(lambda m: m.group(1) + REDACTED, text)


def userinfo_pieces(text: str) -> list[str]:
    """The user name and password of every ``user:pass@`` URL in ``text`` (and the whole
    user information), longest first: a message about such a URL must quote none of them."""
    pieces: set[str] = set()
    for match in _USERINFO_RE.finditer(text):
        userinfo = match.group(2)
        pieces.add(userinfo)
        pieces.update(p for p in re.split(r"[:@]", userinfo) if len(p) >= 3)
    return sorted((p for p in pieces if p), key=len, reverse=True)


def secret_forms(value: str) -> list[str]:
    """What an echo of ``value`` could look like: the value, its longer pieces, and their
    URL-encoded and base64 forms (unpadded), each at least ``MIN_SECRET`` long."""
    pieces = [value, *(p for p in re.split(r"[\s;,=]+", value) if len(p) >= MIN_PIECE)]
    forms: set[str] = set()
    for piece in pieces:
        try:
            raw = piece.encode("latin-1")
        except UnicodeEncodeError:
            raw = piece.encode("utf-8")
        forms.update(
            {
                piece,
                quote(piece, safe=""),
                quote_plus(piece, safe=""),
                base64.b64encode(raw).decode("ascii").rstrip("="),
                base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
            }
        )
    return [f for f in forms if len(f) >= MIN_SECRET]


class Redactor:
    """Replaces secrets in text, except inside protected strings; remembers which secrets it
    replaced and which it had to leave (see the module docstring)."""

    def __init__(
        self,
        secrets: Sequence[Secret],
        *,
        protected: Iterable[str] = (),
        url_parameters: bool = False,
    ) -> None:
        self.secrets = tuple(secrets)
        owners: dict[str, set[int]] = {}
        for index, secret in enumerate(self.secrets):
            for form in secret_forms(secret.value):
                owners.setdefault(form, set()).add(index)
        # Longest first: a whole value is replaced before its pieces.
        self._forms = sorted(owners.items(), key=lambda item: len(item[0]), reverse=True)
        self._protected = sorted(
            {p.lower() for p in (*PROTOCOL_TOKENS, *protected) if p},
            key=len,
            reverse=True,
        )
        self._url_parameters = url_parameters
        self._cache: dict[str, str] = {}
        self.redacted: set[int] = set()
        """Indices of the secrets found and replaced somewhere."""
        self.kept: set[int] = set()
        """Indices of the secrets found only inside protected strings somewhere (left)."""

    def __bool__(self) -> bool:
        return bool(self._forms) or self._url_parameters

    def text(self, value: str) -> str:
        """``value`` with every secret outside a protected string replaced by ``<redacted>``."""
        done = self._cache.get(value)
        if done is None:
            done = self._cache[value] = self._text(value)
        return done

    def _text(self, value: str) -> str:
        hits = [(form, owners) for form, owners in self._forms if form in value]
        if hits:
            value = self._replace(value, hits)
        if self._url_parameters:
            value = _PARAMETER_RE.sub(lambda m: m.group(1) + REDACTED, value)
        return value

    def _replace(self, value: str, hits: list[tuple[str, set[int]]]) -> str:
        folded = value.lower()
        haystack, needles = (
            (folded, self._protected) if len(folded) == len(value) else (value, self._protected)
        )
        shields = [
            (start, start + len(needle))
            for needle in needles
            if needle in haystack
            for start in _occurrences(haystack, needle)
        ]
        chosen: list[tuple[int, int]] = []
        for form, owners in hits:
            for start in _occurrences(value, form):
                end = start + len(form)
                if any(s <= start and end <= e for s, e in shields):
                    self.kept |= owners
                    continue
                if any(start < e and s < end for s, e in chosen):
                    continue  # part of a longer form already replaced
                chosen.append((start, end))
                self.redacted |= owners
        if not chosen:
            return value
        out: list[str] = []
        at = 0
        for start, end in sorted(chosen):
            out += [value[at:start], REDACTED]
            at = end
        out.append(value[at:])
        return "".join(out)

    def notes(self) -> list[str]:
        """Report notes on what was redacted and what had to be left (never a value)."""
        notes: list[str] = []
        for index, secret in enumerate(self.secrets):
            if index in self.kept:
                notes.append(
                    f"the value of {secret.source} also occurs in what the verdict relies on "
                    "(a protocol token such as 'true', an origin or a CORS header name) and was "
                    "left as received there: a value that common cannot be kept out of a report, "
                    "so it should not be a secret"
                )
            if index in self.redacted:
                notes.append(
                    f"the value of {secret.source} (or an encoded form of it) is shown as "
                    f"{REDACTED} wherever it appeared, also in replies that echoed it; the "
                    "verdict was made on the replies as received"
                )
        return notes

    def model(self, model: _M) -> _M:
        """``model`` with every text field redacted (header names included), structure and
        verdict fields untouched. Unchanged sub-models are returned as they are, so a report's
        shared (frozen) models stay shared."""
        if not self:
            return model
        redacted = _walk(model, self, {})
        assert isinstance(redacted, type(model))
        return redacted


def _occurrences(text: str, needle: str) -> Iterable[int]:
    start = text.find(needle)
    while start != -1:
        yield start
        start = text.find(needle, start + len(needle))


def _walk(value: object, redactor: Redactor, memo: dict[int, object]) -> object:
    """``value`` with every ``str`` leaf redacted; unchanged objects are returned as they are."""
    if type(value) is str:
        return redactor.text(value)
    if isinstance(value, BaseModel):
        known = memo.get(id(value))
        if known is not None:
            return known
        changes: dict[str, object] = {}
        for name in type(value).model_fields:
            if name in _SKIPPED_FIELDS:
                continue
            old = getattr(value, name)
            new = _walk(old, redactor, memo)
            if new is not old:
                changes[name] = new
        result = value.model_copy(update=changes) if changes else value
        memo[id(value)] = result
        return result
    if isinstance(value, list):
        items = [_walk(item, redactor, memo) for item in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value  # numbers, booleans, dates, enumerations, None


def run_secrets(
    headers: Sequence[tuple[str, str]], cookie: str | None, urls: Iterable[str]
) -> list[Secret]:
    """The secrets of a run: the user's header values, the cookie and the values of the
    targets' credential-like query parameters."""
    secrets = [Secret(f"the {name} request header", value) for name, value in headers]
    if cookie is not None:
        secrets.append(Secret("the cookie", cookie))
    seen: set[tuple[str, str]] = set()
    for url in urls:
        for name, value in credential_parameters(url):
            if (name, value) not in seen:
                seen.add((name, value))
                secrets.append(Secret(f"the {name} query parameter", value))
    return [s for s in secrets if s.value.strip()]


def parameter_warning(urls: Iterable[str]) -> str | None:
    """The warning for target URLs carrying credential-like query parameters (names only)."""
    flagged = [url for url in urls if credential_parameters(url)]
    if not flagged:
        return None
    names = sorted({name for url in flagged for name, _ in credential_parameters(url)})
    return (
        f"{len(flagged)} target URL(s) carry credential-like query parameters "
        f"({', '.join(names)}): they are sent as given, and their values are shown as "
        f"{REDACTED} in every report"
    )
