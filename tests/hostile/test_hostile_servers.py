"""Hostile servers: the scanner never hangs, never blows up, never follows and never lies.

Each case scans a hostile loopback server TOGETHER with the demo lab's reflecting endpoint (a
normal misconfigured target) in one `scan()` call, and checks that
- the hostile target ends as an error record with a clear reason (or, for redirects and IPv6,
  with correct findings), and the exchanges never hold more body than the cap;
- the normal target is fully reported (no error, its ``reflected-origin`` finding present);
- the whole call returns within a bound derived from the options: the per-target deadline plus
  one request deadline (the time a cancelled request may take to wind down) plus a fixed
  allowance for the normal target and the test machine (``SLACK``). The bound is measured with
  ``time.monotonic``; nothing sleeps to make it hold.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, replace

import httpx
import pytest
from support.hostile_servers import (
    REPLY_TO,
    RawServer,
    answers_at_once,
    endless_chunked,
    gzip_bomb,
    hang_up,
    huge_header,
    keep_alive_pairs,
    many_headers,
    redirects_to,
    reflecting,
    replies_with,
    request_path,
    reset_mid_response,
    serves_gzip,
    trickle_body,
    trickle_head,
)

from cors_audit.app import scan as scan_module
from cors_audit.app.scan import ScanOptions, scan
from cors_audit.core.errors import UsageError
from cors_audit.core.models import ErrorKind, Target, TargetResult
from cors_audit.demo.lab import DemoLab
from cors_audit.sending.engine import MAX_RESPONSE_HEADERS, EngineOptions, Transport

SLACK = 5.0
"""Seconds allowed on top of the deadlines: the normal target's scan, thread start-up, a slow
CI machine. Far below any deadline a hostile server could otherwise stretch the scan to."""

BODY_CAP = 16384
Factory = Callable[..., RawServer]


def options(
    *,
    timeout: float = 2.0,
    request_deadline: float = 4.0,
    target_deadline: float = 8.0,
    per_host: int | None = None,
) -> ScanOptions:
    engine = EngineOptions(
        timeout=timeout,
        request_deadline=request_deadline,
        retries=0,
        body_cap=BODY_CAP,
    )
    if per_host is not None:
        engine = replace(engine, per_host=per_host)
    # These tests read every exchange, not just the findings' evidence.
    return ScanOptions(engine=engine, target_deadline=target_deadline, keep_exchanges=True)


@dataclass(frozen=True, slots=True)
class Outcome:
    hostile: TargetResult
    normal: TargetResult
    seconds: float


def scan_with_lab(
    url: str, lab: DemoLab, scan_options: ScanOptions, transport: Transport | None = None
) -> Outcome:
    targets = [Target(url), Target(lab.url("/reflect-credentials"))]
    started = time.monotonic()
    hostile, normal = scan(targets, None, scan_options, transport=transport)
    return Outcome(hostile, normal, time.monotonic() - started)


def bound(scan_options: ScanOptions) -> float:
    """The longest the scan may take: see the module docstring."""
    assert scan_options.target_deadline is not None
    return scan_options.target_deadline + scan_options.engine.attempt_deadline + SLACK


def check_common(outcome: Outcome, scan_options: ScanOptions) -> None:
    normal = outcome.normal
    assert normal.error is None, normal.error
    assert "reflected-origin" in {finding.rule for finding in normal.findings}
    assert normal.grade != "-"
    assert outcome.seconds < bound(scan_options), outcome.seconds
    for exchange in (*outcome.hostile.exchanges, *normal.exchanges):
        if exchange.response is not None:
            assert exchange.response.body_bytes <= BODY_CAP


def assert_error(result: TargetResult, kind: ErrorKind, *needles: str) -> str:
    assert result.error is not None, [f.rule for f in result.findings]
    assert result.error.kind is kind, result.error
    for needle in needles:
        assert needle in result.error.message, result.error.message
    assert result.findings == ()
    return result.error.message


# -- (a) trickling ---------------------------------------------------------------------------


def test_trickled_head_is_cut_by_the_request_and_the_target_deadline(
    hostile: Factory, lab: DemoLab
) -> None:
    # Given a server that sends its reply one byte per second: httpx's read timeout restarts
    # with every byte and never fires (5 s here, so a stalled test machine cannot fire it
    # either: only the deadlines can end these requests).
    server = hostile(trickle_head(1.0))
    scan_options = options(timeout=5.0, request_deadline=3.0, target_deadline=4.0, per_host=4)

    outcome = scan_with_lab(server.url(), lab, scan_options)

    # The first four of round 1's six probes (per-host limit 4) die at their 3 s request
    # deadline; the target's 4 s deadline ends the rest.
    assert_error(outcome.hostile, ErrorKind.TIMEOUT, "target deadline", "within 4 s")
    finished = outcome.hostile.exchanges
    assert finished
    for exchange in finished:
        assert exchange.error is not None
        assert exchange.error.kind is ErrorKind.TIMEOUT
        assert "request deadline" in exchange.error.message
        assert "within 3 s" in exchange.error.message
        assert exchange.elapsed_ms < 3000 + SLACK * 1000
    check_common(outcome, scan_options)
    assert outcome.seconds >= 3.0  # it did wait for the request deadline, not fail at once


def test_trickled_body_keeps_the_head_and_hits_the_request_deadline(
    hostile: Factory, lab: DemoLab
) -> None:
    server = hostile(trickle_body(0.5))
    scan_options = options(timeout=5.0, request_deadline=2.0, target_deadline=10.0)

    outcome = scan_with_lab(server.url(), lab, scan_options)

    # The baseline's failure is the target's error; its head is kept as evidence.
    assert_error(outcome.hostile, ErrorKind.TIMEOUT, "request deadline", "within 2 s")
    baseline = outcome.hostile.exchanges[0]
    assert baseline.response is not None
    assert baseline.response.status == 200
    assert 0 < baseline.response.body_bytes < 1000
    check_common(outcome, scan_options)
    # Two waves of 2 s at most (8 round-1 probes, 6 per host), far below the target deadline.
    assert outcome.seconds < 2 * 2.0 + SLACK


# -- (b) oversized heads ---------------------------------------------------------------------


def test_one_mebibyte_header_is_a_too_large_error(hostile: Factory, lab: DemoLab) -> None:
    server = hostile(huge_header(1 << 20))
    scan_options = options()

    outcome = scan_with_lab(server.url(), lab, scan_options)

    message = assert_error(outcome.hostile, ErrorKind.TOO_LARGE, "response head from 127.0.0.1")
    assert "too large (over 100 KiB" in message
    check_common(outcome, scan_options)


def test_ten_thousand_headers_are_a_too_large_error(hostile: Factory, lab: DemoLab) -> None:
    server = hostile(many_headers(10_000))
    scan_options = options()

    outcome = scan_with_lab(server.url(), lab, scan_options)

    message = assert_error(outcome.hostile, ErrorKind.TOO_LARGE)
    assert f"header lines (more than {MAX_RESPONSE_HEADERS})" in message
    # 10 000 + Vary, ACAC, Content-Length and Connection (the baseline sends no Origin)
    assert "has 10004 header lines" in message
    assert all(e.response is None for e in outcome.hostile.exchanges)
    check_common(outcome, scan_options)


# -- (c) malformed replies -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "kind", "needle"),
    [
        pytest.param(
            b"HTTP/1.1 OK 200\r\nContent-Length: 0\r\n\r\n",
            ErrorKind.PROTOCOL,
            "malformed HTTP exchange",
            id="bad-status-line",
        ),
        pytest.param(
            b"<html>\n<body>\n\nHTTP/0.9 has no head at all</body></html>\n",
            ErrorKind.PROTOCOL,
            "malformed HTTP exchange",
            id="http-0.9",
        ),
        # Without a blank line h11 never sees a complete head: the server hung up mid-way.
        pytest.param(
            b"<html><body>one line of HTTP/0.9</body></html>\n",
            ErrorKind.RESET,
            "closed or reset the connection before a complete response",
            id="http-0.9-one-line",
        ),
        pytest.param(
            b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(range(256)),
            ErrorKind.PROTOCOL,
            "malformed HTTP exchange",
            id="binary-garbage",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: a\x00b\r\nContent-Length: 0\r\n\r\n",
            ErrorKind.PROTOCOL,
            "malformed HTTP exchange",
            id="nul-in-header-value",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nX-A: 1\r\n\x1b[2J: x\r\nContent-Length: 0\r\n\r\n",
            ErrorKind.PROTOCOL,
            "malformed HTTP exchange",
            id="control-bytes-in-header-name",
        ),
    ],
)
def test_malformed_replies_are_protocol_errors(
    hostile: Factory, lab: DemoLab, reply: bytes, kind: ErrorKind, needle: str
) -> None:
    server = hostile(replies_with(reply))
    scan_options = options()

    outcome = scan_with_lab(server.url(), lab, scan_options)

    assert_error(outcome.hostile, kind, needle, f"127.0.0.1:{server.port}")
    check_common(outcome, scan_options)


def test_obs_text_bytes_in_a_header_value_are_kept_byte_for_byte(
    hostile: Factory, lab: DemoLab
) -> None:
    # RFC 9110 obs-text (0x80-0xFF) is legal in a field value: a reply, not an error.
    server = hostile(
        replies_with(
            b"HTTP/1.1 200 OK\r\nX-Odd: caf\xe9 \xff\x80\r\n"
            b"Access-Control-Allow-Origin: *\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    )
    scan_options = options()

    outcome = scan_with_lab(server.url(), lab, scan_options)

    assert outcome.hostile.error is None
    baseline = outcome.hostile.exchanges[0]
    assert baseline.response is not None
    assert ("X-Odd", "caf\xe9 \xff\x80") in baseline.response.headers
    check_common(outcome, scan_options)


# -- (d) resets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "needle"),
    [
        pytest.param(reset_mid_response, "closed or reset the connection", id="reset-mid-body"),
        pytest.param(hang_up, "closed or reset the connection", id="close-without-answer"),
    ],
)
def test_reset_and_silent_close_are_reset_errors(
    hostile: Factory, lab: DemoLab, behaviour: Callable[..., None], needle: str
) -> None:
    server = hostile(behaviour)
    scan_options = options()

    outcome = scan_with_lab(server.url(), lab, scan_options)

    assert_error(outcome.hostile, ErrorKind.RESET, needle)
    check_common(outcome, scan_options)


# -- (e) redirects ---------------------------------------------------------------------------


def test_redirect_loop_is_evidence_never_followed(hostile: Factory, lab: DemoLab) -> None:
    server = hostile(redirects_to(request_path))  # every URL redirects to itself
    scan_options = options()

    outcome = scan_with_lab(server.url(), lab, scan_options)

    result = outcome.hostile
    assert result.error is None
    assert result.exchanges
    assert all(e.response is not None and e.response.status == 302 for e in result.exchanges)
    # One connection per probe: no redirect was followed.
    assert server.connections == len(result.exchanges)
    check_common(outcome, scan_options)


def test_redirect_to_another_host_is_never_followed(hostile: Factory, lab: DemoLab) -> None:
    elsewhere = hostile(reflecting)
    server = hostile(redirects_to(lambda head: elsewhere.url("/stolen")))
    scan_options = options()

    outcome = scan_with_lab(server.url(), lab, scan_options)

    result = outcome.hostile
    assert result.error is None
    locations = {
        value
        for e in result.exchanges
        if e.response is not None
        for name, value in e.response.headers
        if name == "Location"
    }
    assert locations == {elsewhere.url("/stolen")}
    assert elsewhere.connections == 0
    assert server.connections == len(result.exchanges)
    # Whatever is found rests on the recorded redirect replies themselves.
    for finding in result.findings:
        assert finding.evidence
        assert all(e.response is not None and e.response.status == 302 for e in finding.evidence)
    check_common(outcome, scan_options)


def test_redirect_with_an_unparsable_location_is_still_evidence(
    hostile: Factory, lab: DemoLab
) -> None:
    # httpx prepares the next request of every redirect, even when not following, and fails on
    # a Location it cannot parse; the reply must still be recorded, body and all.
    server = hostile(redirects_to(lambda head: "http://exa mple.test/\x1b[2J"))
    scan_options = options()

    outcome = scan_with_lab(server.url(), lab, scan_options)

    result = outcome.hostile
    assert result.error is None
    assert all(e.error is None and e.response is not None for e in result.exchanges)
    baseline = result.exchanges[0].response
    assert baseline is not None
    assert baseline.status == 302
    assert ("Location", "http://exa mple.test/\x1b[2J") in baseline.headers
    assert baseline.body_sha256 is not None
    assert server.connections == len(result.exchanges)
    check_common(outcome, scan_options)


# -- (f) bodies ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb(64 << 20)


def test_gzip_bomb_is_never_inflated(hostile: Factory, lab: DemoLab, bomb: bytes) -> None:
    inflated = 64 << 20
    assert BODY_CAP < len(bomb) < inflated // 500
    server = hostile(serves_gzip(bomb))
    scan_options = options()

    tracemalloc.start()
    try:
        outcome = scan_with_lab(server.url(), lab, scan_options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    result = outcome.hostile
    assert result.error is None
    baseline = result.exchanges[0]
    assert baseline.response is not None
    assert baseline.response.body_bytes == BODY_CAP
    assert baseline.response.body_truncated
    assert ("Content-Encoding", "gzip") in baseline.response.headers
    assert any("compressed body (Content-Encoding: gzip)" in note for note in result.notes)
    assert "reflected-origin" in {finding.rule for finding in result.findings}
    # Inflating even once would allocate 64 MiB; the whole scan peaks near 1.5 MiB.
    assert peak < 16 << 20, peak
    check_common(outcome, scan_options)


def test_endless_chunked_body_is_capped(hostile: Factory, lab: DemoLab) -> None:
    server = hostile(endless_chunked)
    scan_options = options()

    outcome = scan_with_lab(server.url(), lab, scan_options)

    result = outcome.hostile
    assert result.error is None
    replies = [e.response for e in result.exchanges if e.response is not None]
    assert replies
    assert all(r.body_bytes == BODY_CAP and r.body_truncated for r in replies)
    assert "reflected-origin" in {finding.rule for finding in result.findings}
    check_common(outcome, scan_options)


# -- (g) TLS ---------------------------------------------------------------------------------


def test_untrusted_certificate_is_a_tls_error(
    hostile: Factory, lab: DemoLab, tls_context: object
) -> None:
    server = hostile(reflecting, tls=tls_context)
    scan_options = options()

    outcome = scan_with_lab(server.url(), lab, scan_options)

    message = assert_error(outcome.hostile, ErrorKind.TLS, "certificate verify failed")
    assert message.endswith("use --insecure to skip verification")
    check_common(outcome, scan_options)


def test_expired_certificate_is_a_tls_error_naming_expiry(
    hostile: Factory, lab: DemoLab, expired_tls_context: object, client_trusting: object
) -> None:
    # The client trusts the issuing CA, so the only thing wrong is the date.
    server = hostile(reflecting, tls=expired_tls_context)
    scan_options = options()
    transport = httpx.AsyncHTTPTransport(verify=client_trusting)  # type: ignore[arg-type]

    outcome = scan_with_lab(server.url(), lab, scan_options, transport=transport)

    assert_error(outcome.hostile, ErrorKind.TLS, "certificate has expired")
    check_common(outcome, scan_options)


def test_plain_http_on_a_tls_port_is_a_tls_error(hostile: Factory, lab: DemoLab) -> None:
    # What nginx does with a TLS ClientHello on a plain port: a 400 at the first bytes.
    server = hostile(
        answers_at_once(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    )
    scan_options = options()

    outcome = scan_with_lab(server.url(scheme="https"), lab, scan_options)

    assert_error(outcome.hostile, ErrorKind.TLS, "TLS handshake with 127.0.0.1", "plain HTTP")
    check_common(outcome, scan_options)


# -- (h) IPv6 --------------------------------------------------------------------------------


@pytest.mark.usefixtures("ipv6_loopback")
def test_ipv6_loopback_target_is_scanned(hostile: Factory, lab: DemoLab) -> None:
    server = hostile(reflecting, host="::1")
    scan_options = options()

    outcome = scan_with_lab(server.url(), lab, scan_options)

    result = outcome.hostile
    assert result.error is None
    assert "reflected-origin" in {finding.rule for finding in result.findings}
    assert result.target.origin == f"http://[::1]:{server.port}"
    assert server.connections == len(result.exchanges)
    check_common(outcome, scan_options)


# -- budgets ---------------------------------------------------------------------------------


def test_request_budget_skips_the_rest_with_a_note(hostile: Factory, lab: DemoLab) -> None:
    server = hostile(reflecting)
    scan_options = ScanOptions(
        engine=EngineOptions(retries=0, body_cap=BODY_CAP),
        max_requests_per_target=6,
        keep_exchanges=True,
    )

    outcome = scan_with_lab(server.url(), lab, scan_options)

    result = outcome.hostile
    assert result.error is None
    # Round 1 plans 8 probes (policy-free: baseline, 3 for the own origin, 4 attacker ones).
    assert len(result.exchanges) == 6
    assert server.connections == 6
    assert any(
        "2 planned probes were not sent: the request budget of 6 per target" in note
        for note in result.notes
    )
    # The normal target obeys the same budget and is still judged on what it got.
    assert len(outcome.normal.exchanges) == 6
    assert "reflected-origin" in {finding.rule for finding in outcome.normal.findings}


def test_waiting_behind_other_targets_does_not_count_against_the_deadline(lab: DemoLab) -> None:
    # Given four targets sharing a 20 requests/s budget: about 32 requests, so the scan needs
    # at least 1.5 s of wall time, while each target's deadline is 0.5 s. Each target spends
    # almost all of that time waiting for the rate limiter, behind the others.
    targets = [Target(lab.url("/reflect-credentials") + f"?n={n}") for n in range(4)]
    scan_options = ScanOptions(
        engine=EngineOptions(retries=0, rate=20.0, body_cap=BODY_CAP),
        target_deadline=0.5,
        keep_exchanges=True,
    )

    started = time.monotonic()
    results = scan(targets, None, scan_options)
    seconds = time.monotonic() - started

    requests = sum(result.requests for result in results)
    assert seconds >= (requests - 1) / 20.0 > 0.5
    for result in results:
        assert result.error is None, result.error
        assert "reflected-origin" in {finding.rule for finding in result.findings}


# -- option validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(
            lambda: ScanOptions(target_deadline=0),
            "--target-deadline must be a positive number of seconds (got 0)",
            id="target-deadline",
        ),
        pytest.param(
            lambda: ScanOptions(max_requests_per_target=0),
            "--max-requests-per-target must be at least 1 (got 0)",
            id="budget",
        ),
        pytest.param(
            lambda: ScanOptions(max_targets_in_flight=0),
            "targets in flight must be at least 1 (got 0)",
            id="targets-in-flight",
        ),
        pytest.param(
            lambda: EngineOptions(request_deadline=-1.0),
            "request deadline must be a positive number of seconds (got -1.0)",
            id="request-deadline",
        ),
    ],
)
def test_limits_reject_impossible_values(make: Callable[[], object], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        make()
    assert str(caught.value) == message


def test_defaults_bound_every_target() -> None:
    options_ = ScanOptions()
    assert options_.target_deadline == 60.0
    assert options_.max_requests_per_target == 200
    assert options_.engine.attempt_deadline == 3 * options_.engine.timeout
    assert EngineOptions(timeout=2.0, request_deadline=5.0).attempt_deadline == 5.0


def test_a_timeout_that_is_not_the_deadline_is_not_disguised(
    lab: DemoLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the target's own deadline becomes a "target deadline" error; any other TimeoutError
    # (a bug somewhere) propagates as it is.
    def broken(*args: object, **kwargs: object) -> None:
        raise TimeoutError("from a rule")

    monkeypatch.setattr(scan_module.rules, "evaluate", broken)

    with pytest.raises(TimeoutError, match="from a rule"):
        scan([Target(lab.url("/reflect-credentials"))], None, ScanOptions())


# -- one connection, many targets ------------------------------------------------------------

TRANSPORTS = [
    pytest.param(True, 1, id="aiohttp"),
    pytest.param(False, 1, id="httpx"),
    # Two equal Content-Length lines: aiohttp refuses every reply, each goes again through httpx.
    pytest.param(True, 2, id="aiohttp-refuses-then-httpx"),
]


@pytest.mark.parametrize(("fast", "lengths"), TRANSPORTS)
@pytest.mark.parametrize(
    ("extra", "rate"),
    [
        # The client leaves 100 ms between requests, so the connection is idle when the push
        # (20 ms after each reply) arrives.
        pytest.param("idle", 10.0, id="unsolicited-reply-on-an-idle-connection"),
        pytest.param("same-write", None, id="extra-reply-in-the-same-write"),
        pytest.param("head-body", None, id="head-reply-with-a-body"),
    ],
)
def test_every_exchange_is_judged_by_its_own_reply(
    hostile: Factory, extra: str, rate: float | None, fast: bool, lengths: int
) -> None:
    server = hostile(keep_alive_pairs(extra, lengths=lengths))
    # One connection at a time to the host, so both targets' requests take turns on it.
    engine = EngineOptions(
        timeout=2.0, retries=0, body_cap=BODY_CAP, per_host=1, rate=rate, fast_transport=fast
    )
    first = Target(server.url("/reflect"), method="HEAD" if extra == "head-body" else "GET")
    targets = [first, Target(server.url("/plain"))]

    reflecting_target, plain = scan(
        targets, None, ScanOptions(engine=engine, target_deadline=60.0, keep_exchanges=True)
    )

    for result in (reflecting_target, plain):
        assert result.error is None, result.error
        for exchange in result.exchanges:
            assert exchange.error is None, exchange.error
            assert exchange.response is not None
            headers = {name.lower(): value for name, value in exchange.response.headers}
            url = httpx.URL(exchange.request.url)
            asked = f"{exchange.request.method} {url.raw_path.decode('ascii')}"
            assert headers.get(REPLY_TO.lower()) == asked
    assert "reflected-origin" in {finding.rule for finding in reflecting_target.findings}
    assert "reflected-origin" not in {finding.rule for finding in plain.findings}
