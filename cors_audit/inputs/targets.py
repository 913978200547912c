"""Where targets come from: command-line URLs, target files (or stdin), and the policy.

This stage validates and normalizes every URL, method and site origin once, so that later
stages can trust a ``Target``: an absolute ``http``/``https`` URL with a canonical ASCII host, a
method a browser can send, and a serialized site origin. Bad input raises ``TargetError`` /
``UsageError`` naming the value and where it came from (``argument``, ``urls.txt:3``,
``policy``), never a traceback.

It reads only the files it is given (and stdin for ``-``); it sends nothing over the network and
knows nothing about probes or policies beyond the ``(url, method, site_origin)`` triples it is
handed.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Final, TextIO
from urllib.parse import quote, urlsplit

from cors_audit.browser import is_forbidden_method, is_token, normalize_method
from cors_audit.core.errors import TargetError, UsageError
from cors_audit.core.models import Target
from cors_audit.core.origin import canonical_host, parse_origin, serialize_origin
from cors_audit.core.records import RecordFile, RecordSequence
from cors_audit.core.redaction import redact_url
from cors_audit.core.wire import DEFAULT_PORTS, format_origin

SUPPORTED_SCHEMES = ("http", "https")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")

_COMMENT_RE = re.compile(r"(?:^|\s)#.*\Z", re.DOTALL)
"""A comment: ``#`` at the start of a line or after whitespace. A URL fragment (``/#x``) has no
whitespace before its ``#``, so it is not mistaken for one."""


# -- URLs ----------------------------------------------------------------------------------------


def normalize_url(raw: str, source: str = "argument") -> str:
    """Validate one target URL and return it in canonical form.

    The result is ``scheme://host[:port]/path[?query]``: lowercase scheme, canonical ASCII host
    (IDN → punycode, IPv4/IPv6 in browser form), no default port, a path of at least ``/``,
    non-ASCII path/query characters percent-encoded as UTF-8, and no fragment (a browser never
    sends one). Raises ``TargetError`` naming ``raw`` and ``source``.
    """
    value = raw.strip()
    if not value:
        raise TargetError(raw, "the URL is empty", source)
    for position, char in enumerate(value):
        # Cf covers invisible format characters (zero-width space, bidi overrides).
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            raise TargetError(
                raw,
                f"contains a space, control or invisible character (U+{ord(char):04X}) at position "
                f"{position}; percent-encode it",
                source,
            )
    scheme = _check_scheme(raw, value, source)
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # e.g. an unbalanced "[" in the host
        raise TargetError(raw, f"malformed URL: {exc}", source) from exc
    host, port = _split_netloc(raw, parts.netloc, scheme, source)
    path = _encode_non_ascii(parts.path) or "/"
    query = _encode_non_ascii(parts.query)
    return format_origin(scheme, host, port) + path + (f"?{query}" if query else "")


def _check_scheme(raw: str, value: str, source: str) -> str:
    supported = "cors-audit scans http:// and https:// URLs"
    match = _SCHEME_RE.match(value)
    scheme = match.group(1).lower() if match else ""
    if scheme in SUPPORTED_SCHEMES:
        if value[len(scheme) + 1 : len(scheme) + 3] != "//":
            raise TargetError(raw, f"expected {scheme}:// followed by a host; {supported}", source)
        return scheme
    # "localhost:8080/x" parses as scheme "localhost"; a digit after the colon means a port.
    if match and not value[match.end() : match.end() + 1].isdigit():
        raise TargetError(raw, f"unsupported scheme {scheme!r}; {supported}", source)
    raise TargetError(
        raw,
        f"not an absolute URL; {supported} (did you mean 'https://{value}'?)",
        source,
    )


def _split_netloc(raw: str, netloc: str, scheme: str, source: str) -> tuple[str, int | None]:
    if not netloc:
        raise TargetError(raw, "the URL has no host", source)
    if "@" in netloc:
        raise TargetError(
            raw,
            "credentials in the URL are not supported (they would end up in reports); "
            "pass them with -H 'Authorization: …' or --cookie",
            source,
        )
    if netloc.startswith("["):
        end = netloc.find("]")
        host, after = netloc[: end + 1], netloc[end + 1 :]
        if after and not after.startswith(":"):
            raise TargetError(raw, f"unexpected {after!r} after the IPv6 address", source)
        port_text = after[1:]
    else:
        host, _, port_text = netloc.partition(":")
    port = _parse_port(raw, port_text, source)
    try:
        canonical = canonical_host(host)
    except ValueError as exc:
        raise TargetError(raw, f"invalid host: {exc}", source) from exc
    return canonical, None if port == DEFAULT_PORTS[scheme] else port


def _parse_port(raw: str, text: str, source: str) -> int | None:
    if not text:  # "http://host:/" means the default port, as in browsers
        return None
    if not (text.isascii() and text.isdigit()):
        raise TargetError(raw, f"invalid port {text!r} (expected a number 1-65535)", source)
    port = int(text)
    if not 1 <= port <= 65535:
        raise TargetError(raw, f"port {port} is out of range (expected 1-65535)", source)
    return port


def _encode_non_ascii(text: str) -> str:
    """Percent-encode non-ASCII characters as UTF-8, as a browser does before sending."""
    if text.isascii():
        return text
    return "".join(c if c.isascii() else quote(c, safe="") for c in text)


# -- methods and site origins --------------------------------------------------------------------


def parse_method(raw: str, source: str = "argument") -> str:
    """Validate an HTTP method the way fetch() would take it (BROWSER-MODEL.md §1.3).

    The value must be an HTTP token; ``CONNECT``, ``TRACE`` and ``TRACK`` are rejected because
    browsers refuse to send them. ``DELETE/GET/HEAD/OPTIONS/POST/PUT`` in any case are uppercased,
    as fetch() does; every other method is kept byte for byte (``patch`` stays ``patch``, and a
    server's ``Access-Control-Allow-Methods`` is matched against exactly that).
    Raises ``UsageError`` naming ``source``.
    """
    method = raw.strip()
    if not method:
        raise UsageError(f"{source}: the HTTP method is empty")
    if not is_token(method):
        raise UsageError(
            f"{source}: invalid HTTP method {raw!r} (expected a token such as GET or PATCH)"
        )
    if is_forbidden_method(method):
        raise UsageError(
            f"{source}: HTTP method {method!r} cannot be sent by a browser "
            "(fetch() throws a TypeError for CONNECT, TRACE and TRACK)"
        )
    return normalize_method(method)


def normalize_site_origin(raw: str, source: str = "--site-origin") -> str:
    """Validate a site origin (``https://api.example.com``) and return it serialized as a
    browser would send it. Raises ``UsageError`` naming ``source``."""
    try:
        scheme, host, port = parse_origin(raw.strip())
    except ValueError as exc:
        raise UsageError(f"{source}: invalid site origin {raw!r}: {exc}") from exc
    if scheme not in SUPPORTED_SCHEMES:
        raise UsageError(f"{source}: invalid site origin {raw!r}: the scheme must be http or https")
    return serialize_origin(scheme, host, port)


# -- target lists --------------------------------------------------------------------------------


def read_target_lines(text: str, source_name: str, default_method: str = "GET") -> list[Target]:
    """Targets from text with one ``URL`` or ``METHOD URL`` per line (`iter_target_lines`)."""
    lines = text.removeprefix("\ufeff").split("\n")
    return list(iter_target_lines(lines, source_name, default_method))


def iter_target_lines(
    lines: Iterable[str], source_name: str, default_method: str = "GET"
) -> Iterator[Target]:
    """Targets from ``lines`` (the text split at LF), one ``URL`` or ``METHOD URL`` per line,
    as they are read.

    Blank lines and ``#`` comments (whole-line, or after whitespace at the end of a line) are
    ignored. Lines without a method get ``default_method`` (already validated by the caller).
    Errors name ``source_name:line``.
    """
    for number, line in enumerate(lines, start=1):
        line = line.removesuffix("\r")
        where = f"{source_name}:{number}"
        if "\r" in line:
            # Old Mac line ends, or a CR smuggled into one line: some tools would read two lines
            # here and others one, so the list is refused rather than guessed.
            raise TargetError(
                line.replace("\r", "\\r"),
                "a carriage return (CR) inside the line; expected one URL per line with LF or "
                "CRLF line ends",
                where,
            )
        content = _COMMENT_RE.sub("", line).strip()
        if not content:
            continue
        fields = content.split()
        if len(fields) == 1:
            method, url = default_method, fields[0]
        elif len(fields) == 2:
            if "://" in fields[0]:
                raise TargetError(content, "expected 'METHOD URL' (the method comes first)", where)
            method, url = parse_method(fields[0], where), fields[1]
        else:
            raise TargetError(content, "expected 'URL' or 'METHOD URL' on one line", where)
        yield Target(url=normalize_url(url, where), method=method, source=where)


_CHUNK = 1 << 20
"""Characters of a target file read at a time."""


def _split_lines(chunks: Iterable[str]) -> Iterator[str]:
    """The text of ``chunks`` split at LF, as ``"".join(chunks).split("\n")`` would (the last
    piece too, even when empty), without joining them."""
    pending = ""
    for chunk in chunks:
        pieces = (pending + chunk).split("\n")
        pending = pieces.pop()
        yield from pieces
    yield pending


def _chunks(handle: TextIO) -> Iterator[str]:
    while chunk := handle.read(_CHUNK):
        yield chunk


def read_target_file(path: str, stdin: TextIO, default_method: str = "GET") -> list[Target]:
    """Targets from a file, or from ``stdin`` when ``path`` is ``-`` (`iter_target_file`)."""
    return list(iter_target_file(path, stdin, default_method))


def iter_target_file(path: str, stdin: TextIO, default_method: str = "GET") -> Iterator[Target]:
    """Targets from a file, or from ``stdin`` when ``path`` is ``-``, read a megabyte at a time
    (a list of a million URLs is never one string). A file that is missing, unreadable or not
    UTF-8 raises ``UsageError`` naming it."""
    if path == "-":
        try:
            lines = _split_lines(_chunks(stdin))
            first = next(lines, "").removeprefix("\ufeff")
            yield from iter_target_lines(_chained(first, lines), "stdin", default_method)
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read targets from stdin: {exc}") from exc
        return
    try:
        handle = open(path, encoding="utf-8-sig")  # noqa: SIM115 - closed below
    except FileNotFoundError as exc:
        raise UsageError(f"target file {path!r} does not exist") from exc
    except OSError as exc:
        raise UsageError(f"cannot read target file {path!r}: {exc.strerror or exc}") from exc
    with handle:
        try:
            yield from iter_target_lines(_split_lines(_chunks(handle)), path, default_method)
        except UnicodeDecodeError:
            raise UsageError(
                f"target file {path!r} is not UTF-8 text (bad byte at offset {_bad_byte(path)})"
            ) from None
        except OSError as exc:
            raise UsageError(f"cannot read target file {path!r}: {exc.strerror or exc}") from exc


def _chained(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _bad_byte(path: str) -> int:
    """Where the first byte that is not UTF-8 is in the file at ``path``."""
    try:
        with open(path, "rb") as handle:
            handle.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return exc.start
    except OSError:
        pass
    return 0


def _encode_target(target: Target) -> bytes:
    return json.dumps(
        [target.url, target.method, target.site_origin, target.source, target.request_headers],
        ensure_ascii=False,
    ).encode("utf-8")


def _decode_target(data: bytes) -> Target:
    url, method, site_origin, source, headers = json.loads(data)
    return Target(
        url=url,
        method=method,
        site_origin=site_origin,
        source=source,
        request_headers=tuple(headers),
    )


def collect_targets(
    urls: Sequence[str],
    files: Sequence[str],
    policy_targets: Sequence[tuple[str, str, str | None]],
    *,
    method: str = "GET",
    site_origin: str | None = None,
    stdin: TextIO,
    imported: Sequence[Target] = (),
) -> RecordSequence[Target]:
    """All targets of a run, in order: positional URLs, then target files (``-`` = stdin), then
    ``imported`` targets (OpenAPI, HAR), then the policy's ``(url, method, site_origin)``
    entries.

    ``method`` applies to URLs and file lines without their own method. Duplicates by
    ``(url, method)`` are dropped, the first occurrence wins. ``site_origin`` (``--site-origin``)
    is given to every target that has none of its own.

    The targets stream in (target files are read a megabyte at a time) and out to a record file
    (``core/records.py``): what stays in memory is twelve bytes per target, plus a 16-byte
    digest per target while duplicates are looked for. Raises ``UsageError`` for the first bad
    line, `SpoolError` when the temporary directory cannot take the list.
    """
    default_method = parse_method(method, "--method")
    global_site = None if site_origin is None else normalize_site_origin(site_origin)

    def found() -> Iterator[Target]:
        for raw in urls:
            yield Target(url=normalize_url(raw, "argument"), method=default_method)
        for path in files:
            yield from iter_target_file(path, stdin, default_method)
        yield from imported  # OpenAPI / HAR targets, already normalized by inputs/sources/
        for url, target_method, target_site in policy_targets:
            yield Target(
                url=normalize_url(url, "policy"),
                method=parse_method(target_method, "policy"),
                site_origin=None
                if target_site is None
                else normalize_site_origin(target_site, "policy"),
                source="policy",
            )

    records = RecordFile()
    seen: set[bytes] = set()
    for target in found():
        key = hashlib.blake2b(
            f"{target.method} {target.url}".encode("utf-8", "surrogatepass"), digest_size=16
        ).digest()
        if key in seen:
            continue
        seen.add(key)
        if target.site_origin is None and global_site is not None:
            target = replace(target, site_origin=global_site)
        records.add(_encode_target(target))
    return RecordSequence(records, range(len(records)), _decode_target)


# -- shards --------------------------------------------------------------------------------------


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` → ``(K, N)`` with ``1 <= K <= N``; raises ``UsageError`` otherwise."""
    k_text, sep, n_text = text.strip().partition("/")
    if not (sep and k_text.isdigit() and n_text.isdigit()):
        raise UsageError(f"--shard must look like K/N (e.g. 2/5) or auto, not {text!r}")
    k, n = int(k_text), int(n_text)
    if not 1 <= k <= n:
        raise UsageError(f"--shard {text!r}: K must be between 1 and N")
    return k, n


AUTO_SHARD: Final = "auto"
"""``--shard auto``: the shard is read from the environment (`shard_from_environment`)."""
JOB_COMPLETION_INDEX: Final = "JOB_COMPLETION_INDEX"
"""A Kubernetes Indexed Job's completion index, 0-based."""
SHARD_COUNT_VAR: Final = "CORS_AUDIT_SHARD_COUNT"
"""The shard count next to `JOB_COMPLETION_INDEX` (Kubernetes does not expose completions)."""
CI_NODE_INDEX: Final = "CI_NODE_INDEX"
"""GitLab's index of a ``parallel:`` job, 1-based."""
CI_NODE_TOTAL: Final = "CI_NODE_TOTAL"
"""GitLab's number of copies of a ``parallel:`` job."""
SHARD_VAR: Final = "CORS_AUDIT_SHARD"
"""The shard setting's own variable (``K/N``, or ``auto``)."""


def is_auto_shard(text: str) -> bool:
    """Whether a shard value is ``auto``."""
    return text.strip().lower() == AUTO_SHARD


def resolve_shard(text: str, environ: Mapping[str, str]) -> tuple[int, int]:
    """A ``--shard`` value as ``(K, N)``: ``K/N`` parsed, ``auto`` read from ``environ``."""
    if is_auto_shard(text):
        return shard_from_environment(environ)
    return parse_shard(text)


def shard_from_environment(environ: Mapping[str, str]) -> tuple[int, int]:
    """``--shard auto``: the first of a Kubernetes Indexed Job (``JOB_COMPLETION_INDEX``,
    0-based, with ``CORS_AUDIT_SHARD_COUNT``), a GitLab ``parallel:`` job (``CI_NODE_INDEX`` /
    ``CI_NODE_TOTAL``, 1-based) and ``CORS_AUDIT_SHARD=K/N`` (not when it is ``auto`` itself)
    that is set, as ``(K, N)`` with ``1 <= K <= N``. Raises ``UsageError`` naming the
    variables when none is set or a value is malformed or out of range."""

    def get(name: str) -> str | None:
        return environ.get(name, "").strip() or None

    index = get(JOB_COMPLETION_INDEX)
    if index is not None:
        count = get(SHARD_COUNT_VAR)
        if count is None:
            raise UsageError(
                f"--shard auto: {JOB_COMPLETION_INDEX} is set but {SHARD_COUNT_VAR} is not; "
                "set it to the Job's completions"
            )
        i, n = _whole(JOB_COMPLETION_INDEX, index), _whole(SHARD_COUNT_VAR, count)
        if n < 1:
            raise UsageError(f"--shard auto: {SHARD_COUNT_VAR} must be at least 1, not {n}")
        if i >= n:
            raise UsageError(
                f"--shard auto: {JOB_COMPLETION_INDEX}={i} must be below "
                f"{SHARD_COUNT_VAR}={n} (it runs from 0 to {n - 1})"
            )
        return i + 1, n
    index = get(CI_NODE_INDEX)
    if index is not None:
        total = get(CI_NODE_TOTAL)
        if total is None:
            raise UsageError(f"--shard auto: {CI_NODE_INDEX} is set but {CI_NODE_TOTAL} is not")
        k, n = _whole(CI_NODE_INDEX, index), _whole(CI_NODE_TOTAL, total)
        if not 1 <= k <= n:
            raise UsageError(
                f"--shard auto: {CI_NODE_INDEX}={k} must be between 1 and {CI_NODE_TOTAL}={n}"
            )
        return k, n
    plain = get(SHARD_VAR)
    if plain is not None and not is_auto_shard(plain):
        try:
            return parse_shard(plain)
        except UsageError:
            raise UsageError(
                f"--shard auto: {SHARD_VAR} must look like K/N with 1 <= K <= N (e.g. 2/5), "
                f"not {plain!r}"
            ) from None
    raise UsageError(
        f"--shard auto found no shard in the environment: set {JOB_COMPLETION_INDEX} and "
        f"{SHARD_COUNT_VAR} (Kubernetes Indexed Job), {CI_NODE_INDEX} and {CI_NODE_TOTAL} "
        f"(GitLab parallel:), or {SHARD_VAR}=K/N"
    )


def _whole(name: str, value: str) -> int:
    if not (value.isascii() and value.isdigit()):
        raise UsageError(f"--shard auto: {name} must be a whole number, not {value!r}")
    return int(value)


def shard_of(target: Target, count: int) -> int:
    """The shard (1..count) a target belongs to: a hash of its method and URL, so the split
    does not depend on the order or number of the other targets, and every runner of a CI
    matrix computes the same one."""
    digest = hashlib.sha256(f"{target.method} {target.url}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


# -- scope ---------------------------------------------------------------------------------------


def in_scope(url: str, scope: Sequence[str]) -> bool:
    """Whether ``url``'s host matches one of the host globs (``*.staging.example.com``,
    ``127.0.0.1``, ``api.example.com:8443``); a glob with a port matches ``host:port``.
    An empty scope allows everything."""
    if not scope:
        return True
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    for glob in scope:
        pattern = glob.lower().replace("[", "").replace("]", "")
        if pattern.count(":") == 1 and not pattern.endswith(":"):
            if fnmatch.fnmatchcase(f"{host}:{port}", pattern):
                return True
        elif fnmatch.fnmatchcase(host, pattern):
            return True
    return False


def check_scope(targets: Sequence[Target], scope: Sequence[str]) -> None:
    """Raise ``UsageError`` (before anything is sent) for the first target outside ``scope``."""
    for target in targets:
        if not in_scope(target.url, scope):
            raise UsageError(
                f"{target.source}: {redact_url(target.url)} is outside the scope "
                f"({', '.join(scope)}); nothing was sent"
            )
