"""`header_values` reads a header tuple through a remembered index by lower-cased name (issue 18,
"nearer the wire"): the same values, in the same order, as reading the lines one by one, for any
names (non-ASCII ones too, whose lower case can change length) and any values; a list is read
line by line; and the list returned is the caller's own."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cors_audit.browser.headers import HEADER_MEMO, _indexed, header_get, header_values

NAMES = st.sampled_from(
    [
        "Access-Control-Allow-Origin",
        "access-control-allow-origin",
        "ACCESS-CONTROL-ALLOW-ORIGIN",
        "Vary",
        "VARY",
        "İ",  # lower-cases to two characters
        "i̇",
        "ß",
        "K",  # the Kelvin sign lower-cases to an ASCII "k"
        "k",
        "",
    ]
)
VALUES = st.text(alphabet="a \t,*ÿn", max_size=6) | st.just("null")
LINES = st.lists(st.tuples(NAMES | st.text(max_size=4), VALUES), max_size=8)


def line_by_line(headers: list[tuple[str, str]], name: str) -> list[str]:
    """Fetch's reading (BROWSER-MODEL.md §1.1), spelled out: every line whose name matches
    without regard to case, in order, each value stripped of tabs and spaces."""
    return [value.strip(" \t") for n, value in headers if n.lower() == name.lower()]


@given(LINES, NAMES | st.text(max_size=4))
def test_the_index_reads_what_the_lines_say(lines: list[tuple[str, str]], name: str) -> None:
    expected = line_by_line(lines, name)
    assert header_values(tuple(lines), name) == expected
    assert header_values(tuple(lines), name) == expected  # now from the memo
    assert header_values(lines, name) == expected  # a list: not remembered
    assert header_get(tuple(lines), name) == (", ".join(expected) if expected else None)


def test_the_values_returned_are_the_caller_s_own() -> None:
    headers = (("Vary", "Origin"), ("vary", " Accept "))
    first = header_values(headers, "VARY")
    first.append("changed")
    assert header_values(headers, "vary") == ["Origin", "Accept"]


def test_an_unhashable_header_list_is_read_line_by_line() -> None:
    headers = (("Vary", "Origin"), ["Vary", "Cookie"])  # a line given as a list
    assert header_values(headers, "vary") == ["Origin", "Cookie"]  # type: ignore[arg-type]


def test_the_memo_is_bounded() -> None:
    _indexed.cache_clear()
    for n in range(HEADER_MEMO + 10):
        header_values((("X-N", str(n)),), "x-n")
    assert _indexed.cache_info().currsize == HEADER_MEMO


def test_remembered_answers_hashable_questions_from_its_memo_and_others_directly() -> None:
    from cors_audit.browser import Remembered

    asked: list[object] = []

    def count(headers: object) -> int:
        asked.append(headers)
        return len(headers)  # type: ignore[arg-type]

    remembered = Remembered(count, 2)
    lines = (("Vary", "Origin"),)
    assert remembered.ask(lines) == remembered.ask(lines) == 1
    assert asked == [lines]  # the second answer came from the memo
    assert remembered.ask(list(lines)) == remembered.ask(list(lines)) == 1
    assert len(asked) == 3  # a list cannot be remembered: asked each time
    for n in range(5):
        remembered.ask(((f"X-{n}", ""),))
    assert remembered.cache_info().currsize == 2  # bounded
    remembered.cache_clear()
    assert remembered.cache_info().currsize == 0
