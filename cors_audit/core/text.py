"""Text safe to show: every control, bidi-override and zero-width character of a string from a
server or a user becomes a visible escape (`sanitize`), so a hostile server cannot move the
cursor, clear the screen, retitle a terminal, plant an OSC 8 hyperlink or make one URL look like
another. Every output that shows such text (console, Markdown, JUnit, HTML, drafted policies,
report diffs) goes through it.
"""

from __future__ import annotations

_INVISIBLE = (
    *range(0x20),  # C0, incl. ESC (0x1b), CR, LF, TAB, BEL, NUL
    0x7F,  # DEL
    *range(0x80, 0xA0),  # C1, incl. CSI (0x9b) and OSC (0x9d), which some terminals obey
)
"""Code points a terminal may act on instead of showing."""

_BIDI_AND_ZERO_WIDTH = (
    0x200B,  # zero width space
    0x200C,
    0x200D,
    0x200E,  # left-to-right mark
    0x200F,
    *range(0x202A, 0x202F),  # bidi embeddings and overrides ("Trojan Source")
    0x2060,  # word joiner
    *range(0x2066, 0x206A),  # bidi isolates
    0xFEFF,  # zero width no-break space / BOM
)
"""Code points that are invisible or reorder text, so a URL could look like another."""


def _escape_table(*, keep_newlines: bool) -> dict[int, str]:
    table = {code: f"\\x{code:02x}" for code in _INVISIBLE}
    table.update({code: f"\\u{code:04x}" for code in _BIDI_AND_ZERO_WIDTH})
    if keep_newlines:
        del table[ord("\n")], table[ord("\t")]
    return table


_TABLE = _escape_table(keep_newlines=False)
_TABLE_MULTILINE = _escape_table(keep_newlines=True)


def sanitize(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character shown as a visible ``\\xNN`` escape.

    C0 controls (ESC, NUL, CR, LF, TAB, BEL…), DEL and C1 controls become ``\\xNN``; bidi
    overrides and zero-width characters become ``\\uNNNN``. With ``keep_newlines`` LF and TAB
    stay as they are (for multi-line blocks such as a ``curl`` command in HTML ``<pre>``).
    """
    if text.isprintable():
        # Every escaped code point is non-printable (Cc or Cf), so nothing would change: the
        # common case, checked in C (a large HTML report sanitizes a million strings).
        return text
    return text.translate(_TABLE_MULTILINE if keep_newlines else _TABLE)
