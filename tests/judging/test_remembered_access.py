"""`remembered_access` is both CORS-check verdicts of the browser model remembered for header
tuples (issue 18): the same `Access` as `cors_check` gives in each credentials mode, for any
reply and origin, asked once or again, as a tuple or as a list (a list is never remembered),
and the memo is bounded."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cors_audit.browser import cors_check
from cors_audit.judging.rules.context import (
    ACCESS_MEMO,
    Access,
    _remembered_access,
    remembered_access,
)

ORIGIN = "https://app.example"
NAMES = st.sampled_from(
    [
        "Access-Control-Allow-Origin",
        "access-control-allow-origin",
        "Access-Control-Allow-Credentials",
        "Vary",
    ]
)
VALUES = st.sampled_from(
    ["*", "null", ORIGIN, f" {ORIGIN}\t", f"{ORIGIN}, https://b.example", "true", "True", ""]
)
LINES = st.lists(st.tuples(NAMES, VALUES), max_size=5)


@given(LINES, st.sampled_from([ORIGIN, "null", "https://other.example"]))
def test_the_remembered_access_is_the_model_s(lines: list[tuple[str, str]], origin: str) -> None:
    expected = Access(
        omit=cors_check(origin, "omit", lines), include=cors_check(origin, "include", lines)
    )
    for headers in (tuple(lines), tuple(lines), lines):  # asked, remembered, a list
        assert remembered_access(origin, headers) == expected


def test_the_memo_is_bounded() -> None:
    _remembered_access.cache_clear()
    for n in range(ACCESS_MEMO + 10):
        remembered_access(ORIGIN, (("Access-Control-Allow-Origin", f"https://{n}.x"),))
    assert _remembered_access.cache_info().currsize == ACCESS_MEMO
