"""`remembered_allow_origin_shape` and `remembered_preflight_check` are `allow_origin_shape` and
`preflight_check` remembered for header tuples (issue 18): the same answer for any header list,
asked once or again, as a tuple or as a list (a list is never remembered), and each memo is
bounded."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cors_audit.browser import (
    allow_origin_shape,
    preflight_check,
    remembered_allow_origin_shape,
    remembered_preflight_check,
)
from cors_audit.browser.check import CHECK_MEMO, _remembered_preflight
from cors_audit.browser.origin import SHAPE_MEMO, _remembered_shape

ORIGIN = "https://app.example"
NAMES = st.sampled_from(
    [
        "Access-Control-Allow-Origin",
        "access-control-allow-origin",
        "Access-Control-Allow-Credentials",
        "Access-Control-Allow-Methods",
        "Access-Control-Allow-Headers",
        "Access-Control-Max-Age",
        "Location",
        "Vary",
    ]
)
VALUES = st.sampled_from(
    [
        "*",
        "null",
        ORIGIN,
        f" {ORIGIN}\t",
        f"{ORIGIN}/",
        f"{ORIGIN}, https://b.example",
        "https://APP.example",
        "true",
        "True",
        "PUT, DELETE",
        "*, x-token",
        "x-token",
        "600",
        "-1",
        "https://elsewhere.example/",
        "",
    ]
)
LINES = st.lists(st.tuples(NAMES, VALUES), max_size=6)


@given(LINES)
def test_the_remembered_shape_is_the_model_s(lines: list[tuple[str, str]]) -> None:
    expected = allow_origin_shape(lines)
    assert remembered_allow_origin_shape(tuple(lines)) is expected
    assert remembered_allow_origin_shape(tuple(lines)) is expected  # now from the memo
    assert remembered_allow_origin_shape(lines) is expected  # a list: not remembered


@given(
    LINES,
    st.sampled_from([ORIGIN, "null", "https://other.example"]),
    st.sampled_from(["omit", "include"]),
    st.sampled_from(["PUT", "GET", "delete"]),
    st.sampled_from([(), ("x-token",), ("authorization", "x-token")]),
    st.sampled_from([200, 204, 302, 403]),
    st.sampled_from(["chromium", "spec"]),
)
def test_the_remembered_preflight_verdict_is_the_model_s(
    lines: list[tuple[str, str]],
    origin: str,
    credentials: str,
    method: str,
    names: tuple[str, ...],
    status: int,
    mode: str,
) -> None:
    args = (origin, credentials, method, names, status)
    expected = preflight_check(*args, tuple(lines), mode)  # type: ignore[arg-type]
    for headers in (tuple(lines), tuple(lines), lines):  # asked, remembered, a list
        assert remembered_preflight_check(*args, headers, mode) == expected  # type: ignore[arg-type]


def test_an_unhashable_header_list_is_answered_without_the_memo() -> None:
    headers = (("Access-Control-Allow-Origin", ORIGIN), ["Vary", "Origin"])
    assert remembered_allow_origin_shape(headers) is allow_origin_shape(headers)  # type: ignore[arg-type]
    verdict = remembered_preflight_check(ORIGIN, "omit", "PUT", (), 204, headers)  # type: ignore[arg-type]
    assert verdict == preflight_check(ORIGIN, "omit", "PUT", (), 204, headers)  # type: ignore[arg-type]


def test_the_memos_are_bounded() -> None:
    _remembered_shape.cache_clear()
    _remembered_preflight.cache_clear()
    for n in range(max(SHAPE_MEMO, CHECK_MEMO) + 10):
        headers = (("Access-Control-Allow-Origin", f"https://{n}.x"),)
        remembered_allow_origin_shape(headers)
        remembered_preflight_check(ORIGIN, "omit", "PUT", (), 204, headers)
    assert _remembered_shape.cache_info().currsize == SHAPE_MEMO
    assert _remembered_preflight.cache_info().currsize == CHECK_MEMO
