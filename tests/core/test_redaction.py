"""The output-time redactor on its own: what it replaces, what it must leave, what it notes.

The end-to-end cases (a real scan of a loopback server, every output format) are in
tests/hostile/test_hostile_redaction.py and tests/test_secrets.py.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

from pydantic import BaseModel

from cors_audit.core.redaction import (
    REDACTED,
    Redactor,
    Secret,
    credential_parameters,
    parameter_warning,
    redact_url,
    run_secrets,
)

TOKEN = "S3CR3T-TOKEN-5b1f9c2e"


def test_every_form_of_a_secret_is_replaced() -> None:
    redactor = Redactor([Secret("the Authorization request header", f"Bearer {TOKEN}")])

    assert redactor.text(f"Bearer {TOKEN}") == REDACTED
    assert redactor.text(f"token={TOKEN}; x") == f"token={REDACTED}; x"
    assert redactor.text(quote(f"Bearer {TOKEN}", safe="")) == REDACTED
    encoded = base64.b64encode(TOKEN.encode()).decode().rstrip("=")
    assert redactor.text(f"X-Seen-{encoded}") == f"X-Seen-{REDACTED}"
    assert redactor.redacted == {0}
    assert redactor.kept == set()


def test_protocol_tokens_and_origins_are_never_rewritten() -> None:
    redactor = Redactor(
        [
            Secret("the X-Debug request header", "true"),
            Secret("the X-Tenant request header", "example"),
        ],
        protected=["https://app.example.com"],
    )

    assert redactor.text("true") == "true"
    assert redactor.text("https://app.example.com") == "https://app.example.com"
    assert redactor.text("HTTPS://APP.EXAMPLE.COM") == "HTTPS://APP.EXAMPLE.COM"
    # Outside a protected string the same value is a secret echoed back.
    assert redactor.text("tenant=example") == f"tenant={REDACTED}"
    assert redactor.kept == {0, 1}
    assert redactor.redacted == {1}
    notes = redactor.notes()
    assert any("X-Debug" in n and "left as received" in n for n in notes)
    assert any("X-Tenant" in n and "left as received" in n for n in notes)
    assert any("X-Tenant" in n and REDACTED in n for n in notes)
    assert all("example" not in n and "true" not in n.replace("'true'", "") for n in notes)


def test_a_longer_secret_containing_a_protocol_token_is_still_replaced() -> None:
    redactor = Redactor([Secret("the cookie", "sid=true-but-secret-42")])

    assert redactor.text("echo: sid=true-but-secret-42") == f"echo: {REDACTED}"
    assert redactor.text("true") == "true"


def test_models_are_walked_and_structure_fields_left_alone() -> None:
    class Header(BaseModel):
        name: str
        value: str

    class Evidence(BaseModel):
        kind: str
        headers: list[Header]
        count: int

    shared = Header(name="Server", value="nginx")
    model = Evidence(
        kind=TOKEN,  # a structural field: never rewritten
        headers=[Header(name=f"X-{TOKEN}", value=TOKEN), shared],
        count=3,
    )
    redactor = Redactor([Secret("the X-Api-Key request header", TOKEN)])

    redacted = redactor.model(model)

    assert redacted.kind == TOKEN
    assert redacted.headers[0] == Header(name=f"X-{REDACTED}", value=REDACTED)
    assert redacted.headers[1] is shared  # unchanged sub-models stay shared
    assert Redactor([]).model(model) is model


def test_credential_query_parameters() -> None:
    url = "https://api.example.com/v1?page=2&api_key=K1&Access-Token=T2&sig=&signature=S3"

    assert credential_parameters(url) == [
        ("api_key", "K1"),
        ("Access-Token", "T2"),
        ("signature", "S3"),
    ]
    assert redact_url(url) == (
        f"https://api.example.com/v1?page=2&api_key={REDACTED}&Access-Token={REDACTED}"
        f"&sig=&signature={REDACTED}"
    )
    assert redact_url("curl -X GET 'https://h/?token=ab&x=1'") == (
        f"curl -X GET 'https://h/?token={REDACTED}&x=1'"
    )
    assert redact_url("https://alice:pw@h/") == f"https://{REDACTED}@h/"
    warning = parameter_warning([url, "https://h/"])
    assert warning is not None
    assert "1 target URL(s)" in warning
    assert "api_key" in warning
    assert "K1" not in warning
    assert parameter_warning(["https://h/?page=1"]) is None
    # Short values are caught by the parameter pattern, longer ones also as plain secrets.
    secrets = run_secrets([("X-A", "v1"), ("X-B", " ")], "c=1", [url, url])
    assert [s.source for s in secrets] == [
        "the X-A request header",
        "the cookie",
        "the api_key query parameter",
        "the Access-Token query parameter",
        "the signature query parameter",
    ]
    redactor = Redactor(secrets, url_parameters=True)
    assert redactor.text(f"moved to {url}") == f"moved to {redact_url(url)}"
