"""Output injection: hostile bytes from a real server, through a real scan, into every format.

A raw loopback server (it writes its bytes itself, so nothing tidies them) answers with header
values, a reason phrase and a ``Location`` carrying markup (``<script>``, ``</textarea>``, a
quote that would close an attribute, ``]]>``), terminal escapes (OSC 8 hyperlink, clear
screen, BEL, C1 CSI through obs-text bytes, NEL), an obs-folded header and, on another target,
a NUL that h11 refuses, so it reaches the report through the error message. The scan's report
is rendered as JSON, HTML, SARIF, JUnit and Markdown (``formats.render``) and as the terminal
summary (``console.render``), and each output is checked with a parser for its own format.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from cors_audit.app.scan import ScanOptions, scan
from cors_audit.core.models import Target
from cors_audit.formats import ReportFormat, console, render
from cors_audit.formats import html as html_format
from cors_audit.inputs.policy import resolved_dict
from cors_audit.report.build import build_report
from cors_audit.report.model import Report
from cors_audit.sending.engine import EngineOptions

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '" onmouseover="alert(2)" x="'
OSC8 = "\x1b]8;;http://evil\x07click\x1b]8;;\x07"
CLEAR = "\x1b[2J"
PAYLOAD = f"{SCRIPT}</textarea>{ATTRIBUTE}]]>{OSC8}{CLEAR}\x07"
C1 = b"\x9b2J\x9d0;title\x9c\x85"
"""CSI, OSC, ST and NEL as obs-text bytes (latin-1: the C1 control characters)."""

CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
"""Every C0 and C1 control character but LF."""
JSON_RAW = re.compile("[\x00-\x09\x0b-\x1f]")
"""What JSON must escape inside strings (RFC 8259 §7); C1 and DEL may stay raw."""
CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def payload_bytes(extra: str = "") -> bytes:
    return (PAYLOAD + extra).encode("latin-1") + C1


def origin_of(head: bytes) -> bytes:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"origin":
            return value.strip()
    return b""


def reply(head: bytes) -> bytes:
    path = head.split(b" ", 2)[1]
    if path.startswith(b"/nul"):
        return (
            b"HTTP/1.1 200 OK\r\nX-Nul: a\x00" + payload_bytes() + b"\r\nContent-Length: 0\r\n\r\n"
        )
    lines = [
        b"HTTP/1.1 200 " + payload_bytes(),
        b"Content-Type: application/json",
        b"X-Payload: " + payload_bytes(),
        b"X-Folded: first",
        b"  " + payload_bytes("folded"),
        b"Access-Control-Expose-Headers: " + payload_bytes(),
        b"Access-Control-Allow-Methods: " + payload_bytes(),
        b"Vary: " + payload_bytes(),
    ]
    if path.startswith(b"/static"):
        # A fixed, invalid ACAO: the finding's detail quotes it.
        lines.append(b"Access-Control-Allow-Origin: " + payload_bytes())
    else:
        lines.append(b"Access-Control-Allow-Origin: " + origin_of(head))
        lines.append(b"Access-Control-Allow-Credentials: true")
    if path.startswith(b"/redirect"):
        lines[0] = b"HTTP/1.1 302 " + payload_bytes()
        lines.append(b"Location: /next?" + payload_bytes().replace(b" ", b"%20"))
    lines.append(b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")
    return b"\r\n".join(lines)


@contextlib.contextmanager
def hostile_server() -> Iterator[int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(32)
    listener.settimeout(0.05)
    stop = threading.Event()
    errors: list[BaseException] = []

    def handle(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            head = b""
            try:
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                conn.sendall(reply(head))
            except OSError:
                pass
            except Exception as error:  # a bug here fails the test at teardown
                errors.append(error)

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert errors == []


@pytest.fixture(scope="module")
def report() -> Report:
    with hostile_server() as port:
        base = f"http://127.0.0.1:{port}"
        targets = [Target(f"{base}{path}") for path in ("/reflect", "/static", "/redirect", "/nul")]
        started = datetime.now(UTC)
        results = scan(targets, None, ScanOptions(engine=EngineOptions(retries=0)))
        finished = datetime.now(UTC)
    built = build_report(
        results, policy=resolved_dict(None), started_at=started, finished_at=finished
    )
    # The payload really went through: as evidence, in a finding and in an error.
    dumped = built.to_json()
    assert json.dumps(SCRIPT)[1:-1] in dumped
    assert "\\u001b]8;;http://evil" in dumped
    assert built.findings
    assert any(target.error is not None for target in built.targets)
    return built


def test_json_stays_valid_and_keeps_the_payload_as_data(report: Report) -> None:
    text = render(ReportFormat.JSON, report)

    data = json.loads(text)
    assert not JSON_RAW.search(text)
    headers = [
        header["value"]
        for finding in data["findings"]
        for evidence in finding["evidence"]
        if evidence["response"] is not None
        for header in evidence["response"]["headers"]
        if header["name"] == "X-Payload"
    ]
    assert headers
    assert all(value.startswith(PAYLOAD) for value in headers)


def test_sarif_stays_valid_json(report: Report) -> None:
    text = render(ReportFormat.SARIF, report)

    data = json.loads(text)
    assert data["version"] == "2.1.0"
    assert not JSON_RAW.search(text)
    assert data["runs"][0]["results"]


class Elements(HTMLParser):
    """Every start tag with its attributes, every script body (with its type) and all text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[tuple[str | None, str]] = []
        self.text: list[str] = []
        self._script_type: str | bool | None = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._script_type = dict(attrs).get("type") if tag == "script" else False

    def handle_endtag(self, tag: str) -> None:
        self._script_type = False

    def handle_data(self, data: str) -> None:
        if self._script_type is False:
            self.text.append(data)
        else:
            kind = self._script_type if isinstance(self._script_type, str) else None
            self.scripts.append((kind, data))


def json_strings(value: object) -> Iterator[str]:
    """Every string in a parsed JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)


def test_html_escapes_markup_and_attributes(report: Report) -> None:
    text = render(ReportFormat.HTML, report)
    parsed = Elements()
    parsed.feed(text)
    parsed.close()

    # The template's own script, plus its JSON data block (which never runs), and nothing else.
    assert [tag for tag, _ in parsed.tags if tag == "script"] == ["script", "script"]
    assert [body for kind, body in parsed.scripts if kind is None] == [html_format._SCRIPT]
    (data,) = [body for kind, body in parsed.scripts if kind == "application/json"]
    assert "<" not in data  # cannot close the block: every < is \u003c
    assert "textarea" not in {tag for tag, _ in parsed.tags}
    names = {name for _, attrs in parsed.tags for name, _ in attrs}
    assert "onmouseover" not in names
    assert not any(name.startswith("on") for name in names)
    assert '"' not in names
    # The payload is shown as text (escaped) in the page and kept, as data, in the data block.
    shown = "".join(parsed.text)
    assert SCRIPT in shown
    assert "</textarea>" in shown
    assert not CONTROL.search(shown)
    strings = list(json_strings(json.loads(data)))
    assert any(SCRIPT in value for value in strings)
    assert not any(CONTROL.search(value) for value in strings)
    assert "\x1b" not in text


def test_junit_stays_well_formed_xml(report: Report) -> None:
    text = render(ReportFormat.JUNIT, report)

    root = ET.fromstring(text)
    assert root.tag in {"testsuites", "testsuite"}
    content = "".join(root.itertext()) + "".join(
        value for element in root.iter() for value in element.attrib.values()
    )
    assert SCRIPT in content  # kept as text
    assert "\x1b" not in text


def markdown_tables(text: str) -> list[list[str]]:
    tables: list[list[str]] = []
    current: list[str] = []
    for line in text.split("\n"):
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def cells(row: str) -> int:
    return len(re.findall(r"(?<!\\)\|", row)) - 1


def test_markdown_tables_keep_their_columns(report: Report) -> None:
    text = render(ReportFormat.MARKDOWN, report)

    tables = markdown_tables(text)
    assert tables
    for table in tables:
        widths = {cells(row) for row in table}
        assert len(widths) == 1, table
    assert not CONTROL.search(text)
    # Markup only inside code spans, where GitHub shows it as text.
    outside = CODE_SPAN.sub("", text)
    assert "<script" not in outside
    assert "</textarea" not in outside


@pytest.mark.parametrize(
    "verbose", [pytest.param(False, id="summary"), pytest.param(True, id="verbose")]
)
def test_console_output_has_no_control_characters(report: Report, verbose: bool) -> None:
    text = console.render(report, verbose=verbose)

    assert not CONTROL.search(text), CONTROL.search(text)
    assert "\\x1b" in text or not verbose  # shown as a visible escape, not executed
