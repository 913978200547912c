"""Literals and regular expressions for remediation snippets: every value taken from a policy is
quoted and escaped for the snippet's language (Python, JavaScript, Go, C#, Java, nginx), and every
regular expression is anchored with escaped dots.

Pure functions; they know nothing of rules or stacks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

_REGEX_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/:")


def regex_escape(text: str, *, pcre: bool = False) -> str:
    """``text`` as a regex matching itself in Python, JavaScript, Java, .NET and RE2 (or, with
    ``pcre``, nginx's PCRE2): letters, digits, ``-_/:`` as is, ``.`` as ``\\.``, any other
    character as a hex escape (validated origins are ASCII; others get ``\\u``, or their UTF-8
    bytes for PCRE)."""
    out: list[str] = []
    for char in text:
        code = ord(char)
        if char in _REGEX_LITERAL:
            out.append(char)
        elif char == ".":
            out.append("\\.")
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif pcre:  # nginx's PCRE is not in UTF mode: match the UTF-8 bytes
            out.extend(f"\\x{byte:02x}" for byte in char.encode())
        else:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return "".join(out)


def origin_regex(origin: str, *, pcre: bool = False) -> str:
    """An anchored regex matching exactly ``origin``."""
    return f"^{regex_escape(origin, pcre=pcre)}$"


def subdomain_regex(domains: Sequence[str]) -> str:
    """An anchored regex for every https subdomain (any depth, any port) of ``domains``,
    matching what `EffectivePolicy.trusts` accepts for ``trust_subdomains_of``."""
    alternatives = "|".join(regex_escape(domain) for domain in domains)
    group = alternatives if len(domains) == 1 else f"({alternatives})"
    return f"^https://([a-z0-9-]+\\.)+{group}(:[0-9]+)?$"


def py_str(text: str) -> str:
    """A Python string literal for ``text`` (raw when that keeps backslashes readable)."""
    printable = all(0x20 <= ord(c) < 0x7F for c in text)
    if "\\" in text and printable and '"' not in text and not text.endswith("\\"):
        return f'r"{text}"'
    return json.dumps(text)  # ASCII-only JSON string literals are valid Python literals


def js_str(text: str) -> str:
    """A JavaScript (also Go and C#) double-quoted string literal for ``text``."""
    return json.dumps(text)


def java_str(text: str) -> str:
    """A Java string literal. Java turns ``\\uXXXX`` into characters before parsing, so control
    characters are written as octal escapes instead."""
    out: list[str] = []
    simple = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    for char in text:
        if char in simple:
            out.append(simple[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):03o}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


_NGINX_SAFE = frozenset(_REGEX_LITERAL | {".", ",", " ", "*"})


def nginx_str(text: str) -> str:
    """An nginx double-quoted string whose text nginx reads back unchanged. ``$`` (a variable
    in nginx strings) becomes ``${cors_dollar}``, defined by `NGINX_DOLLAR`."""
    out: list[str] = []
    for char in text:
        if char in _NGINX_SAFE:
            out.append(char)
        elif char in '"\\':
            out.append("\\" + char)
        elif char == "$":
            out.append("${cors_dollar}")
        elif char in "\t\r\n":
            out.append({"\t": "\\t", "\r": "\\r", "\n": "\\n"}[char])
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


NGINX_DOLLAR: Final = 'geo $cors_dollar { default "$"; }'
"""The ``http {}`` line that lets `nginx_str` write a literal ``$``."""


def nginx_key(origin: str) -> str:
    """The nginx ``map`` key that matches exactly ``origin``."""
    # An exact map key when the origin is plainly safe, else an anchored regex key whose
    # escapes leave no quote, `$` or `;` for nginx to interpret.
    if all(c in _REGEX_LITERAL or c == "." for c in origin):
        return nginx_str(origin)
    return nginx_regex_key(origin_regex(origin, pcre=True))


def nginx_regex_key(regex: str) -> str:
    """The nginx ``map`` key for an anchored regex made by `regex_escape`."""
    # `regex_escape` output holds no quote and only the escapes \. and \xHH, which nginx's
    # parser keeps as they are; `$` in a map key is the regex anchor, never a variable.
    return f'"~{regex}"'
