"""`sensitive_names` is `_sensitive_names` remembered for header tuples (issue 18): the same
names, in the same order, for any reply, credentials mode and intended names, asked once or
again, as a tuple or as a list (a list is never remembered); the list returned is the caller's
own, and the memo is bounded."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cors_audit.judging.rules.sensitive_exposed_headers import (
    SENSITIVE_MEMO,
    _remembered_sensitive,
    _sensitive_names,
    sensitive_names,
)

NAMES = st.sampled_from(
    [
        "Access-Control-Expose-Headers",
        "access-control-expose-headers",
        "X-Auth-Token",
        "Authorization",
        "Set-Cookie",
        "X-Session-Id",
        "Content-Type",
    ]
)
VALUES = st.sampled_from(
    ["*", "X-Auth-Token", "x-auth-token, Authorization", "X-Session-Id,", "bad value", "", "1"]
)
LINES = st.lists(st.tuples(NAMES, VALUES), max_size=6)
INTENDED = st.frozensets(st.sampled_from(["x-auth-token", "authorization"]))


@given(LINES, st.sampled_from(["omit", "include"]), INTENDED)
def test_the_remembered_names_are_the_rule_s(
    lines: list[tuple[str, str]], mode: str, intended: frozenset[str]
) -> None:
    expected = _sensitive_names(lines, mode, intended)  # type: ignore[arg-type]
    for headers in (tuple(lines), tuple(lines), lines):  # asked, remembered, a list
        assert sensitive_names(headers, mode, intended) == expected  # type: ignore[arg-type]


def test_the_names_returned_are_the_caller_s_own() -> None:
    headers = (("Access-Control-Expose-Headers", "X-Auth-Token"),)
    first = sensitive_names(headers, "omit", frozenset())
    first.append("changed")
    assert sensitive_names(headers, "omit", frozenset()) == ["X-Auth-Token"]


def test_the_memo_is_bounded() -> None:
    _remembered_sensitive.cache_clear()
    for n in range(SENSITIVE_MEMO + 10):
        sensitive_names((("Access-Control-Expose-Headers", f"x-token-{n}"),), "omit", frozenset())
    assert _remembered_sensitive.cache_info().currsize == SENSITIVE_MEMO
