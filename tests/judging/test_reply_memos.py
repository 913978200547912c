"""The per-reply memos of the summary and the exploitability context (issue 18): `remembered_seen`
is `seen` and `remembered_reply_context` is `reply_context`, for any reply, asked once or again,
as a tuple or as a list (a list is never remembered); both memos are bounded. `Evidence.with_shape`
is the answered replies of those Access-Control-Allow-Origin shapes, in scan order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from support.rule_builders import policy, run

from cors_audit.browser import AllowOriginShape, remembered_allow_origin_shape
from cors_audit.core.models import Headers, Probe, ProbeKind, Target
from cors_audit.judging.observed import SEEN_MEMO, _remembered_seen, remembered_seen, seen
from cors_audit.judging.rules.context import Evidence
from cors_audit.judging.rules.exploit import (
    REPLY_MEMO,
    _remembered_reply,
    remembered_reply_context,
    reply_context,
)

ORIGIN = "https://app.example"
NAMES = st.sampled_from(
    [
        "Access-Control-Allow-Origin",
        "access-control-allow-origin",
        "Access-Control-Allow-Credentials",
        "Access-Control-Allow-Methods",
        "Access-Control-Allow-Headers",
        "Access-Control-Expose-Headers",
        "Access-Control-Max-Age",
        "Access-Control-Allow-Private-Network",
        "Set-Cookie",
        "Strict-Transport-Security",
        "WWW-Authenticate",
        "Content-Type",
    ]
)
VALUES = st.sampled_from(
    [
        "*",
        "null",
        ORIGIN,
        f"{ORIGIN}, https://b.example",
        "true",
        "PUT, DELETE",
        "x-token, X-Label",
        "bad value",
        "600",
        "-1",
        "sid=1; SameSite=None; Secure",
        "a=2; samesite=lax",
        "application/json; charset=utf-8",
        "",
    ]
)
LINES = st.lists(st.tuples(NAMES, VALUES), max_size=7)
KINDS = st.sampled_from(list(ProbeKind))
PROBED = st.sampled_from([(), ("x-label",), ("x-token", "x-label")])


@given(LINES, st.sampled_from([ORIGIN, "null"]), KINDS, PROBED, st.sampled_from([200, 204, 403]))
def test_the_remembered_reply_is_seen_as_without_the_memo(
    lines: list[tuple[str, str]],
    origin: str,
    kind: ProbeKind,
    probed: tuple[str, ...],
    status: int,
) -> None:
    expected = seen(origin, kind, probed, status, lines)
    for headers in (tuple(lines), tuple(lines), lines):  # asked, remembered, a list
        assert remembered_seen(origin, kind, probed, status, headers) == expected


@given(LINES)
def test_the_remembered_context_is_the_reply_s(lines: list[tuple[str, str]]) -> None:
    expected = reply_context(lines)
    for headers in (tuple(lines), tuple(lines), lines):  # asked, remembered, a list
        assert remembered_reply_context(headers) == expected


def test_both_memos_are_bounded() -> None:
    _remembered_seen.cache_clear()
    _remembered_reply.cache_clear()
    for n in range(max(SEEN_MEMO, REPLY_MEMO) + 10):
        headers = (("Access-Control-Allow-Origin", f"https://{n}.x"),)
        remembered_seen(ORIGIN, ProbeKind.ACTUAL, (), 200, headers)
        remembered_reply_context(headers)
    assert _remembered_seen.cache_info().currsize == SEEN_MEMO
    assert _remembered_reply.cache_info().currsize == REPLY_MEMO


ACAO = st.sampled_from([None, "*", "null", "echo", f"{ORIGIN}, https://b.example", "bad value"])


@given(ACAO, ACAO, st.sampled_from(["GET", "PUT"]))
def test_with_shape_is_the_answered_replies_of_those_shapes_in_order(
    actual: str | None, preflight: str | None, method: str
) -> None:
    def server(probe: Probe) -> tuple[int, Headers]:
        value = preflight if probe.is_preflight else actual
        if value is None:
            return 200, ()
        shown = (probe.origin.value if probe.origin else "null") if value == "echo" else value
        return 200, (("Access-Control-Allow-Origin", shown),)

    pol = policy()
    _, exchanges = run(server, pol, method=method)
    target = Target(url="https://api.example.com/items", method=method)
    evidence = Evidence(target, pol, tuple(exchanges))
    shapes = list(AllowOriginShape)
    for picked in (
        [AllowOriginShape.WILDCARD],
        [AllowOriginShape.MULTIPLE, AllowOriginShape.INVALID],
        shapes,
    ):
        expected = [
            e
            for e in exchanges
            if e.response is not None
            and remembered_allow_origin_shape(e.response.headers) in picked
        ]
        assert list(evidence.with_shape(*picked)) == expected
        assert list(evidence.with_shape(*picked)) == expected  # once made, the same
