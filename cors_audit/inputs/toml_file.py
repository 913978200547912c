"""Reading a TOML file and reporting what is wrong in it the way a person can fix it: the file,
the line and column (located by a small tokenizer, since ``tomllib`` does not keep positions), the
dotted key, what was given and what was expected (with close-match suggestions for unknown keys).
Used for the policy file and ``[tool.cors-audit]`` in ``pyproject.toml``; the schema it checks
against (`TomlSchema`) is given by the caller.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import (
    BaseModel,
    ValidationError,
)

from cors_audit.core.errors import PolicyError
from cors_audit.inputs.policy_values import _Invalid, _q

POLICY_FILE_NAME: Final = "cors-policy.toml"
PYPROJECT_FILE_NAME: Final = "pyproject.toml"
PYPROJECT_TABLE: Final = ("tool", "cors-audit")

# ---------------------------------------------------------------------------------------------
# Value checks. Each raises ``_Invalid`` (a ValueError, so pydantic records it with its location)
# carrying a message that names the offending value and what was expected instead.


_TOOL_HEADER_RE: Final = re.compile(r'^\s*\[\[?\s*tool\s*\.\s*["\']?cors-audit\b', re.MULTILINE)


def read_toml(path: Path, what: str) -> tuple[str, dict[str, Any]]:
    """The text and parsed data of a TOML file (``what`` names it in errors: "policy",
    "baseline"); raises ``PolicyError`` with file and line for unreadable or invalid TOML."""
    text = _read_text(path, what)
    return text, _parse_toml(text, str(path))


def _read_text(path: Path, what: str) -> str:
    file = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PolicyError(file, f"{what} file not found") from None
    except IsADirectoryError:
        raise PolicyError(file, f"is a directory, not a {what} file") from None
    except OSError as exc:
        raise PolicyError(file, f"cannot read the {what} file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise PolicyError(
            file,
            f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not valid UTF-8",
            line=line,
            expected="a UTF-8 encoded TOML file",
        ) from None
    return text.removeprefix("\ufeff")  # editors on Windows add a BOM that TOML does not allow


_TOML_POS_RE: Final = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


_LONG_NUMBER: Final = re.compile(r"\d{4301,}")


def _parse_toml(text: str, file: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line: int | None = None
        found = _TOML_POS_RE.search(message)
        if found:
            line = int(found.group(1))
            message = f"{message[: found.start()]} (column {found.group(2)})"
        else:
            message = message.replace(" (at end of document)", " at the end of the file")
            line = text.count("\n") + 1
        raise PolicyError(
            file, f"invalid TOML: {message}", line=line, expected="valid TOML"
        ) from None
    except ValueError:  # Python's limit on the digits of an int (TOMLDecodeError is handled)
        found = _LONG_NUMBER.search(text)
        digits = len(found.group()) if found else 0
        raise PolicyError(
            file,
            f"a number with {digits} digits",
            line=None if found is None else text.count("\n", 0, found.start()) + 1,
            expected="a number of at most 4300 digits",
        ) from None


def _tool_table(data: dict[str, Any], text: str, file: str) -> dict[str, Any]:
    tool = data.get("tool")
    table = tool.get(PYPROJECT_TABLE[1]) if isinstance(tool, dict) else None
    if table is None:
        near = ""
        if isinstance(tool, dict) and "cors_audit" in tool:
            near = " (found [tool.cors_audit]: the table is spelled with a hyphen)"
        raise PolicyError(
            file,
            f"no [tool.cors-audit] table{near}",
            expected="a [tool.cors-audit] table holding the policy keys",
        )
    if not isinstance(table, dict):
        raise PolicyError(
            file,
            f"{_q(table)} is {_kind(table)}",
            line=_Locator(text).line(PYPROJECT_TABLE),
            key="tool.cors-audit",
            expected="a table: [tool.cors-audit]",
        )
    return table


class PolicyValidationError(PolicyError):
    """Every problem found in one policy file. The attributes describe the first problem (in
    file order), ``errors`` holds them all and ``str()`` lists them one per line."""

    def __init__(self, errors: Sequence[PolicyError]) -> None:
        first = errors[0]
        super().__init__(
            first.file, first.message, line=first.line, key=first.key, expected=first.expected
        )
        self.errors: tuple[PolicyError, ...] = tuple(errors)
        self.args = ("\n".join(str(e) for e in self.errors),)


@dataclass(frozen=True, slots=True)
class TomlSchema:
    """How to validate one kind of TOML file and explain its errors."""

    root: type[BaseModel]
    nested: dict[str, type[BaseModel]]
    """Key → the model of the table(s) under it (for listing allowed keys)."""
    hints: dict[str, tuple[str, str]]
    """Key → (what the whole value should be, what each list element should be)."""


def validate_toml(
    data: dict[str, Any], text: str, file: str, schema: TomlSchema, prefix: tuple[str, ...] = ()
) -> BaseModel:
    """``data`` (parsed from ``text``) validated as ``schema.root``; raises
    ``PolicyValidationError`` listing every problem with its line, key and what was expected."""
    locator = _Locator(text)
    try:
        return schema.root.model_validate(data)
    except ValidationError as exc:
        problems = [
            _translate(err, file, locator, prefix, schema) for err in exc.errors(include_url=False)
        ]
    unique = {(p.line, p.key): p for p in reversed(problems)}  # a union reports each member
    problems = sorted(unique.values(), key=lambda e: (e.line is None, e.line or 0))
    raise PolicyValidationError(problems)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date/time"


def _hint(loc: tuple[str | int, ...], schema: TomlSchema) -> str | None:
    names = [part for part in loc if isinstance(part, str)]
    if not names or names[-1] not in schema.hints:
        return None
    whole, element = schema.hints[names[-1]]
    return element if isinstance(loc[-1], int) and element else whole


def _key_path(prefix: tuple[str, ...], loc: tuple[str | int, ...]) -> str | None:
    text = ""
    for part in (*prefix, *loc):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else json.dumps(part)
            text += f".{name}" if text else name
    return text or None


def _allowed_keys(loc: tuple[str | int, ...], schema: TomlSchema) -> list[str]:
    model = schema.root
    for part in loc:
        if isinstance(part, str) and part in schema.nested:
            model = schema.nested[part]
    return [
        field.alias or name
        for name, field in model.model_fields.items()
        if not field.exclude  # fields the loader fills (the policy's source)
    ]


def _unknown_key_error(
    loc: tuple[str | int, ...],
    file: str,
    locator: _Locator,
    prefix: tuple[str, ...],
    schema: TomlSchema,
) -> PolicyError:
    name = str(loc[-1])
    allowed = _allowed_keys(loc[:-1], schema)
    close = difflib.get_close_matches(name, allowed, n=1)
    message = f"unknown key {_q(name)}" + (f"; did you mean {_q(close[0])}?" if close else "")
    return PolicyError(
        file,
        message,
        line=locator.line((*prefix, *loc)),
        key=_key_path(prefix, loc),
        expected="one of " + ", ".join(allowed),
    )


_UNION_TAGS: Final = frozenset({"str", "int", "float", "bool"})


"""How pydantic names the members of a union in an error location."""


def _translate(
    err: Any, file: str, locator: _Locator, prefix: tuple[str, ...], schema: TomlSchema
) -> PolicyError:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    kind: str = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    error = ctx.get("error")
    expected = _hint(loc, schema)
    # A union of types (rate = "20/s" or 20) reports each member: keep the value's location.
    # (Never for an unknown key: its name is the last part, whatever it is called.)
    while (
        kind != "extra_forbidden"
        and len(loc) > 1
        and isinstance(loc[-1], str)
        and (loc[-1] in _UNION_TAGS or loc[-1].startswith("function-"))
    ):
        loc = loc[:-1]
    if kind == "extra_forbidden":
        return _unknown_key_error(loc, file, locator, prefix, schema)
    if isinstance(error, _Invalid):
        message, expected = error.message, error.expected
        if error.index is not None:
            loc = (*loc, error.index)
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "greater_than_equal":
        bound = ctx.get("ge")
        message = f"{_q(value)} is negative" if bound == 0 else f"{_q(value)} is below {bound}"
    elif kind == "greater_than":
        message = f"{_q(value)} is not above {ctx.get('gt')}"
    elif kind == "literal_error":
        message = f"{_q(value)} is not one of the choices"
    elif kind.endswith("_type"):
        message = f"{_q(value)} is {_kind(value)}"
    else:  # e.g. an impossible date; pydantic's text without its "Value error," prefix
        message = f"{_q(value)}: {error or err['msg']}"
    return PolicyError(
        file,
        message,
        line=locator.line((*prefix, *loc)),
        key=_key_path(prefix, loc),
        expected=expected,
    )


_Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    """``nl``, ``punct`` (one of ``[]{}=,``), ``str`` (a quoted string) or ``bare``."""
    text: str
    line: int


_PUNCT: Final = frozenset("[]{}=,")


_BARE_STOP: Final = frozenset(" \t\r\n[]{}=,#\"'")


def _scan_string(text: str, start: int) -> tuple[str, int]:
    """The content and end offset of the quoted string starting at ``start``."""
    quote = text[start]
    if text.startswith(quote * 3, start):
        pos = start + 3
        while pos < len(text):
            if quote == '"' and text[pos] == "\\":
                pos += 2
                continue
            if text.startswith(quote * 3, pos):
                end = pos + 3
                while end < len(text) and text[end] == quote and end - pos < 5:
                    end += 1  # up to two quotes may sit right before the closing delimiter
                return text[start + 3 : end - 3], end
            pos += 1
        return text[start + 3 :], len(text)
    pos = start + 1
    while pos < len(text) and text[pos] not in (quote, "\n"):
        pos += 2 if quote == '"' and text[pos] == "\\" else 1
    content = text[start + 1 : pos]
    if quote == '"' and "\\" in content:
        # A TOML-only escape (\e, \U…) fails to decode: the raw text still identifies the key.
        with contextlib.suppress(ValueError):
            content = json.loads(f'"{content}"')
    return content, pos + 1


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    line, pos = 1, 0
    while pos < len(text):
        char = text[pos]
        if char == "\n":
            tokens.append(_Token("nl", char, line))
            line += 1
            pos += 1
        elif char in " \t\r":
            pos += 1
        elif char == "#":
            end = text.find("\n", pos)
            pos = len(text) if end == -1 else end
        elif char in _PUNCT:
            tokens.append(_Token("punct", char, line))
            pos += 1
        elif char in "\"'":
            content, end = _scan_string(text, pos)
            tokens.append(_Token("str", content, line))
            line += text.count("\n", pos, end)
            pos = end
        else:
            end = pos
            while end < len(text) and text[end] not in _BARE_STOP:
                end += 1
            tokens.append(_Token("bare", text[pos:end], line))
            pos = end
    return tokens


class _Locator:
    """Line numbers of key paths in a TOML source (1-based). Paths use tomllib's shape:
    table names, then for arrays of tables the element index (``("override", 2, "public")``)."""

    def __init__(self, text: str) -> None:
        self._tokens = _tokenize(text)
        self._pos = 0
        self._lines: dict[_Path, int] = {}
        self._aot_counts: dict[_Path, int] = {}
        self._document()

    def line(self, path: _Path) -> int | None:
        """The line of ``path``, or of its nearest recorded ancestor; ``None`` if none is."""
        for end in range(len(path), 0, -1):
            if path[:end] in self._lines:
                return self._lines[path[:end]]
        return None

    # -- the walk --------------------------------------------------------------------------

    def _peek(self, ahead: int = 0) -> _Token:
        index = self._pos + ahead
        if index < len(self._tokens):
            return self._tokens[index]
        return _Token("eof", "", 0)

    def _is(self, token: _Token, char: str) -> bool:
        return token.kind == "punct" and token.text == char

    def _record(self, path: _Path, line: int) -> None:
        for end in range(1, len(path) + 1):
            self._lines.setdefault(path[:end], line)

    def _skip_line(self) -> None:
        while self._peek().kind not in ("nl", "eof"):
            self._pos += 1

    def _key(self, stop: str) -> list[str]:
        parts: list[str] = []
        while True:
            token = self._peek()
            if token.kind in ("nl", "eof") or self._is(token, stop):
                return parts
            if token.kind == "str":
                parts.append(token.text)
            elif token.kind == "bare":
                parts.extend(p.strip() for p in token.text.split(".") if p.strip())
            self._pos += 1

    def _document(self) -> None:
        table: _Path = ()
        while (token := self._peek()).kind != "eof":
            if token.kind == "nl":
                self._pos += 1
                continue
            if self._is(token, "["):
                array = self._is(self._peek(1), "[")
                self._pos += 2 if array else 1
                table = self._header(self._key("]"), array)
                self._record(table, token.line)
            else:
                path = (*table, *self._key("="))
                self._pos += 1  # the "="
                self._record(path, token.line)
                self._value(path)
            self._skip_line()

    def _header(self, parts: list[str], array: bool) -> _Path:
        resolved: _Path = ()
        for index, part in enumerate(parts):
            resolved = (*resolved, part)
            last = index == len(parts) - 1
            if array and last:
                count = self._aot_counts.get(resolved, 0)
                self._aot_counts[resolved] = count + 1
                return (*resolved, count)
            if resolved in self._aot_counts:  # a sub-table of the latest array element
                resolved = (*resolved, self._aot_counts[resolved] - 1)
        return resolved

    def _value(self, path: _Path) -> None:
        token = self._peek()
        self._pos += 1
        if self._is(token, "["):
            index = 0
            while (item := self._peek()).kind != "eof":
                if item.kind == "nl":
                    self._pos += 1
                elif self._is(item, "]"):
                    self._pos += 1
                    return
                elif self._is(item, ","):
                    self._pos += 1
                    index += 1
                else:
                    self._record((*path, index), item.line)
                    self._value((*path, index))
        elif self._is(token, "{"):
            while (item := self._peek()).kind != "eof":
                if self._is(item, "}"):
                    self._pos += 1
                    return
                if item.kind == "nl" or self._is(item, ","):
                    self._pos += 1
                    continue
                key = (*path, *self._key("="))
                self._pos += 1  # the "="
                self._record(key, item.line)
                self._value(key)
