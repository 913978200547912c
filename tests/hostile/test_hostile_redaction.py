"""Redaction never changes a verdict, and secrets stay out of every output.

The replies are judged as received; secrets are redacted only when the outputs are written, and
never where the value is what the verdict used (``true``, an origin, a CORS header name). Each
case runs ``cors-audit scan`` through the command line against a loopback server
(127.0.0.1, port 0) and reads every output format.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from support.cli import assert_clean, invoke
from support.hostile_servers import RawServer, cors_lines, read_head, request_origin, request_path
from typer.testing import Result

from cors_audit.formats import ReportFormat
from cors_audit.inputs.targets import normalize_url

pytestmark = pytest.mark.usefixtures("cli_isolated", "scan_in_worker_thread")

FORMATS = tuple(fmt.value for fmt in ReportFormat)  # every registered format
TOKEN = "S3CR3T-NAME-7c1e55aa"
URL_KEY = "S3CR3T-URLKEY-91ab3f0c"


def replying(extra: Callable[[bytes], bytes], heads: list[bytes]) -> Callable[..., None]:
    """A behaviour answering every request with ``lines(head)`` plus ``extra(head)``; the
    request heads are kept in ``heads``."""

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        head = read_head(conn)
        if head is None:
            return
        heads.append(head)
        body = b'{"user":"alice"}'
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + extra(head)
            + b"Content-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )

    return behaviour


@pytest.fixture
def heads() -> list[bytes]:
    return []


@pytest.fixture
def serve(
    hostile: Callable[..., RawServer],
) -> Callable[[Callable[[bytes], bytes], list[bytes]], RawServer]:
    """`hostile` with a `replying` behaviour: closed and checked at teardown."""
    return lambda extra, heads: hostile(replying(extra, heads))


def scan(url: str, *args: str) -> tuple[Result, dict[str, str]]:
    outputs: list[str] = []
    for fmt in FORMATS:
        outputs += [f"--{fmt}", str(Path.cwd() / f"report.{fmt}")]
    result = invoke("scan", url, *args, *outputs, "--verbose", "--retries", "0")
    assert_clean(result)
    texts = {fmt: (Path.cwd() / f"report.{fmt}").read_text("utf-8") for fmt in FORMATS}
    texts["stdout"] = result.stdout
    texts["stderr"] = result.stderr
    return result, texts


def response_headers(report: dict[str, object]) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for finding in report["findings"]:  # type: ignore[attr-defined]
        for evidence in finding["evidence"]:
            if evidence["response"] is not None:
                lines += [(h["name"], h["value"]) for h in evidence["response"]["headers"]]
    return lines


def test_a_header_value_equal_to_true_does_not_hide_credentials(
    serve: Callable[..., RawServer], heads: list[bytes]
) -> None:
    # Given a server reflecting every origin with credentials, scanned with -H 'X-Debug: true'
    server = serve(cors_lines, heads)

    result, texts = scan(server.url(), "-H", "X-Debug: true", "--fail-on", "high")

    # Then the verdict is the one the replies deserve: critical, and the gate fails
    assert any(b"X-Debug: true" in head for head in heads)
    report = json.loads(texts["json"])
    assert result.exit_code == 1, result.output
    severities = {f["rule"]: f["severity"] for f in report["findings"]}
    assert severities["reflected-origin"] == "critical"
    assert ("Access-Control-Allow-Credentials", "true") in response_headers(report)
    assert "<redacted>" not in json.dumps(response_headers(report))
    # And the report says why the value was left as received
    assert any("X-Debug" in note and "left as received" in note for note in report["notes"])


def test_a_header_value_inside_a_trusted_origin_does_not_change_the_verdict(
    serve: Callable[..., RawServer], heads: list[bytes]
) -> None:
    # Given a correct allowlist: only https://app.example.com, with credentials
    app = "https://app.example.com"

    def allowlist(head: bytes) -> bytes:
        if request_origin(head) != app:
            return b"Vary: Origin\r\n"
        return f"Vary: Origin\r\nAccess-Control-Allow-Origin: {app}\r\n".encode() + (
            b"Access-Control-Allow-Credentials: true\r\n"
        )

    server = serve(allowlist, heads)
    Path("policy.toml").write_text(
        f'trusted_origins = ["{app}"]\nallow_credentials = true\n', encoding="utf-8"
    )
    common = ("--policy", "policy.toml", "--fail-on", "low")

    # When it is scanned without and with -H 'X-Tenant: example'
    _, plain = scan(server.url(), *common)
    result, texts = scan(server.url(), "-H", "X-Tenant: example", *common)

    # Then both scans see the trusted origin allowed and judge alike
    assert any(b"X-Tenant: example" in head for head in heads)
    before, after = json.loads(plain["json"]), json.loads(texts["json"])
    assert after["targets"][0]["observed"] == before["targets"][0]["observed"]
    assert app in after["targets"][0]["observed"]["credentialed_origins"]
    assert sorted(f["rule"] for f in after["findings"]) == sorted(
        f["rule"] for f in before["findings"]
    )
    assert after["gate"]["exit_code"] == before["gate"]["exit_code"] == result.exit_code
    for name, text in texts.items():
        assert "app.<redacted>" not in text, name
    assert any("X-Tenant" in note for note in after["notes"])


def test_a_secret_echoed_in_a_header_name_is_redacted_everywhere(
    serve: Callable[..., RawServer], heads: list[bytes]
) -> None:
    # Given a debugging server that echoes the bearer token as a response header *name*
    def echo_name(head: bytes) -> bytes:
        extra = cors_lines(head)
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"authorization":
                token = value.strip().split(b" ")[-1]
                extra += b"X-Seen-" + token + b": 1\r\n"
        return extra

    server = serve(echo_name, heads)

    result, texts = scan(server.url(), "-H", f"Authorization: Bearer {TOKEN}", "--fail-on", "never")

    # Then the token went out, and no output holds it; the JSON shows the redacted name
    assert result.exit_code == 0, result.output
    assert any(TOKEN.encode() in head for head in heads)
    for name, text in texts.items():
        assert TOKEN not in text, name
    assert ("X-Seen-<redacted>", "1") in response_headers(json.loads(texts["json"]))


def test_credential_query_parameters_are_sent_but_redacted_in_every_output(
    serve: Callable[..., RawServer], heads: list[bytes]
) -> None:
    server = serve(cors_lines, heads)
    url = server.url(f"/api?api_key={URL_KEY}&page=2&sig=x1")

    result, texts = scan(url, "--fail-on", "never")

    # The request went out with the parameters as given
    assert result.exit_code == 0, result.output
    assert {request_path(head) for head in heads} == {f"/api?api_key={URL_KEY}&page=2&sig=x1"}
    # A warning at start names the parameters, never their values
    assert "warning" in texts["stderr"]
    assert "api_key" in texts["stderr"]
    assert "sig" in texts["stderr"]
    for name, text in texts.items():
        assert URL_KEY not in text, name
        assert "sig=x1" not in text, name
    report = json.loads(texts["json"])
    assert report["targets"][0]["url"].endswith("/api?api_key=<redacted>&page=2&sig=<redacted>")
    assert report["findings"]
    assert all("api_key=<redacted>" in finding["curl"] for finding in report["findings"])
    assert any("api_key" in note for note in report["notes"])


@pytest.mark.parametrize(
    "raw",
    [
        "https://alice:hunter2-pass@api.example.com/",
        "https://alice:hunter2-pass@api.example.com/ x",
        "https://alice:hunter2-pass@api.example.com:99999/",
    ],
)
def test_a_url_with_a_password_is_refused_without_printing_it(raw: str) -> None:
    with pytest.raises(Exception) as caught:
        normalize_url(raw)
    assert "hunter2-pass" not in str(caught.value)

    result = invoke("scan", raw)

    assert result.exit_code == 2
    assert "hunter2-pass" not in result.output
    assert "hunter2-pass" not in result.stderr


def test_dry_run_shows_credential_query_parameters_redacted() -> None:
    url = f"http://127.0.0.1:9/api?api_key={URL_KEY}"

    result = invoke("scan", url, "--dry-run", "--json", "plan.json")

    assert_clean(result)
    assert result.exit_code == 0, result.output
    plan = Path("plan.json").read_text("utf-8")
    for text in (result.stdout, result.stderr, plan):
        assert URL_KEY not in text
    assert "api_key=<redacted>" in result.stdout
    assert "api_key=<redacted>" in plan
