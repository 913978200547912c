"""Issue 7 acceptance: a realistic OpenAPI 3.1 document and a HAR are imported through the CLI
and their targets scanned on a loopback server; the --dry-run plan matches, request for
request, what the server then receives."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from support.cli import assert_clean, invoke

from cors_audit.demo.lab import DemoLab, Endpoint, Reply, RequestView
from cors_audit.inputs.sources.openapi import load_openapi

pytestmark = pytest.mark.usefixtures("cli_isolated", "scan_in_worker_thread")

ASSETS = Path(__file__).parents[1] / "assets" / "inventory"
SPEC = ASSETS / "shop-api-3.1.yaml"
APP = "https://app.acme-shop.example"
LABEL = "shoplabel1"
POLICY = (
    f'trusted_origins = ["{APP}"]\nallow_credentials = true\n'
    'allowed_methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]\n'
    'allowed_headers = ["Content-Type", "Authorization", "Idempotency-Key", "X-Admin-Key", '
    '"X-Api-Key", "X-Request-Id", "X-Tenant"]\nmax_age = { min = 600 }\n'
)


class Recorder:
    """A correct allowlist on every path: the trusted origin (and only it) gets CORS headers;
    preflights grant whatever headers the trusted page asks for."""

    def __init__(self) -> None:
        self.seen: list[RequestView] = []

    def __call__(self, request: RequestView) -> Reply:
        self.seen.append(request)
        lines: list[tuple[str, str]] = [("Vary", "Origin")]
        if request.origin == APP:
            lines += [("Access-Control-Allow-Origin", APP),
                      ("Access-Control-Allow-Credentials", "true")]  # fmt: skip
            if request.method == "OPTIONS":
                # Grant what the trusted page asks for, except cors-audit's made-up probe header
                # (x-<label>): a server that echoes every request header would be flagged.
                asked = ", ".join(
                    name.strip()
                    for line in request.get_all("Access-Control-Request-Headers")
                    for name in line.split(",")
                    if name.strip() != f"x-{LABEL}"
                )
                lines += [("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE"),
                          ("Access-Control-Allow-Headers", asked or "content-type"),
                          ("Access-Control-Max-Age", "600")]  # fmt: skip
        if request.method == "OPTIONS":
            return Reply(204, tuple(lines))
        return Reply(200, (("Content-Type", "application/json"), *lines), b"{}")


@pytest.fixture
def shop() -> Iterator[tuple[DemoLab, Recorder]]:
    recorder = Recorder()
    # One lab endpoint per path of the document (same answer for every method).
    paths = sorted(
        {urlsplit(t.url).path for t in load_openapi(SPEC, "http://127.0.0.1:9/v2").targets}
    )
    endpoints = [Endpoint(path, path, "GET", frozenset(), recorder) for path in paths]
    with DemoLab(endpoints=endpoints) as lab:
        yield lab, recorder


def key(method: str, url_or_path: str, headers: dict[str, str]) -> tuple[str, ...]:
    return (
        method,
        urlsplit(url_or_path).path or url_or_path,
        headers.get("origin", ""),
        headers.get("access-control-request-method", ""),
        headers.get("access-control-request-headers", ""),
        headers.get("access-control-request-private-network", ""),
    )


def planned(plan: dict[str, object], rounds: tuple[int, ...]) -> Counter[tuple[str, ...]]:
    """The planned requests of these rounds, without the arbitrary origin's private-network
    preflight: a correct allowlist refuses that origin's preflight, so it is never sent."""
    # The lab hands HEAD to its handlers as GET (and sends no body), like most servers.
    return Counter(
        key(
            "GET" if r["method"] == "HEAD" else r["method"],
            r["url"],
            {n.lower(): v for n, v in r["headers"]},
        )
        for t in plan["targets"]  # type: ignore[attr-defined]
        for r in t["requests"]
        if r["round"] in rounds and r["kind"] != "private-network-preflight"
    )


def received(seen: list[RequestView]) -> Counter[tuple[str, ...]]:
    return Counter(key(r.method, r.path, {n.lower(): v for n, v in r.headers}) for r in seen)


def test_openapi_import_dry_run_matches_the_scan(shop: tuple[DemoLab, Recorder]) -> None:
    lab, recorder = shop
    Path("p.toml").write_text(POLICY, encoding="utf-8")
    args = ["--policy", "p.toml", "--openapi", str(SPEC), "--base-url", lab.url("/v2"),
            "--label", LABEL, "--site-origin", "https://api.acme-shop.example"]  # fmt: skip
    result = invoke("scan", *args, "--dry-run", "--json", "plan.json", "-q")
    assert_clean(result)
    assert result.exit_code == 0, result.output
    assert recorder.seen == []
    plan = json.loads(Path("plan.json").read_text(encoding="utf-8"))
    assert len(plan["targets"]) >= 20
    # The operations' declared headers reach the policy preflight.
    acrh = {
        {n.lower(): v for n, v in r["headers"]}.get("access-control-request-headers", "")
        for t in plan["targets"]
        for r in t["requests"]
    }
    assert any("x-api-key" in value for value in acrh)

    result = invoke("scan", *args, "--json", "r.json", "-q")
    assert_clean(result)
    assert result.exit_code == 0, result.output
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    assert report["findings"] == []
    assert len(report["targets"]) == len(plan["targets"])
    # A correct allowlist lets no bypass origin through: rounds 1 and 2 are sent, exactly.
    assert received(recorder.seen) == planned(plan, (1, 2))


def test_har_import_scans_cross_origin_requests_and_lists_origin_candidates(
    shop: tuple[DemoLab, Recorder],
) -> None:
    lab, recorder = shop
    target = lab.url("/v2/users")
    har = {
        "log": {
            "version": "1.2",
            "creator": {"name": "test", "version": "1"},
            "pages": [
                {
                    "id": "p1",
                    "title": APP + "/",
                    "startedDateTime": "2024-05-14T09:00:00Z",
                    "pageTimings": {},
                }
            ],
            "entries": [
                {
                    "pageref": "p1",
                    "startedDateTime": "2024-05-14T09:00:01Z",
                    "time": 1,
                    "request": {
                        "method": "GET",
                        "url": target + "?limit=20",
                        "httpVersion": "HTTP/1.1",
                        "headers": [
                            {"name": "Origin", "value": APP},
                            {"name": "Authorization", "value": "Bearer har-s3cr3t"},
                        ],
                        "queryString": [],
                        "cookies": [],
                        "headersSize": -1,
                        "bodySize": 0,
                    },
                    "response": {
                        "status": 200,
                        "statusText": "OK",
                        "httpVersion": "HTTP/1.1",
                        "headers": [],
                        "cookies": [],
                        "redirectURL": "",
                        "content": {"size": 0, "mimeType": "application/json"},
                        "headersSize": -1,
                        "bodySize": 0,
                    },
                    "cache": {},
                    "timings": {"send": 0, "wait": 1, "receive": 0},
                }
            ],
        }
    }
    Path("d.har").write_text(json.dumps(har), encoding="utf-8")
    Path("p.toml").write_text(POLICY, encoding="utf-8")
    result = invoke("scan", "--policy", "p.toml", "--har", "d.har", "--json", "r.json", "-q")
    assert_clean(result)
    assert result.exit_code == 0, result.output
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    assert [t["url"] for t in report["targets"]] == [target + "?limit=20"]
    assert any(APP in note and "candidates" in note for note in report["notes"])
    # Without --har-credentials the recorded token is never sent …
    assert not any(r.get_all("Authorization") for r in recorder.seen)
    # … with it, it is (on actual requests only), and never written anywhere
    recorder.seen.clear()
    result = invoke(
        "scan", "--policy", "p.toml", "--har", "d.har", "--har-credentials", "--json", "r.json"
    )
    assert result.exit_code == 0, result.output
    sent = [r for r in recorder.seen if r.get_all("Authorization")]
    assert sent
    assert all(r.method != "OPTIONS" for r in sent)
    assert "har-s3cr3t" not in Path("r.json").read_text(encoding="utf-8") + result.output
