"""The whole-scan request budget (--max-requests) and the anonymous re-send that tells whether
a credentialed exposure carries per-user data, end to end on loopback servers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.cli import assert_clean, invoke

from cors_audit.demo.lab import DemoLab, Endpoint, Reply, RequestView

pytestmark = pytest.mark.usefixtures("cli_isolated", "scan_in_worker_thread")


def reflecting(seen: list[RequestView], *, per_user: bool) -> Callable[[RequestView], Reply]:
    def handler(request: RequestView) -> Reply:
        seen.append(request)
        lines: list[tuple[str, str]] = [("Vary", "Origin")]
        if request.origin is not None:
            lines += [("Access-Control-Allow-Origin", request.origin),
                      ("Access-Control-Allow-Credentials", "true")]  # fmt: skip
        body = b"{}"
        if per_user and request.get_all("Cookie"):
            body = b'{"user": "alice", "email": "alice@example.com"}'
        return Reply(200, (("Content-Type", "application/json"), *lines), body)

    return handler


@pytest.fixture
def lab() -> Iterator[tuple[DemoLab, list[RequestView]]]:
    seen: list[RequestView] = []
    endpoints = [
        Endpoint("/me", "per-user", "GET", frozenset(), reflecting(seen, per_user=True)),
        Endpoint("/static", "same", "GET", frozenset(), reflecting(seen, per_user=False)),
        Endpoint("/third", "same", "GET", frozenset(), reflecting(seen, per_user=False)),
    ]
    with DemoLab(endpoints=endpoints) as running:
        yield running, seen


def report() -> dict[str, object]:
    data: dict[str, object] = json.loads(Path("r.json").read_text(encoding="utf-8"))
    return data


def test_credentialed_exposure_is_compared_with_an_anonymous_reply(
    lab: tuple[DemoLab, list[RequestView]],
) -> None:
    server, seen = lab
    result = invoke(
        "scan", server.url("/me"), server.url("/static"), "--cookie", "session=s3cr3t",
        "--json", "r.json", "-q",
    )  # fmt: skip
    assert_clean(result)
    assert result.exit_code == 1
    findings = {
        f["url"]: f
        for f in report()["findings"]  # type: ignore[attr-defined]
        if f["rule"] == "reflected-origin"
    }
    me = findings[server.url("/me")]
    assert me["rule"] == "reflected-origin"
    assert me["exploitability"]["per_user"] is True
    assert "carries their data" in me["detail"]
    assert me["evidence"][-1]["purpose"] == "anonymous"
    assert not any(h["name"].lower() == "cookie" for h in me["evidence"][-1]["request"]["headers"])
    assert findings[server.url("/static")]["exploitability"]["per_user"] is False
    # The anonymous copies really went out without the cookie
    anonymous = [r for r in seen if r.origin and not r.get_all("Cookie") and r.method == "GET"]
    assert anonymous


def test_without_credentials_nothing_is_re_sent(lab: tuple[DemoLab, list[RequestView]]) -> None:
    server, _ = lab
    invoke("scan", server.url("/me"), "--json", "r.json", "-q")
    finding = next(
        f
        for f in report()["findings"]  # type: ignore[attr-defined]
        if f["rule"] == "reflected-origin"
    )
    assert finding["exploitability"]["per_user"] is None
    assert all(e["purpose"] != "anonymous" for e in finding["evidence"])


def test_max_requests_bounds_the_whole_scan(lab: tuple[DemoLab, list[RequestView]]) -> None:
    server, seen = lab
    urls = [server.url(p) for p in ("/me", "/static", "/third")]
    result = invoke("scan", *urls, "--max-requests", "12", "--json", "r.json", "-q")
    assert_clean(result)
    assert len(seen) <= 12
    data = report()
    assert data["summary"]["requests"] <= 12  # type: ignore[index]
    not_scanned = [t for t in data["targets"] if t["error"]]  # type: ignore[attr-defined]
    assert not_scanned
    assert "request budget (--max-requests) was used up" in not_scanned[0]["error"]["message"]
    assert result.exit_code in (1, 3)
    bad = invoke("scan", urls[0], "--max-requests", "0")
    assert bad.exit_code == 2
    assert "--max-requests must be at least 1" in bad.stderr
