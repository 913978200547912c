"""A tiny, safe renderer for the inline Markdown the rule catalogue and findings use.

Only three constructs are recognised: `` `code` ``, ``**bold**`` and ``[text](url)`` where the
url is ``http(s)://…`` or an in-page ``#fragment``. The input is HTML-escaped *first* (with
control characters made visible by the caller's ``clean`` function) and the markup is added to
the escaped text afterwards, so no byte of the input can open a tag or leave an attribute: a
quote in a link target is already ``&#34;`` when it lands in ``href``. Code spans are matched
before the rest, and their content is never parsed further.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markupsafe import Markup, escape

_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*\*([^*\n]+?)\*\*")
_LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?://|#)[^\s()<>]+)\)")


def _inline(escaped: str) -> str:
    text = _LINK.sub(r'<a href="\2" rel="noopener noreferrer">\1</a>', escaped)
    return _BOLD.sub(r"<strong>\1</strong>", text)


def render_inline(value: object, clean: Callable[[str], str] = str) -> Markup:
    """``value`` as safe HTML with code spans, bold and http(s)/fragment links rendered."""
    escaped = str(escape(clean(str(value))))
    parts: list[str] = []
    last = 0
    for match in _CODE.finditer(escaped):
        parts.append(_inline(escaped[last : match.start()]))
        parts.append(f"<code>{match.group(1)}</code>")
        last = match.end()
    parts.append(_inline(escaped[last:]))
    return Markup("".join(parts))  # noqa: S704 - escaped above, markup added afterwards
