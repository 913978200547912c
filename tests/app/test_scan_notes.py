"""Target notes about the replies as a whole (issue 14): every reply an error status."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from cors_audit.app.scan import ScanOptions, _error_status_note, scan
from cors_audit.core.models import (
    ErrorKind,
    Exchange,
    Probe,
    ProbeKind,
    RequestRecord,
    ResponseRecord,
    ScanError,
    Target,
)
from cors_audit.sending.engine import EngineOptions

URL = "http://127.0.0.1:9/api/items"


def exchange(status: int | None) -> Exchange:
    """A baseline exchange answered with ``status`` (``None``: no reply)."""
    probe = Probe(ProbeKind.ACTUAL, URL, None, "GET", "GET", purpose="baseline")
    return Exchange(
        probe=probe,
        request=RequestRecord("GET", URL, ()),
        response=None
        if status is None
        else ResponseRecord(status=status, reason="", http_version="HTTP/1.1", headers=()),
        error=ScanError(ErrorKind.TIMEOUT, "timed out") if status is None else None,
    )


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        pytest.param([404, 404], "Every reply was 404: is this the right URL", id="all-404"),
        pytest.param([405], "Every reply was 405: is this the right URL", id="all-405"),
        pytest.param([503, 503], "Every reply was 503: ", id="all-503"),
        pytest.param(
            [405, 404, 404],
            "Every reply was an error status (404, 405): is this the right URL",
            id="mixed-404-405",
        ),
        pytest.param(
            [404, 502, 500], "Every reply was an error status (404, 500, 502): ", id="mixed-5xx"
        ),
        pytest.param([404, None], "Every reply was 404: ", id="no-reply-is-not-a-status"),
        pytest.param([404, 200], None, id="one-success"),
        pytest.param([404, 403], None, id="forbidden-is-an-answer"),
        pytest.param([401], None, id="unauthorized-is-an-answer"),
        pytest.param([204, 200], None, id="fine"),
        pytest.param([None], None, id="no-reply-at-all"),
        pytest.param([], None, id="nothing"),
    ],
)
def test_error_status_note(statuses: list[int | None], expected: str | None) -> None:
    note = _error_status_note([exchange(s) for s in statuses])
    if expected is None:
        assert note is None
    else:
        assert note is not None
        assert note.startswith(expected)


def scan_with(handler: Callable[[httpx.Request], httpx.Response]) -> tuple[list[str], int]:
    options = ScanOptions(engine=EngineOptions(retries=0), keep_exchanges=True)
    (result,) = scan([Target(url=URL)], None, options, transport=httpx.MockTransport(handler))
    assert result.error is None
    return list(result.notes), result.requests


def test_a_scan_of_a_wrong_url_says_so() -> None:
    # Given a server that answers 404 to everything (the path is wrong), with CORS headers
    def not_found(request: httpx.Request) -> httpx.Response:
        origin = request.headers.get("Origin")
        headers = {"Access-Control-Allow-Origin": origin} if origin else {}
        return httpx.Response(404, headers=headers)

    # When it is scanned
    notes, requests = scan_with(not_found)

    # Then a note asks whether the URL is right
    assert requests > 1
    assert [n for n in notes if n.startswith("Every reply was 404: is this the right URL")]


def test_a_scan_of_a_working_url_has_no_such_note() -> None:
    def ok(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404 if request.method == "OPTIONS" else 200)

    notes, _ = scan_with(ok)
    assert not [n for n in notes if n.startswith("Every reply was")]
