"""Target inventories imported from what a team already has: API descriptions (OpenAPI 3.0 and
3.1, Swagger 2.0; JSON or YAML) and browser traffic (a DevTools HAR export).

``load_openapi`` turns every ``path and method`` of a document into a ``Target`` (path parameters
filled from examples, defaults, enums or a typed placeholder; required query parameters
included) and computes the CORS-unsafe request header names the operation makes a browser send
(declared header parameters, security-scheme headers, a non-simple ``Content-Type``), so the
probe planner can ask for them in ``Access-Control-Request-Headers``. ``load_har`` keeps every
distinct method + URL the page requested cross-origin, folds preflights into the request they
announced, and reports the ``Origin`` values it saw as trusted-origin *candidates*.

This stage reads only the one file it is given. It must not fetch anything: remote and
cross-file ``$ref``s are rejected, never resolved. It must not trust a HAR origin on its own (they
are candidates for the report), and it hands out HAR cookies and auth headers only when the
caller asks for them. It knows nothing about probes, policies or the engine. A malformed
document raises ``UsageError`` naming the file, the JSON pointer (RFC 6901) and what was
expected; syntax errors name line and column.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Final, NoReturn
from urllib.parse import quote, unquote, urljoin

import yaml

from cors_audit.browser import cors_unsafe_request_header_names, header_get, is_token
from cors_audit.core.errors import TargetError, UsageError
from cors_audit.core.models import Target, url_origin
from cors_audit.inputs.targets import normalize_site_origin, normalize_url, parse_method

RequestHeaders = dict[tuple[str, str], tuple[str, ...]]
"""``(method, url)`` → the lowercased, sorted CORS-unsafe request header names of that target."""

Credentials = tuple[tuple[str, str], ...]
"""``(header name, value)`` pairs: a ``Cookie`` header and auth headers."""


@dataclass(frozen=True, slots=True)
class Inventory:
    """The targets one imported file describes, and what else it tells about them."""

    targets: tuple[Target, ...]
    """One per distinct ``(method, url)``, in document (or HAR entry) order. ``source`` points
    into the file: ``openapi:/paths/~1users~1{id}/get`` or ``har:entries/12``."""
    request_headers: RequestHeaders = field(default_factory=dict)
    """Every target's ``(method, url)`` → the CORS-unsafe request header names a browser sends
    for it (lowercased, sorted, BROWSER-MODEL.md §3.1); an empty tuple when there are none."""
    origin_candidates: tuple[str, ...] = ()
    """HAR: the serialized origins that requested the targets. Report them as candidates for
    ``trusted_origins``; never trust them silently."""
    credentials: Credentials = field(default=(), repr=False)
    """HAR with ``with_credentials``: the most recent ``Cookie`` and auth header per name, when
    every target has the same origin (so they cannot leak to another host). Empty otherwise.
    Secret: kept out of ``repr``."""
    credentials_by_origin: dict[str, Credentials] = field(default_factory=dict, repr=False)
    """HAR with ``with_credentials``: target origin → its most recent credentials, for callers
    that can attach credentials per target. Empty otherwise."""
    notes: tuple[str, ...] = ()
    """Human notes: what was skipped and why, what was substituted."""


# -- reading files -------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise UsageError(f"{path}: the file does not exist") from exc
    except IsADirectoryError as exc:
        raise UsageError(f"{path}: is a directory (expected a file)") from exc
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: is not UTF-8 text (bad byte at offset {exc.start})") from exc


_LONG_NUMBER: Final = re.compile(r"\d{4301,}")
"""A run of digits longer than Python converts to an int by default (4 300): such a number in a
document is refused with its position instead of failing deep inside the parser."""


def _too_long_number(text: str, file: str, what: str) -> UsageError:
    found = _LONG_NUMBER.search(text)
    if found is None:  # pragma: no cover - the parser only fails on such a run
        return UsageError(f"{file}: invalid {what}: a number is too long")
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    return UsageError(
        f"{file}:{line}:{column}: invalid {what}: a number with {len(found.group())} digits "
        "(expected at most 4300)"
    )


def _no_lone_surrogates(document: object, file: str, what: str) -> None:
    """Refuse a string (or key) holding a lone UTF-16 surrogate such as ``\\ud800``: JSON and
    YAML escapes can produce one, and no URL, header or report can carry it."""
    stack: list[tuple[object, str]] = [(document, "")]
    seen: set[int] = set()  # YAML aliases share nodes: visit each once (an alias bomb stays small)
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, dict | list):
            if id(value) in seen:
                continue
            seen.add(id(value))
        if isinstance(value, str):
            if any("\ud800" <= char <= "\udfff" for char in value):
                where = pointer or "/"
                raise UsageError(
                    f"{file}: {where}: invalid {what}: a string holds a lone surrogate "
                    "(an unpaired \\uD800-\\uDFFF escape); expected Unicode text"
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((key, pointer))
                stack.append((item, f"{pointer}/{key}"))
        elif isinstance(value, list):
            stack.extend((item, f"{pointer}/{i}") for i, item in enumerate(value))


def _parse_json(text: str, file: str) -> object:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{file}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    except RecursionError as exc:
        raise UsageError(f"{file}: invalid JSON: the document is nested too deeply") from exc
    except ValueError as exc:  # Python's limit on the digits of an int
        raise _too_long_number(text, file, "JSON") from exc
    _no_lone_surrogates(document, file, "JSON")
    return document


def _parse_yaml(text: str, file: str) -> object:
    try:
        document = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = file if mark is None else f"{file}:{mark.line + 1}:{mark.column + 1}"
        problem = ": ".join(part for part in (exc.context, exc.problem) if part)
        raise UsageError(f"{where}: invalid YAML: {problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"{file}: invalid YAML: {exc}") from exc
    except RecursionError as exc:
        raise UsageError(f"{file}: invalid YAML: the document is nested too deeply") from exc
    except ValueError as exc:  # Python's limit on the digits of an int
        raise _too_long_number(text, file, "YAML") from exc
    _no_lone_surrogates(document, file, "YAML")
    return document


def _parse_document(text: str, path: Path) -> object:
    """JSON for ``.json`` files and for text that starts like JSON (better messages); YAML
    otherwise (a superset of JSON, so nothing valid is refused)."""
    file = str(path)
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")):
        return _parse_json(text, file)
    return _parse_yaml(text, file)


# -- JSON pointers -------------------------------------------------------------------------------


def _escape(token: object) -> str:
    """One RFC 6901 reference token: ``~`` → ``~0``, ``/`` → ``~1``."""
    return str(token).replace("~", "~0").replace("/", "~1")


def _ptr(base: str, *tokens: object) -> str:
    return base + "".join("/" + _escape(token) for token in tokens)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


_MISSING: Final = object()


class _Document:
    """A parsed document and the file name, for pointer lookups and error messages."""

    def __init__(self, root: object, file: str) -> None:
        self.root = root
        self.file = file

    def fail(self, pointer: str, message: str, expected: str) -> NoReturn:
        """Raise the ``UsageError``: ``file: /json/pointer: message (expected …)``."""
        raise UsageError(
            f"{self.file}: {pointer or '(document root)'}: {message} (expected {expected})"
        )

    # typed accessors ---------------------------------------------------------------------------

    def mapping(self, node: object, pointer: str, expected: str) -> dict[object, object]:
        if not isinstance(node, dict):
            self.fail(pointer, f"found {_kind(node)}", expected)
        return node

    def sequence(self, node: object, pointer: str, expected: str) -> list[object]:
        if not isinstance(node, list):
            self.fail(pointer, f"found {_kind(node)}", expected)
        return node

    def string(self, node: object, pointer: str, expected: str) -> str:
        if not isinstance(node, str):
            self.fail(pointer, f"found {_kind(node)}", expected)
        return node

    # $ref --------------------------------------------------------------------------------------

    def resolve(self, node: object, pointer: str) -> tuple[object, str]:
        """Follow ``$ref``s from ``node`` (at ``pointer``) to the definition they name; return it
        and its pointer. Only local references (``#/…``) are followed; a chain that comes back
        to itself is an error."""
        start = pointer
        chain: list[str] = []
        seen = {pointer}
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            here = _ptr(pointer, "$ref")
            if not isinstance(ref, str):
                self.fail(here, f"$ref is {_kind(ref)}", "a string such as '#/components/...'")
            target = self._local_pointer(ref, pointer)
            chain.append(ref)
            if target in seen:
                self.fail(
                    start,
                    f"$ref cycle: {' -> '.join(repr(item) for item in chain)}",
                    "references that end at a definition",
                )
            seen.add(target)
            found = self._lookup(target)
            if found is _MISSING:
                via = "" if pointer == start else f" (reached from {start})"
                self.fail(
                    pointer,
                    f"$ref {ref!r} does not resolve{via}",
                    "a reference to an existing component"
                    if target.startswith(("/components/", "/definitions/", "/parameters/"))
                    else "a reference to an existing part of this document",
                )
            node, pointer = found, target
        return node, pointer

    def _local_pointer(self, ref: str, pointer: str) -> str:
        if not ref.startswith("#"):
            self.fail(
                pointer,
                f"$ref {ref!r} points outside this file; cors-audit never fetches remote or "
                "external references",
                "a local reference such as '#/components/schemas/User' (bundle the document "
                "into one file first)",
            )
        fragment = unquote(ref[1:])
        if fragment and not fragment.startswith("/"):
            self.fail(
                pointer,
                f"$ref {ref!r} is not a JSON pointer (anchors are not supported)",
                "a local reference such as '#/components/schemas/User'",
            )
        return fragment

    def _lookup(self, pointer: str) -> object:
        node: object = self.root
        if not pointer:
            return node
        for raw in pointer[1:].split("/"):
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict):
                if token in node:
                    node = node[token]
                    continue
                # YAML turns `200:` into an int key; a pointer always spells it as text.
                node = next((v for k, v in node.items() if str(k) == token), _MISSING)
                if node is _MISSING:
                    return _MISSING
            elif isinstance(node, list):
                if not (token.isascii() and token.isdigit()) or (
                    len(token) > 1 and token[0] == "0"
                ):
                    return _MISSING
                if int(token) >= len(node):
                    return _MISSING
                node = node[int(token)]
            else:
                return _MISSING
        return node


# -- values for parameters -----------------------------------------------------------------------

_FIXED_UUID: Final = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
_STRING_FORMATS: Final = {
    "uuid": _FIXED_UUID,
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "/example",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "byte": "ZXhhbXBsZQ==",
    "binary": "example",
    "password": "example",
    "int32": "1",
    "int64": "1",
}
"""Placeholders for string formats (OpenAPI / JSON Schema format names); documentation-range
IP addresses and example.com only."""

_MAX_SCHEMA_DEPTH: Final = 16


def _schema_value(doc: _Document, node: object, pointer: str, depth: int = 0) -> object:
    """An example value for a schema: example → default → const → examples → enum → the first
    of allOf/oneOf/anyOf → a placeholder for its type and format. Recursive schemas are fine:
    the walk is depth-limited."""
    schema, pointer = doc.resolve(node, pointer)
    if not isinstance(schema, dict) or depth > _MAX_SCHEMA_DEPTH:
        return "example"
    for key in ("example", "x-example", "default", "const"):
        value = schema.get(key)
        if value is not None:
            return value
    for key in ("examples", "enum"):
        values = schema.get(key)
        if isinstance(values, list) and values and values[0] is not None:
            return values[0]
    for key in ("allOf", "oneOf", "anyOf"):
        subs = schema.get(key)
        if isinstance(subs, list) and subs:
            return _schema_value(doc, subs[0], _ptr(pointer, key, 0), depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kind = next((k for k in kind if k != "null"), None)
    if kind in ("integer", "number"):
        return _number_placeholder(schema)
    if kind == "boolean":
        return True
    if kind == "array":
        items = schema.get("items")
        return [_schema_value(doc, items, _ptr(pointer, "items"), depth + 1)]
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _STRING_FORMATS:
        return _STRING_FORMATS[fmt]
    return "example"


def _number_placeholder(schema: Mapping[object, object]) -> int | float:
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    value: int | float = 1
    if isinstance(minimum, int | float) and not isinstance(minimum, bool) and minimum > value:
        value = minimum
    if isinstance(maximum, int | float) and not isinstance(maximum, bool) and maximum < value:
        value = maximum
    return value


_MAX_ITEMS: Final = 64
"""How many items of a list or object example go into a URL or header: enough for any real
example, and YAML aliases cannot blow a nested example up into millions of strings."""


def _text(value: object) -> str:
    """A value as it goes into a URL or header (OpenAPI ``simple`` style for lists and objects;
    nested containers are not serialized by that style, so they become a placeholder)."""
    if isinstance(value, list):
        return ",".join(_scalar(item) for item in value[:_MAX_ITEMS])
    if isinstance(value, dict):
        items = list(value.items())[:_MAX_ITEMS]
        return ",".join(f"{_scalar(k)},{_scalar(v)}" for k, v in items)
    return _scalar(value)


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):  # YAML turns unquoted dates into objects
        return value.isoformat()
    if isinstance(value, list | dict | set | tuple):
        return "example"
    return str(value)


# -- OpenAPI -------------------------------------------------------------------------------------

_OPERATION_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_OAS3_LOCATIONS: Final = ("path", "query", "header", "cookie")
_SWAGGER_LOCATIONS: Final = ("path", "query", "header", "body", "formData")
_TEMPLATE_RE: Final = re.compile(r"\{([^{}]*)\}")
_PATH_SAFE: Final = "/:@!$&'()*+,;=-._~%"
"""RFC 3986 ``pchar`` plus ``/`` and ``%``: literal path text kept as written."""
_SEPARATORS: Final = {"csv": ",", "ssv": " ", "tsv": "\t", "pipes": "|"}
_PARAM_EXPECTED: Final = "a parameter object with 'name' and 'in'"


@dataclass(frozen=True, slots=True)
class _Param:
    name: str
    location: str
    required: bool
    value: object
    explode: bool
    separator: str
    pointer: str


class _OpenApi:
    """One OpenAPI 3.x or Swagger 2.0 document being turned into targets."""

    def __init__(self, doc: _Document, base_url: str | None) -> None:
        self.doc = doc
        self.base_url = base_url
        self.notes: list[str] = []
        root = doc.mapping(
            doc.root, "", "an OpenAPI document: a mapping with an 'openapi' or 'swagger' key"
        )
        self.root = root
        if "openapi" in root:
            version = root["openapi"]
            if isinstance(version, float):  # `openapi: 3.1` unquoted in YAML
                version = str(version)
            text = doc.string(version, "/openapi", 'a version string such as "3.1.0"')
            if not re.fullmatch(r"3\.\d+(\.\d+)?(-[0-9A-Za-z.\-]+)?", text):
                doc.fail("/openapi", f"unsupported version {text!r}", 'OpenAPI "3.0.x" or "3.1.x"')
            self.swagger = False
        elif "swagger" in root:
            if root["swagger"] not in ("2.0", 2.0):
                doc.fail("/swagger", f"unsupported version {root['swagger']!r}", 'Swagger "2.0"')
            self.swagger = True
        else:
            doc.fail("", "no 'openapi' or 'swagger' key", "an OpenAPI 3.x or Swagger 2.0 document")
        self._roots: dict[str, str] = {}

    # servers -----------------------------------------------------------------------------------

    def _join_base(self, relative: str, pointer: str) -> str:
        if self.base_url is None:
            self.doc.fail(
                pointer,
                f"the server URL {relative!r} is relative and no --base-url was given",
                "an absolute http(s) server URL, or --base-url to resolve it against",
            )
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return urljoin(base, relative)

    def _server_root(self, servers: object, pointer: str) -> str:
        """The URL every path of these servers hangs off: ``--base-url`` when given (it stands
        for the server), resolved against it when the server URL is relative."""
        cached = self._roots.get(pointer)
        if cached is not None:
            return cached
        root = self._swagger_root() if self.swagger else self._oas3_root(servers, pointer)
        self._roots[pointer] = root
        return root

    def _oas3_root(self, servers: object, pointer: str) -> str:
        if servers is None or servers == []:
            if self.base_url is not None:
                return self.base_url
            self.doc.fail(
                pointer,
                "no servers are declared and no --base-url was given",
                "a servers entry with an absolute http(s) URL, or --base-url",
            )
        entries = self.doc.sequence(servers, pointer, "a list of server objects")
        for index, entry in enumerate(entries):
            here = _ptr(pointer, index)
            server, here = self.doc.resolve(entry, here)
            server = self.doc.mapping(server, here, "a server object with a 'url'")
            url = self._substitute(server, here)
            scheme = url.split(":", 1)[0].lower() if re.match(r"[A-Za-z][\w+.\-]*:", url) else ""
            if scheme in ("http", "https"):
                return self.base_url if self.base_url is not None else url
            if not scheme:
                return self._join_base(url, _ptr(here, "url"))
            self.notes.append(
                f"openapi:{here}: server {url!r} skipped (cors-audit scans http(s) URLs only)"
            )
        self.doc.fail(pointer, "no server has an http(s) URL", "an http:// or https:// server")

    def _substitute(self, server: Mapping[object, object], pointer: str) -> str:
        url = self.doc.string(server.get("url"), _ptr(pointer, "url"), "a server URL string")
        variables = server.get("variables", {})
        variables = self.doc.mapping(
            variables, _ptr(pointer, "variables"), "a mapping of server variables"
        )
        used: list[str] = []

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in variables:
                self.doc.fail(
                    _ptr(pointer, "url"),
                    f"the server URL uses the variable {{{name}}}, which is not declared",
                    f"a variables entry for {name!r} with a default",
                )
            here = _ptr(pointer, "variables", name)
            variable = self.doc.mapping(variables[name], here, "a server variable with a default")
            if "default" not in variable:
                self.doc.fail(here, "the server variable has no default", "a 'default' value")
            value = _text(variable["default"])
            used.append(f"{name}={value}")
            return value

        result = _TEMPLATE_RE.sub(fill, url)
        if used:
            self.notes.append(
                f"openapi:{pointer}: server variables set to their defaults: {', '.join(used)}"
            )
        return result

    def _swagger_root(self) -> str:
        host = self.root.get("host")
        base_path = self.root.get("basePath", "/")
        base_path = self.doc.string(base_path, "/basePath", 'a path such as "/api/v1"')
        if not base_path.startswith("/"):
            self.doc.fail(
                "/basePath", f"{base_path!r} does not start with '/'", 'a path such as "/v1"'
            )
        if host is None:
            return self._join_base(base_path, "/host")
        host = self.doc.string(host, "/host", 'a host name such as "api.example.com"')
        if self.base_url is not None:
            return self.base_url
        schemes = self.root.get("schemes")
        if schemes is None:
            scheme = "https"
            self.notes.append("openapi:/schemes: not declared; https assumed")
        else:
            listed = self.doc.sequence(schemes, "/schemes", 'a list such as ["https"]')
            usable = [s for s in ("https", "http") if s in listed]
            if not usable:
                self.doc.fail("/schemes", f"no http(s) scheme in {listed!r}", '"https" or "http"')
            scheme = usable[0]
        return f"{scheme}://{host}{base_path}"

    # parameters --------------------------------------------------------------------------------

    def _params(self, listed: object, pointer: str) -> list[_Param]:
        if listed is None:
            return []
        items = self.doc.sequence(listed, pointer, "a list of parameter objects")
        return [self._param(item, _ptr(pointer, index)) for index, item in enumerate(items)]

    def _param(self, node: object, pointer: str) -> _Param:
        doc = self.doc
        resolved, here = doc.resolve(node, pointer)
        param = doc.mapping(resolved, here, _PARAM_EXPECTED)
        name = doc.string(param.get("name"), _ptr(here, "name"), "the parameter name, a string")
        locations = _SWAGGER_LOCATIONS if self.swagger else _OAS3_LOCATIONS
        location = param.get("in")
        if location not in locations:
            doc.fail(
                _ptr(here, "in"),
                f"found {location!r}" if isinstance(location, str) else f"found {_kind(location)}",
                "one of " + ", ".join(locations),
            )
        assert isinstance(location, str)
        required = param.get("required", location == "path")
        if not isinstance(required, bool):
            doc.fail(_ptr(here, "required"), f"found {_kind(required)}", "true or false")
        if self.swagger:
            fmt = param.get("collectionFormat", "csv")
            explode, separator = fmt == "multi", _SEPARATORS.get(str(fmt), ",")
        else:
            style_default = location in ("query", "cookie")  # form style explodes by default
            explode_value = param.get("explode", style_default)
            explode, separator = explode_value is True, ","
        return _Param(
            name=name,
            location=location,
            required=required,
            value=self._param_value(param, here) if location != "body" else None,
            explode=explode,
            separator=separator,
            pointer=here,
        )

    def _param_value(self, param: Mapping[object, object], pointer: str) -> object:
        for key in ("example", "x-example"):
            value = param.get(key)
            if value is not None:
                return value
        example = self._first_example(param.get("examples"), _ptr(pointer, "examples"))
        if example is not None:
            return example
        if self.swagger:  # the parameter itself carries type/format/enum/default
            return _schema_value(self.doc, param, pointer)
        if "schema" in param:
            return _schema_value(self.doc, param["schema"], _ptr(pointer, "schema"))
        content = param.get("content")
        if isinstance(content, dict) and content:
            media_type, media = next(iter(content.items()))
            here = _ptr(pointer, "content", media_type)
            media, here = self.doc.resolve(media, here)
            if isinstance(media, dict):
                for key in ("example", "x-example"):
                    if media.get(key) is not None:
                        return media[key]
                example = self._first_example(media.get("examples"), _ptr(here, "examples"))
                if example is not None:
                    return example
                if "schema" in media:
                    return _schema_value(self.doc, media["schema"], _ptr(here, "schema"))
        return "example"

    def _first_example(self, examples: object, pointer: str) -> object:
        """The value of the first entry of an OpenAPI 3 ``examples`` map (``None`` if none)."""
        if not isinstance(examples, dict) or not examples:
            return None
        key, entry = next(iter(examples.items()))
        resolved, _ = self.doc.resolve(entry, _ptr(pointer, key))
        if isinstance(resolved, dict):
            return resolved.get("value")
        return None

    @staticmethod
    def _merge(shared: Sequence[_Param], own: Sequence[_Param]) -> list[_Param]:
        """Operation parameters override path-item ones with the same name and location."""
        overridden = {(p.name, p.location) for p in own}
        return [p for p in shared if (p.name, p.location) not in overridden] + list(own)

    # request headers ---------------------------------------------------------------------------

    def _security_headers(self, operation: Mapping[object, object], pointer: str) -> list[str]:
        """Header names the first security alternative sends: an apiKey in a header → its name;
        http (basic/bearer/digest), oauth2 and openIdConnect → Authorization."""
        doc = self.doc
        if "security" in operation:
            requirements, here = operation["security"], _ptr(pointer, "security")
        elif "security" in self.root:
            requirements, here = self.root["security"], "/security"
        else:
            return []
        listed = doc.sequence(requirements, here, "a list of security requirement objects")
        if not listed:
            return []
        # Alternatives are "any one of": the first is what a client most likely sends, and
        # asking for the union would make a correct server's preflight fail.
        first = doc.mapping(listed[0], _ptr(here, 0), "a security requirement object")
        if self.swagger:
            schemes_at, schemes = "/securityDefinitions", self.root.get("securityDefinitions")
        else:
            components = self.root.get("components")
            schemes = components.get("securitySchemes") if isinstance(components, dict) else None
            schemes_at = "/components/securitySchemes"
        names: list[str] = []
        for scheme_name in first:
            if not isinstance(schemes, dict) or scheme_name not in schemes:
                doc.fail(
                    _ptr(here, 0, scheme_name),
                    f"security scheme {scheme_name!r} is not declared",
                    f"a scheme defined under {schemes_at}",
                )
            node, scheme_at = doc.resolve(schemes[scheme_name], _ptr(schemes_at, scheme_name))
            scheme = doc.mapping(node, scheme_at, "a security scheme object with a 'type'")
            kind = scheme.get("type")
            if kind == "apiKey" and scheme.get("in") == "header":
                names.append(self._header_name(scheme.get("name"), _ptr(scheme_at, "name")))
            elif kind in ("http", "basic", "oauth2", "openIdConnect"):
                names.append("Authorization")
        return names

    def _header_name(self, value: object, pointer: str) -> str:
        name = self.doc.string(value, pointer, "an HTTP header name")
        if not is_token(name):
            self.doc.fail(pointer, f"{name!r} is not a valid header name", "an HTTP token")
        return name

    def _content_type(
        self, operation: Mapping[object, object], params: Sequence[_Param], pointer: str
    ) -> str | None:
        if self.swagger:
            locations = {p.location for p in params}
            if not locations & {"body", "formData"}:
                return None
            consumes = operation.get("consumes", self.root.get("consumes"))
            if isinstance(consumes, list) and consumes and isinstance(consumes[0], str):
                return consumes[0]
            return (
                "application/json" if "body" in locations else ("application/x-www-form-urlencoded")
            )
        if "requestBody" not in operation:
            return None
        here = _ptr(pointer, "requestBody")
        node, here = self.doc.resolve(operation["requestBody"], here)
        body = self.doc.mapping(node, here, "a request body object with 'content'")
        content = body.get("content")
        if content is None:
            return None
        content = self.doc.mapping(content, _ptr(here, "content"), "a map of media types")
        media = next((k for k in content if isinstance(k, str)), None)
        if media is None or "*" in media:
            return None
        return media

    # operations --------------------------------------------------------------------------------

    def inventory(self) -> Inventory:
        doc = self.doc
        paths = self.root.get("paths")
        if paths is None:
            self.notes.append("openapi:/paths: the document has no paths")
            paths = {}
        paths = doc.mapping(paths, "/paths", "a mapping of path templates to path items")
        webhooks = self.root.get("webhooks")
        if isinstance(webhooks, dict) and webhooks:
            self.notes.append(
                f"openapi:/webhooks: {len(webhooks)} webhook(s) skipped: the API calls them, "
                "browsers do not"
            )
        targets: list[Target] = []
        headers: RequestHeaders = {}
        for template, item in paths.items():
            item_pointer = _ptr("/paths", template)
            if not isinstance(template, str) or not template.startswith("/"):
                doc.fail(
                    item_pointer,
                    f"the path {template!r} does not start with '/'",
                    "a path template such as '/users/{id}'",
                )
            if "?" in template or "#" in template:
                doc.fail(
                    item_pointer,
                    f"the path {template!r} contains a query or fragment",
                    "a path template without '?' or '#'",
                )
            for target, names in self._path_item(template, item, item_pointer):
                key = (target.method, target.url)
                if key in headers:
                    self.notes.append(
                        f"{target.source}: same method and URL as an earlier operation; skipped"
                    )
                    continue
                targets.append(target)
                headers[key] = names
        return Inventory(targets=tuple(targets), request_headers=headers, notes=tuple(self.notes))

    def _path_item(
        self, template: str, node: object, pointer: str
    ) -> list[tuple[Target, tuple[str, ...]]]:
        doc = self.doc
        resolved, item_at = doc.resolve(node, pointer)
        item = doc.mapping(resolved, item_at, "a path item: a mapping of methods to operations")
        shared = self._params(item.get("parameters"), _ptr(item_at, "parameters"))
        found: list[tuple[Target, tuple[str, ...]]] = []
        for method in item:
            if not isinstance(method, str) or method not in _OPERATION_METHODS:
                continue
            # Sources name the path as written in the document, whatever $ref led there.
            source = f"openapi:{_ptr(pointer, method)}"
            if method == "trace":
                self.notes.append(
                    f"{source}: skipped: browsers cannot send TRACE (fetch() throws a TypeError)"
                )
                continue
            if method == "options":
                self.notes.append(
                    f"{source}: skipped: OPTIONS operations are not targets; the scan sends "
                    "its own preflights to every target"
                )
                continue
            op_node, op_at = doc.resolve(item[method], _ptr(item_at, method))
            operation = doc.mapping(op_node, op_at, "an operation object")
            params = self._merge(
                shared, self._params(operation.get("parameters"), _ptr(op_at, "parameters"))
            )
            servers_at, servers = "/servers", self.root.get("servers")
            if not self.swagger:
                for owner, owner_at in ((operation, op_at), (item, item_at)):
                    if owner.get("servers"):
                        servers_at, servers = _ptr(owner_at, "servers"), owner["servers"]
                        break
            root = self._server_root(servers, servers_at)
            url = self._url(root, template, params, source, op_at)
            pairs = [(p.name, _text(p.value)) for p in params if p.location == "header"]
            pairs.extend((name, "example") for name in self._security_headers(operation, op_at))
            content_type = self._content_type(operation, params, op_at)
            if content_type is not None:
                pairs.append(("Content-Type", content_type))
            for name, _ in pairs:
                if not is_token(name):
                    doc.fail(op_at, f"the header name {name!r} is not valid", "an HTTP token")
            names = tuple(cors_unsafe_request_header_names(pairs))
            target = Target(url=url, method=parse_method(method.upper(), source), source=source)
            found.append((target, names))
        return found

    def _url(
        self, root: str, template: str, params: Sequence[_Param], source: str, pointer: str
    ) -> str:
        by_name = {p.name: p for p in params if p.location == "path"}

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            param = by_name.get(name)
            if param is None:
                self.notes.append(
                    f"{source}: the path parameter {{{name}}} is not declared; 'example' used"
                )
                return "example"
            if isinstance(param.value, list):
                return ",".join(quote(_scalar(v), safe="") for v in param.value[:_MAX_ITEMS])
            return quote(_text(param.value), safe="")

        pieces: list[str] = []
        last = 0
        for match in _TEMPLATE_RE.finditer(template):
            pieces.append(quote(template[last : match.start()], safe=_PATH_SAFE))
            pieces.append(fill(match))
            last = match.end()
        pieces.append(quote(template[last:], safe=_PATH_SAFE))
        query: list[str] = []
        for param in params:
            if param.location != "query" or not param.required:
                continue
            key = quote(param.name, safe="")
            if isinstance(param.value, list) and param.explode:
                query.extend(
                    f"{key}={quote(_scalar(v), safe='')}" for v in param.value[:_MAX_ITEMS]
                )
            elif isinstance(param.value, dict) and param.explode:
                query.extend(
                    f"{quote(_scalar(k), safe='')}={quote(_scalar(v), safe='')}"
                    for k, v in list(param.value.items())[:_MAX_ITEMS]
                )
            elif isinstance(param.value, list):
                joined = param.separator.join(_scalar(v) for v in param.value[:_MAX_ITEMS])
                query.append(f"{key}={quote(joined, safe='')}")
            else:
                query.append(f"{key}={quote(_text(param.value), safe='')}")
        raw = root.rstrip("/") + "".join(pieces) + ("?" + "&".join(query) if query else "")
        try:
            return normalize_url(raw, source)
        except TargetError as exc:
            self.doc.fail(pointer, f"the URL {raw!r} is not valid: {exc.reason}", "an http(s) URL")


def openapi_inventory(document: object, file: str, base_url: str | None = None) -> Inventory:
    """Targets of an already-parsed OpenAPI 3.x / Swagger 2.0 document (``file`` names it in
    messages). See ``load_openapi``."""
    if base_url is not None:
        base_url = normalize_url(base_url, "--base-url")
        if "?" in base_url:
            raise UsageError(f"--base-url: {base_url!r} has a query (expected a base URL)")
    return _OpenApi(_Document(document, file), base_url).inventory()


def load_openapi(path: Path, base_url: str | None = None) -> Inventory:
    """One target per path and method of an OpenAPI 3.0/3.1 or Swagger 2.0 document (JSON or
    YAML; local ``$ref``s resolved, remote ones rejected).

    The server is ``base_url`` when given (a relative server URL, or a Swagger document without
    ``host``, is resolved against it), else the first http(s) ``servers`` entry (its variables
    set to their defaults; Swagger: scheme + host + basePath). Path parameters come from
    ``example``/``default``/``enum`` or a typed placeholder and are percent-encoded; required
    query parameters are included. TRACE and OPTIONS operations are skipped with a note.
    Raises ``UsageError`` naming the file and JSON pointer.
    """
    text = _read_text(path)
    return openapi_inventory(_parse_document(text, path), str(path), base_url)


# -- HAR -----------------------------------------------------------------------------------------

_BROWSER_ADDED: Final = frozenset(
    {
        "cache-control",
        "pragma",
        "priority",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "purpose",
        "upgrade-insecure-requests",
        "x-client-data",
    }
)
"""Headers Chromium's network stack adds below fetch() (DevTools "disable cache", HTTP-cache
revalidation, priority hints, field trials). They appear in a HAR but never in
``Access-Control-Request-Headers`` (BROWSER-MODEL.md §3.1), so they are not request headers of the
application."""

_CORS_RESOURCE_TYPES: Final = frozenset({"xhr", "fetch", "eventsource", "preflight"})
"""DevTools ``_resourceType`` values of script-initiated requests: without an ``Origin`` header
their page decides whether they were cross-origin. Other loads (images, scripts, stylesheets)
without ``Origin`` were no-cors requests, which CORS does not govern."""

_AUTH_NAME_RE: Final = re.compile(r"auth|token|api[-_]?key|csrf|xsrf|session", re.IGNORECASE)


def _is_credential(name: str) -> bool:
    lower = name.lower()
    if lower == "cookie":
        return True
    # proxy-authorization is for a proxy, and script cannot set Sec-* / Proxy-* anyway.
    if lower.startswith(("proxy-", "sec-", ":")):
        return False
    return _AUTH_NAME_RE.search(lower) is not None


@dataclass(frozen=True, slots=True)
class _HarRequest:
    index: int
    method: str
    url: str
    initiator: str
    headers: tuple[tuple[str, str], ...]
    cookies: tuple[tuple[str, str], ...]
    started: float
    acrm: str | None


def _http_origin(value: str | None) -> str | None:
    """The origin of an http(s) URL, or ``None``."""
    if not value or not value.lower().startswith(("http://", "https://")):
        return None
    try:
        return url_origin(normalize_url(value, "har"))
    except UsageError:
        return None


def _timestamp(value: object) -> float:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except (ValueError, OverflowError, OSError):
            pass
    return float("-inf")


class _Har:
    def __init__(self, doc: _Document, with_credentials: bool) -> None:
        self.doc = doc
        self.with_credentials = with_credentials
        self.counts: dict[str, int] = {}
        self.notes: list[str] = []
        expected = 'a browser DevTools HAR export: {"log": {"entries": [...]}}'
        log = doc.root.get("log") if isinstance(doc.root, dict) else None
        if not isinstance(log, dict):
            doc.fail("/log", "not a HAR file: there is no 'log' object", expected)
        entries = log.get("entries")
        if not isinstance(entries, list):
            doc.fail("/log/entries", "not a HAR file: there is no 'entries' list", expected)
        self.entries: list[object] = entries
        self.pages: dict[str, str] = {}
        pages = log.get("pages", [])
        for page in pages if isinstance(pages, list) else []:
            if isinstance(page, dict) and isinstance(page.get("id"), str):
                # Chromium writes the page URL as its title; anything else is not an origin.
                origin = _http_origin(
                    page.get("title") if isinstance(page.get("title"), str) else None
                )
                if origin is not None:
                    self.pages[page["id"]] = origin

    def _count(self, reason: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1

    def _request(self, index: int, node: object) -> _HarRequest | None:
        doc = self.doc
        at = f"/log/entries/{index}"
        entry = doc.mapping(node, at, "a HAR entry object with a 'request'")
        request = doc.mapping(entry.get("request"), f"{at}/request", "a HAR request object")
        method = doc.string(request.get("method"), f"{at}/request/method", "the HTTP method")
        raw_url = doc.string(request.get("url"), f"{at}/request/url", "the request URL")
        headers = tuple(self._pairs(request.get("headers", []), f"{at}/request/headers"))
        cookies = tuple(self._pairs(request.get("cookies", []), f"{at}/request/cookies"))
        if not raw_url.lower().startswith(("http://", "https://")):
            self._count("non-http")  # data:, blob:, ws:, chrome-extension:
            return None
        resource = entry.get("_resourceType")
        resource = resource.lower() if isinstance(resource, str) else None
        if resource in ("document", "websocket"):
            self._count("no-cors")  # navigations and sockets are not CORS requests
            return None
        source = f"har:entries/{index}"
        try:
            url = normalize_url(raw_url, source)
            method = parse_method(method, source)
        except UsageError as exc:
            self.notes.append(f"{exc}; skipped")
            return None
        origin_header = header_get(headers, "Origin")
        if origin_header is not None:
            # The Origin header is what the server saw and what CORS compares
            # (BROWSER-MODEL.md §1.2).
            initiator: str | None = origin_header.strip()
        elif resource is not None and resource not in _CORS_RESOURCE_TYPES:
            self._count("no-cors")
            return None
        else:
            # Referer names the requesting document (an iframe too); the page is a fallback.
            initiator = _http_origin(header_get(headers, "Referer"))
            pageref = entry.get("pageref")
            if initiator is None and isinstance(pageref, str):
                initiator = self.pages.get(pageref)
        if initiator is None:
            self._count("unknown-origin")
            return None
        if initiator != "null" and initiator == url_origin(url):
            self._count("same-origin")
            return None
        acrm = header_get(headers, "Access-Control-Request-Method")
        if method == "OPTIONS" and acrm is None:
            self.notes.append(
                f"{source}: skipped: OPTIONS request that is not a preflight (the scan sends "
                "its own preflights to every target)"
            )
            return None
        if method == "OPTIONS" and acrm is not None:
            try:
                acrm = parse_method(acrm, f"{source} Access-Control-Request-Method")
            except UsageError as exc:
                self.notes.append(f"{exc}; skipped")
                return None
        return _HarRequest(
            index=index,
            method=method,
            url=url,
            initiator=initiator,
            headers=headers,
            cookies=cookies,
            started=_timestamp(entry.get("startedDateTime")),
            acrm=acrm if method == "OPTIONS" else None,
        )

    def _pairs(self, node: object, pointer: str) -> Iterable[tuple[str, str]]:
        items = self.doc.sequence(node, pointer, "a list of {name, value} objects")
        for index, item in enumerate(items):
            here = _ptr(pointer, index)
            pair = self.doc.mapping(item, here, "a {name, value} object")
            name = self.doc.string(pair.get("name"), _ptr(here, "name"), "a string")
            value = self.doc.string(pair.get("value", ""), _ptr(here, "value"), "a string")
            yield name, value

    def inventory(self) -> Inventory:
        requests = [
            found
            for index, node in enumerate(self.entries)
            if (found := self._request(index, node)) is not None
        ]
        order: dict[tuple[str, str], int] = {}
        names: dict[tuple[str, str], set[str]] = {}
        actual_keys: set[tuple[str, str]] = set()
        for request in requests:
            if request.acrm is None:
                key = (request.method, request.url)
                actual_keys.add(key)
                order.setdefault(key, request.index)
                unsafe = cors_unsafe_request_header_names(request.headers)
                names.setdefault(key, set()).update(
                    n for n in unsafe if n not in _BROWSER_ADDED and not n.startswith(":")
                )
        for request in requests:
            if request.acrm is None:
                continue
            # A preflight is folded into the request it announced (same method and URL).
            key = (request.acrm, request.url)
            if key not in actual_keys and key not in order:
                self.notes.append(
                    f"har:entries/{request.index}: preflight for {request.acrm} {request.url} "
                    "without a recorded actual request (the preflight probably failed); "
                    f"{request.acrm} is audited"
                )
            order.setdefault(key, request.index)
            acrh = header_get(request.headers, "Access-Control-Request-Headers") or ""
            names.setdefault(key, set()).update(
                token.strip().lower() for token in acrh.split(",") if is_token(token.strip())
            )
        keys = sorted(order, key=order.__getitem__)
        targets = tuple(
            Target(url=url, method=method, source=f"har:entries/{order[(method, url)]}")
            for method, url in keys
        )
        headers: RequestHeaders = {key: tuple(sorted(names.get(key, ()))) for key in keys}
        candidates: dict[str, None] = {}
        for request in requests:
            try:
                candidates[normalize_site_origin(request.initiator, "har")] = None
            except UsageError:
                continue  # "null" and other opaque origins cannot be trusted
        by_origin = self._credentials(requests)
        target_origins = {url_origin(url) for _, url in keys}
        self._summarize(len(by_origin), bool(candidates))
        credentials: Credentials = ()
        if self.with_credentials:
            if len(target_origins) == 1 and by_origin:
                credentials = by_origin.get(next(iter(target_origins)), ())
            elif len(target_origins) > 1 and by_origin:
                self.notes.append(
                    f"the HAR's targets are on {len(target_origins)} origins, so its credentials "
                    "are given per origin only (one origin's cookies must not reach another)"
                )
        return Inventory(
            targets=targets,
            request_headers=headers,
            origin_candidates=tuple(candidates),
            credentials=credentials,
            credentials_by_origin=by_origin if self.with_credentials else {},
            notes=tuple(self.notes),
        )

    def _credentials(self, requests: Sequence[_HarRequest]) -> dict[str, Credentials]:
        """The most recent value of every credential header per target origin. Preflights carry
        none (BROWSER-MODEL.md §3.2), so only actual requests count."""
        latest: dict[str, dict[str, tuple[tuple[float, int], str, str]]] = {}
        for request in requests:
            if request.acrm is not None:
                continue
            seen: list[tuple[str, str]] = [
                (name, value) for name, value in request.headers if _is_credential(name)
            ]
            if request.cookies and not any(name.lower() == "cookie" for name, _ in seen):
                seen.append(("Cookie", "; ".join(f"{n}={v}" for n, v in request.cookies)))
            per_name = latest.setdefault(url_origin(request.url), {})
            when = (request.started, request.index)
            for name, value in seen:
                previous = per_name.get(name.lower())
                if previous is None or previous[0] <= when:
                    per_name[name.lower()] = (when, name, value)
        return {
            origin: tuple((name, value) for _, (_, name, value) in sorted(per_name.items()))
            for origin, per_name in latest.items()
            if per_name
        }

    def _summarize(self, credential_origins: int, any_candidates: bool) -> None:
        labels = {
            "same-origin": "same-origin request(s) not included (CORS does not apply)",
            "no-cors": "navigation(s) or no-cors load(s) (images, scripts, styles without an "
            "Origin header) not included",
            "non-http": "non-http(s) request(s) (data:, blob:, ws:) not included",
            "unknown-origin": "request(s) whose requesting origin cannot be told (no Origin, "
            "Referer or page) not included",
        }
        self.notes.extend(
            f"{self.counts[reason]} {label}"
            for reason, label in labels.items()
            if reason in self.counts
        )
        if any_candidates:
            self.notes.append(
                "the origins that made these requests are trusted-origin candidates only; add "
                "them to trusted_origins in the policy if the application really trusts them"
            )
        if not self.with_credentials and credential_origins:
            self.notes.append(
                f"the HAR holds cookies or auth headers for {credential_origins} origin(s); "
                "they are not used without --har-credentials"
            )
        if self.with_credentials and not credential_origins:
            self.notes.append(
                "--har-credentials: the HAR holds no cookies or auth headers (Chromium's "
                "'Export HAR (sanitized)' drops them; export 'with sensitive data')"
            )


def har_inventory(document: object, file: str, *, with_credentials: bool = False) -> Inventory:
    """Targets of an already-parsed HAR document (``file`` names it in messages). See
    ``load_har``."""
    return _Har(_Document(document, file), with_credentials).inventory()


def load_har(path: Path, *, with_credentials: bool = False) -> Inventory:
    """One target per distinct method + URL a page requested cross-origin in a DevTools HAR.

    A request is cross-origin when its ``Origin`` header differs from the URL's origin, or (for
    fetch/XHR without ``Origin``) when the ``Referer``'s or page's origin does. Preflights are
    folded into the request they announced (their ``Access-Control-Request-Headers`` become its
    request headers); a preflight without an actual request still yields a target. The origins
    seen are returned as candidates. Cookies and auth headers are returned only with
    ``with_credentials``. Raises ``UsageError`` for a file that is not a HAR.
    """
    text = _read_text(path)
    return har_inventory(_parse_json(text, str(path)), str(path), with_credentials=with_credentials)
