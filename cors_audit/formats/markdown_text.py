"""Text that is safe in GitHub-flavoured Markdown: every value of a report may come from a
hostile server or a user, and GitHub renders Markdown *and* HTML, so the Markdown report never
emits a value as Markdown or HTML. `clean` puts a value on one visible line, `escape_text`
escapes prose, `code_span` shows a value verbatim and `prose` renders the rule catalogue's
`` `code` `` notation. Used by ``formats/markdown.py``; no I/O.
"""

from __future__ import annotations

import re

from cors_audit.core.text import sanitize

VALUE_LIMIT = 300
"""Characters kept of one value (a URL, a reason…) after cleaning; longer ones end in ``…``."""


_LINE_BREAKS = re.compile("\r\n|[\n\r\t\x0b\x0c\x85\u2028\u2029]")
_NOT_TEXT = re.compile("[\ud800-\udfff\ufffe\uffff]")
_BACKTICKS = re.compile("`+")
_CODE_NOTATION = re.compile(r"`([^`]+)`")
_INERT = frozenset("'\",;?/%")
"""Punctuation no Markdown, GFM or GitHub construct starts or needs once ``[ ] ( ) < > & : @ .
# \\`` are escaped (no link, autolink or entity can form): left as is for readability."""
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPES = str.maketrans(
    {
        char: _ENTITIES.get(char, "\\" + char)
        for char in map(chr, range(0x21, 0x7F))
        if not char.isalnum() and char not in _INERT
    }
)
"""ASCII punctuation: ``& < >`` as entities, the rest backslash-escaped (CommonMark allows a
backslash before any of them)."""


def clean(value: object, limit: int = VALUE_LIMIT) -> str:
    """``value`` on one line with nothing invisible or unencodable, at most ``limit`` characters.

    Line breaks and tabs become spaces; other controls (ESC, NUL, BEL, C1…) and bidi/zero-width
    characters become visible escapes (`console.sanitize`); lone surrogates, U+FFFE and U+FFFF
    become ``\\uNNNN`` (a surrogate could not even be encoded as UTF-8).
    """
    text = sanitize(_LINE_BREAKS.sub(" ", str(value)))
    text = _NOT_TEXT.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clean_block(value: object) -> str:
    """Multi-line text for a fenced code block: lines kept, controls visibly escaped."""
    text = sanitize(str(value), keep_newlines=True)
    return _NOT_TEXT.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _escape(text: str) -> str:
    return text.translate(_ESCAPES)


def escape_text(value: object, limit: int = VALUE_LIMIT) -> str:
    """``value`` as Markdown that renders as exactly its (cleaned) text, also in a table cell:
    no emphasis, link, autolink, HTML, math or cell break can come out of it."""
    return _escape(clean(value, limit))


def _span(text: str, *, table: bool) -> str:
    if not text.strip():
        return escape_text(f"({'empty' if not text else 'blank'})")
    if table and "\\|" in text:
        # In a table a pipe inside a code span must be written \|, but a backslash right
        # before it would then escape the backslash instead: escaped text renders the same.
        return _escape(text)
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    # One space each side is stripped by the parser: needed when the text starts or ends with
    # a backtick (it would merge with the fence) or a space (it would be stripped).
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    if table:
        text = text.replace("|", "\\|")
    return f"{fence}{pad}{text}{pad}{fence}"


def code_span(value: object, *, table: bool = False, limit: int = VALUE_LIMIT) -> str:
    """``value`` (cleaned) as a code span: shown verbatim, never linkified or interpreted.
    ``table`` escapes pipes for a table cell."""
    return _span(clean(value, limit), table=table)


def prose(value: object, *, table: bool = False, limit: int = VALUE_LIMIT) -> str:
    """Text in the rule catalogue's notation: `` `code` `` parts as code spans, the rest
    escaped. Safe for any input: each part goes through `code_span` or `escape_text` rules."""
    text = clean(value, limit)
    parts: list[str] = []
    start = 0
    for match in _CODE_NOTATION.finditer(text):
        parts.append(_escape(text[start : match.start()]))
        parts.append(_span(match.group(1), table=table))
        start = match.end()
    parts.append(_escape(text[start:]))
    return "".join(parts)


__all__ = ["VALUE_LIMIT", "clean", "clean_block", "code_span", "escape_text", "prose"]
