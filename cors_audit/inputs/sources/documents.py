"""What every inventory source shares: reading a file as UTF-8 text, parsing JSON or YAML with
messages that name line and column, and `Document`, a parsed document walked by JSON pointer
(RFC 6901) whose every complaint names the file, the pointer and what was expected. Local
``$ref``s are followed; remote and cross-file ones are refused, never fetched.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Final, NoReturn
from urllib.parse import unquote

from cors_audit.core.errors import UsageError

# -- reading files -------------------------------------------------------------------------------


def read_text(path: Path) -> str:
    """The file's text (UTF-8, a BOM dropped); ``UsageError`` when it cannot be read."""
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


def parse_json(text: str, file: str) -> object:
    """A JSON document; ``UsageError`` naming ``file``, line and column when it is not one."""
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


def parse_yaml(text: str, file: str) -> object:
    """A YAML document (safe loader); ``UsageError`` naming ``file``, line and column when it is
    not one. PyYAML is imported here, when a YAML document is actually read."""
    import yaml

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


def parse_document(text: str, path: Path) -> object:
    """JSON for ``.json`` files and for text that starts like JSON (better messages); YAML
    otherwise (a superset of JSON, so nothing valid is refused)."""
    file = str(path)
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")):
        return parse_json(text, file)
    return parse_yaml(text, file)


# -- JSON pointers -------------------------------------------------------------------------------


def _escape(token: object) -> str:
    """One RFC 6901 reference token: ``~`` → ``~0``, ``/`` → ``~1``."""
    return str(token).replace("~", "~0").replace("/", "~1")


def ptr(base: str, *tokens: object) -> str:
    """``base`` extended by reference tokens, each escaped."""
    return base + "".join("/" + _escape(token) for token in tokens)


def kind_of(value: object) -> str:
    """What a JSON/YAML value is, for messages: ``a string``, ``a mapping``, ``null``…"""
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


class Document:
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
            self.fail(pointer, f"found {kind_of(node)}", expected)
        return node

    def sequence(self, node: object, pointer: str, expected: str) -> list[object]:
        if not isinstance(node, list):
            self.fail(pointer, f"found {kind_of(node)}", expected)
        return node

    def string(self, node: object, pointer: str, expected: str) -> str:
        if not isinstance(node, str):
            self.fail(pointer, f"found {kind_of(node)}", expected)
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
            here = ptr(pointer, "$ref")
            if not isinstance(ref, str):
                self.fail(here, f"$ref is {kind_of(ref)}", "a string such as '#/components/...'")
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
