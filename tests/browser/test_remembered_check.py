"""`remembered_cors_check` is `cors_check` remembered for header tuples (issue 18): the same
verdict for every header list of the CORS-check vectors, in both credentials modes, asked once
or again, as a tuple or as a list (a list is never remembered)."""

from __future__ import annotations

import pytest

from cors_audit.browser import cors_check, remembered_cors_check
from cors_audit.browser.check import CHECK_MEMO, _remembered

ORIGIN = "https://app.example"
HEADER_LISTS: list[tuple[tuple[str, str], ...]] = [
    (),
    (("Access-Control-Allow-Origin", "*"),),
    (("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")),
    (("Access-Control-Allow-Origin", ORIGIN),),
    (("access-control-allow-origin", f" {ORIGIN}\t"), ("Access-Control-Allow-Credentials", "true")),
    (("Access-Control-Allow-Origin", ORIGIN), ("Access-Control-Allow-Credentials", "True")),
    (("Access-Control-Allow-Origin", ORIGIN), ("Access-Control-Allow-Origin", ORIGIN)),
    (("Access-Control-Allow-Origin", f"{ORIGIN}, https://b.example"),),
    (("Access-Control-Allow-Origin", "null"), ("Access-Control-Allow-Credentials", "true")),
    (("Access-Control-Allow-Origin", "https://other.example"),),
    (("Access-Control-Allow-Origin", "not an origin"),),
    (
        ("Access-Control-Allow-Origin", ORIGIN),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Credentials", "true"),
    ),
]


@pytest.mark.parametrize("headers", HEADER_LISTS)
@pytest.mark.parametrize("origin", [ORIGIN, "null", "https://other.example"])
def test_remembered_verdicts_are_the_model_s(
    headers: tuple[tuple[str, str], ...], origin: str
) -> None:
    for credentials in ("omit", "include"):
        expected = cors_check(origin, credentials, headers)
        assert remembered_cors_check(origin, credentials, headers) == expected
        assert remembered_cors_check(origin, credentials, headers) == expected  # remembered
        assert remembered_cors_check(origin, credentials, list(headers)) == expected


def test_the_memo_is_bounded() -> None:
    _remembered.cache_clear()
    for n in range(CHECK_MEMO + 10):
        remembered_cors_check(ORIGIN, "omit", (("Access-Control-Allow-Origin", f"https://{n}.x"),))
    assert _remembered.cache_info().currsize == CHECK_MEMO
