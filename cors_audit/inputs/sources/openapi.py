"""The OpenAPI source (``--openapi``): OpenAPI 3.0 and 3.1, Swagger 2.0; JSON or YAML.

``load_openapi`` turns every ``path and method`` of a document into a ``Target`` (path parameters
filled from examples, defaults, enums or a typed placeholder; required query parameters
included) and computes the CORS-unsafe request header names the operation makes a browser send
(declared header parameters, security-scheme headers, a non-simple ``Content-Type``), so the
probe planner can ask for them in ``Access-Control-Request-Headers``.

About 600 lines on purpose: the three dialects share one walk of paths, parameters, ``$ref``s,
servers and security schemes, and differ in a few places each; split by dialect, that walk would
be written three times.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Final
from urllib.parse import quote, urljoin

from cors_audit.browser import cors_unsafe_request_header_names, is_token
from cors_audit.core.errors import TargetError, UsageError
from cors_audit.core.models import Target
from cors_audit.inputs.sources.base import ImportOptions, Inventory, RequestHeaders, Source
from cors_audit.inputs.sources.documents import Document, kind_of, ptr
from cors_audit.inputs.targets import normalize_url, parse_method

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


def _schema_value(doc: Document, node: object, pointer: str, depth: int = 0) -> object:
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
            return _schema_value(doc, subs[0], ptr(pointer, key, 0), depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kind = next((k for k in kind if k != "null"), None)
    if kind in ("integer", "number"):
        return _number_placeholder(schema)
    if kind == "boolean":
        return True
    if kind == "array":
        items = schema.get("items")
        return [_schema_value(doc, items, ptr(pointer, "items"), depth + 1)]
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

    def __init__(self, doc: Document, base_url: str | None) -> None:
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
            here = ptr(pointer, index)
            server, here = self.doc.resolve(entry, here)
            server = self.doc.mapping(server, here, "a server object with a 'url'")
            url = self._substitute(server, here)
            scheme = url.split(":", 1)[0].lower() if re.match(r"[A-Za-z][\w+.\-]*:", url) else ""
            if scheme in ("http", "https"):
                return self.base_url if self.base_url is not None else url
            if not scheme:
                return self._join_base(url, ptr(here, "url"))
            self.notes.append(
                f"openapi:{here}: server {url!r} skipped (cors-audit scans http(s) URLs only)"
            )
        self.doc.fail(pointer, "no server has an http(s) URL", "an http:// or https:// server")

    def _substitute(self, server: Mapping[object, object], pointer: str) -> str:
        url = self.doc.string(server.get("url"), ptr(pointer, "url"), "a server URL string")
        variables = server.get("variables", {})
        variables = self.doc.mapping(
            variables, ptr(pointer, "variables"), "a mapping of server variables"
        )
        used: list[str] = []

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in variables:
                self.doc.fail(
                    ptr(pointer, "url"),
                    f"the server URL uses the variable {{{name}}}, which is not declared",
                    f"a variables entry for {name!r} with a default",
                )
            here = ptr(pointer, "variables", name)
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
        return [self._param(item, ptr(pointer, index)) for index, item in enumerate(items)]

    def _param(self, node: object, pointer: str) -> _Param:
        doc = self.doc
        resolved, here = doc.resolve(node, pointer)
        param = doc.mapping(resolved, here, _PARAM_EXPECTED)
        name = doc.string(param.get("name"), ptr(here, "name"), "the parameter name, a string")
        locations = _SWAGGER_LOCATIONS if self.swagger else _OAS3_LOCATIONS
        location = param.get("in")
        if location not in locations:
            doc.fail(
                ptr(here, "in"),
                f"found {location!r}"
                if isinstance(location, str)
                else f"found {kind_of(location)}",
                "one of " + ", ".join(locations),
            )
        assert isinstance(location, str)
        required = param.get("required", location == "path")
        if not isinstance(required, bool):
            doc.fail(ptr(here, "required"), f"found {kind_of(required)}", "true or false")
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
        example = self._first_example(param.get("examples"), ptr(pointer, "examples"))
        if example is not None:
            return example
        if self.swagger:  # the parameter itself carries type/format/enum/default
            return _schema_value(self.doc, param, pointer)
        if "schema" in param:
            return _schema_value(self.doc, param["schema"], ptr(pointer, "schema"))
        content = param.get("content")
        if isinstance(content, dict) and content:
            media_type, media = next(iter(content.items()))
            here = ptr(pointer, "content", media_type)
            media, here = self.doc.resolve(media, here)
            if isinstance(media, dict):
                for key in ("example", "x-example"):
                    if media.get(key) is not None:
                        return media[key]
                example = self._first_example(media.get("examples"), ptr(here, "examples"))
                if example is not None:
                    return example
                if "schema" in media:
                    return _schema_value(self.doc, media["schema"], ptr(here, "schema"))
        return "example"

    def _first_example(self, examples: object, pointer: str) -> object:
        """The value of the first entry of an OpenAPI 3 ``examples`` map (``None`` if none)."""
        if not isinstance(examples, dict) or not examples:
            return None
        key, entry = next(iter(examples.items()))
        resolved, _ = self.doc.resolve(entry, ptr(pointer, key))
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
            requirements, here = operation["security"], ptr(pointer, "security")
        elif "security" in self.root:
            requirements, here = self.root["security"], "/security"
        else:
            return []
        listed = doc.sequence(requirements, here, "a list of security requirement objects")
        if not listed:
            return []
        # Alternatives are "any one of": the first is what a client most likely sends, and
        # asking for the union would make a correct server's preflight fail.
        first = doc.mapping(listed[0], ptr(here, 0), "a security requirement object")
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
                    ptr(here, 0, scheme_name),
                    f"security scheme {scheme_name!r} is not declared",
                    f"a scheme defined under {schemes_at}",
                )
            node, scheme_at = doc.resolve(schemes[scheme_name], ptr(schemes_at, scheme_name))
            scheme = doc.mapping(node, scheme_at, "a security scheme object with a 'type'")
            kind = scheme.get("type")
            if kind == "apiKey" and scheme.get("in") == "header":
                names.append(self._header_name(scheme.get("name"), ptr(scheme_at, "name")))
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
        here = ptr(pointer, "requestBody")
        node, here = self.doc.resolve(operation["requestBody"], here)
        body = self.doc.mapping(node, here, "a request body object with 'content'")
        content = body.get("content")
        if content is None:
            return None
        content = self.doc.mapping(content, ptr(here, "content"), "a map of media types")
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
            item_pointer = ptr("/paths", template)
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
        shared = self._params(item.get("parameters"), ptr(item_at, "parameters"))
        found: list[tuple[Target, tuple[str, ...]]] = []
        for method in item:
            if not isinstance(method, str) or method not in _OPERATION_METHODS:
                continue
            # Sources name the path as written in the document, whatever $ref led there.
            source = f"openapi:{ptr(pointer, method)}"
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
            op_node, op_at = doc.resolve(item[method], ptr(item_at, method))
            operation = doc.mapping(op_node, op_at, "an operation object")
            params = self._merge(
                shared, self._params(operation.get("parameters"), ptr(op_at, "parameters"))
            )
            servers_at, servers = "/servers", self.root.get("servers")
            if not self.swagger:
                for owner, owner_at in ((operation, op_at), (item, item_at)):
                    if owner.get("servers"):
                        servers_at, servers = ptr(owner_at, "servers"), owner["servers"]
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
    return _OpenApi(Document(document, file), base_url).inventory()


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
    return SOURCE.load(path, ImportOptions(base_url=base_url))


class OpenApiSource(Source):
    """``--openapi FILE`` (with ``--base-url``)."""

    name = "openapi"
    option = "--openapi"
    reads = "an OpenAPI 3.0/3.1 or Swagger 2.0 document (JSON or YAML)"
    extra_options = ("--base-url",)

    def inventory(self, document: object, file: str, options: ImportOptions) -> Inventory:
        return openapi_inventory(document, file, options.base_url)


SOURCE: Final = OpenApiSource()
