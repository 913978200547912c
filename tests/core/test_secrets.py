"""Secrets never leak: not into a report file, not to the terminal, not as a reproduction step.

``cors-audit scan`` runs through the command line (typer's runner, the real scan on a worker
thread) against a loopback server that reflects origins with credentials, so findings carry
credentialed evidence and curl commands. Credentials come from ``-H``/``--cookie`` or from the
``CORS_AUDIT_HEADER``/``CORS_AUDIT_COOKIE`` environment variables; one endpoint even echoes them
back in response header values and names, as debugging endpoints do. Every output format is
written with ``--verbose``, and every file, stdout and stderr are searched for the secrets in
every form a leak could take (raw, URL-encoded, base64).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from support.cli import assert_clean, invoke
from typer.testing import Result

from cors_audit.demo.lab import DemoLab, Endpoint, Reply, RequestView

pytestmark = pytest.mark.usefixtures("cli_isolated", "scan_in_worker_thread")

TOKEN = "S3CR3T-TOKEN-5b1f9c2e"
COOKIE_VALUE = "S3CR3T-COOKIE-a74d03f8"
API_KEY = "S3CR3T-APIKEY-0c6e2d91"
AUTHORIZATION = f"Bearer {TOKEN}"
COOKIE = f"session={COOKIE_VALUE}"
FORMATS = ("json", "html", "sarif", "junit", "markdown")


def leak_forms(*secrets: str) -> set[str]:
    """Each secret raw, URL-encoded and base64-encoded (padded or not, standard or URL-safe)."""
    forms: set[str] = set()
    for secret in secrets:
        raw = secret.encode()
        for text in (
            secret,
            quote(secret, safe=""),
            quote_plus(secret),
            base64.b64encode(raw).decode(),
            base64.urlsafe_b64encode(raw).decode(),
        ):
            forms.add(text)
            forms.add(text.rstrip("="))
    return forms


SECRET_FORMS = leak_forms(TOKEN, COOKIE_VALUE, API_KEY, AUTHORIZATION, COOKIE)


def reflect(received: list[RequestView], *, echo: bool) -> Endpoint:
    def handler(request: RequestView) -> Reply:
        received.append(request)
        lines: list[tuple[str, str]] = [("Access-Control-Allow-Credentials", "true")]
        if request.origin is not None:
            lines.append(("Access-Control-Allow-Origin", request.origin))
        if echo:  # a debugging endpoint showing what it got
            for name in ("Authorization", "X-Api-Key", "Cookie"):
                value = request.get(name)
                if value is not None:
                    lines.append((f"X-Echo-{name}", value))
                    lines.append((f"X-Echo-{name}-B64", base64.b64encode(value.encode()).decode()))
                    lines.append(("Location", "/login?next=" + quote(value, safe="")))
                    # ... and as a header *name* (the token of "Bearer …", the cookie's value)
                    token = value.replace("=", " ").split(" ")[-1]
                    lines.append((f"X-Seen-{token}", "1"))
        if request.method == "OPTIONS":
            return Reply(204, (*lines, ("Access-Control-Allow-Methods", "GET")))
        return Reply(200, (("Content-Type", "application/json"), *lines), b'{"user":"alice"}')

    path = "/echo" if echo else "/api/me"
    return Endpoint(path, path, "GET", frozenset(), handler)


@pytest.fixture
def server() -> Iterator[tuple[DemoLab, list[RequestView]]]:
    received: list[RequestView] = []
    with DemoLab(endpoints=(reflect(received, echo=False), reflect(received, echo=True))) as lab:
        yield lab, received
        assert lab.errors == ()


def scan_all_formats(lab: DemoLab, *args: str, env: dict[str, str] | None = None) -> Result:
    outputs: list[str] = []
    for fmt in FORMATS:
        outputs += [f"--{fmt}", str(Path.cwd() / f"report.{fmt}")]
    result = invoke(
        "scan",
        lab.url("/api/me"),
        lab.url("/echo"),
        *args,
        *outputs,
        "--verbose",
        "--fail-on",
        "never",
        env=env,
    )
    assert_clean(result)
    assert result.exit_code == 0, result.output
    return result


def assert_nothing_leaks(result: Result) -> dict[str, str]:
    texts = {f"report.{fmt}": (Path.cwd() / f"report.{fmt}").read_text("utf-8") for fmt in FORMATS}
    texts["stdout"] = result.stdout
    texts["stderr"] = result.stderr
    for name, text in texts.items():
        assert text or name == "stderr", f"{name} is empty"
        for form in SECRET_FORMS:
            assert form not in text, f"{form!r} leaked into {name}"
    return texts


def assert_credentials_were_sent(
    received: list[RequestView], header: tuple[str, str] = ("Authorization", AUTHORIZATION)
) -> None:
    name, value = header
    actual = [request for request in received if request.method != "OPTIONS"]
    # A credentialed finding's proof is re-sent once without credentials (per-user evidence).
    anonymous = [r for r in actual if r.get(name) is None and r.get("Cookie") is None]
    actual = [r for r in actual if r not in anonymous]
    assert actual
    assert len(anonymous) < len(actual)
    assert all(request.get(name) == value for request in actual)
    assert all(request.get("Cookie") == COOKIE for request in actual)
    for preflight in (r for r in received if r.method == "OPTIONS"):
        assert preflight.get("Cookie") is None
        assert preflight.get(name) is None


def assert_curl_references_variables(texts: dict[str, str]) -> None:
    report = json.loads(texts["report.json"])
    credentialed = [finding for finding in report["findings"] if finding["credentialed"]]
    assert credentialed
    for finding in credentialed:
        assert '-H "Cookie: $CORS_AUDIT_COOKIE" -H "$CORS_AUDIT_HEADER"' in finding["curl"]
    assert "$CORS_AUDIT_COOKIE" in texts["stdout"]  # --verbose prints the commands
    assert "$CORS_AUDIT_HEADER" in texts["report.html"]
    # The echoing endpoint's evidence shows the redaction, not the value, in names too.
    assert "<redacted>" in texts["report.json"]
    assert '"name": "X-Seen-<redacted>"' in texts["report.json"]
    # ... and the report says the replies echoed a secret (never which value).
    assert any("request header" in note and "echoed" in note for note in report["notes"])


def test_secrets_from_the_command_line_never_reach_the_output(
    server: tuple[DemoLab, list[RequestView]],
) -> None:
    lab, received = server

    result = scan_all_formats(lab, "-H", f"Authorization: {AUTHORIZATION}", "--cookie", COOKIE)

    assert_credentials_were_sent(received)
    texts = assert_nothing_leaks(result)
    assert_curl_references_variables(texts)


def test_secrets_from_the_environment_never_reach_the_output(
    server: tuple[DemoLab, list[RequestView]],
) -> None:
    lab, received = server
    env = {
        "CORS_AUDIT_HEADER": f"Authorization: {AUTHORIZATION}\nX-Api-Key: {API_KEY}",
        "CORS_AUDIT_COOKIE": COOKIE,
    }

    result = scan_all_formats(lab, env=env)

    assert_credentials_were_sent(received)
    assert_credentials_were_sent(received, ("X-Api-Key", API_KEY))
    texts = assert_nothing_leaks(result)
    assert_curl_references_variables(texts)
