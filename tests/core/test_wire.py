"""core/wire.py: the one CORS header-name table, default-ports table and origin serializer, and a
guard that no other module of the package grows its own copy again."""

from __future__ import annotations

import ast
import ipaddress
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import hypothesis_profiles  # noqa: F401  (loads the shared hypothesis profile)

import cors_audit.browser as browser
from cors_audit.core import wire
from cors_audit.core.models import Target
from cors_audit.core.origin import serialize_origin
from cors_audit.core.wire import (
    CORS_REQUEST_HEADERS,
    CORS_RESPONSE_HEADERS,
    DEFAULT_PORTS,
    format_origin,
    serialize_ipv6,
    url_origin,
)

PACKAGE = Path(wire.__file__).resolve().parents[1]


def test_header_names_are_canonical_and_shared() -> None:
    names = (*CORS_RESPONSE_HEADERS, *CORS_REQUEST_HEADERS)
    assert len({n.lower() for n in names}) == len(names) == 10
    for name in names:
        assert name.startswith("Access-Control-")
        assert name == "-".join(part.capitalize() for part in name.split("-"))
    # The browser model hands out the very same names.
    for attr in ("ACAO", "ACAC", "ACAM", "ACAH", "ACEH", "ACMA", "ACAPN"):
        assert getattr(browser, attr) is getattr(wire, attr)
    assert browser.url_origin is url_origin


def test_default_ports_are_the_special_schemes() -> None:
    assert DEFAULT_PORTS == {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        pytest.param(("https", "a.test", None), "https://a.test", id="no-port"),
        pytest.param(("https", "a.test", 443), "https://a.test", id="default-dropped"),
        pytest.param(("http", "a.test", 443), "http://a.test:443", id="other-scheme-default"),
        pytest.param(("wss", "a.test", 443), "wss://a.test", id="wss"),
        pytest.param(("http", "[::1]", 8080), "http://[::1]:8080", id="ipv6"),
        pytest.param(("https", "{label}.a.test", 8443), "https://{label}.a.test:8443", id="label"),
    ],
)
def test_format_origin(parts: tuple[str, str, int | None], expected: str) -> None:
    assert format_origin(*parts) == expected


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        pytest.param("https://API.a.test:443/x?y#z", "https://api.a.test", id="default-port"),
        pytest.param("http://a.test:8000", "http://a.test:8000", id="port"),
        pytest.param("http://[::1]:80/", "http://[::1]", id="ipv6"),
        pytest.param("ftp://a.test:21/", "ftp://a.test", id="ftp"),
        pytest.param("chrome-extension://abc/", "null", id="no-tuple-origin"),
        pytest.param("http:///path", "null", id="no-host"),
        pytest.param("http://a.test:99999/", "http://a.test", id="bad-port"),
    ],
)
def test_url_origin(url: str, origin: str) -> None:
    assert url_origin(url) == origin


def test_target_origin_is_url_origin() -> None:
    assert Target(url="https://a.test:443/x").origin == "https://a.test"
    assert Target(url="https://a.test/x", site_origin="https://b.test").origin == "https://b.test"


@given(st.ip_addresses(v=6))
def test_serialize_ipv6_round_trips(address: ipaddress.IPv6Address) -> None:
    text = serialize_ipv6(address.packed)
    assert ipaddress.IPv6Address(text) == address
    assert text == text.lower()
    assert text.count("::") <= 1
    assert serialize_origin("http", text, None) == f"http://[{text}]"


def test_serialize_ipv6_keeps_mapped_addresses_in_hex() -> None:
    assert serialize_ipv6(ipaddress.IPv6Address("::ffff:127.0.0.1").packed) == "::ffff:7f00:1"
    assert serialize_ipv6(ipaddress.IPv6Address("1:0:0:1:0:0:0:1").packed) == "1:0:0:1::1"
    assert serialize_ipv6(ipaddress.IPv6Address("1:0:1:0:1:0:1:0").packed) == "1:0:1:0:1:0:1:0"


# -- no second copy ------------------------------------------------------------------------------

_HEADER_NAMES = {n.lower() for n in (*CORS_RESPONSE_HEADERS, *CORS_REQUEST_HEADERS)}


def _copies(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        text = value.value if isinstance(value, ast.Constant) else None
        if isinstance(text, str) and text.lower() in _HEADER_NAMES:
            found.append(f"line {node.lineno}: a header-name constant {text!r}")
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            values = {v.value for v in node.values if isinstance(v, ast.Constant)}
            if {"http", "https"} <= keys and {80, 443} <= values:
                found.append(f"line {node.lineno}: a default-ports table")
    return found


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(PACKAGE.rglob("*.py")) if p.name != "wire.py"],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_no_module_keeps_its_own_copy(path: Path) -> None:
    copies = _copies(ast.parse(path.read_text(encoding="utf-8")))
    assert not copies, f"{path.name}: use cors_audit.core.wire instead: {copies}"


URLS = st.builds(
    lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
    st.sampled_from(["http", "https", "ws", "ftp", "data", "blob"]),
    st.sampled_from(["a.example", "A.EXAMPLE", "127.0.0.1", "[::1]", ""]),
    st.sampled_from(["", ":80", ":443", ":8443", ":0"]),
    st.sampled_from(["", "/", "/x?y=1#z"]),
)


@given(URLS)
def test_url_origin_remembered_is_url_origin(url: str) -> None:
    # url_origin keeps a bounded memo (a target's origin is asked for on every round).
    expected = url_origin.__wrapped__(url)
    assert url_origin(url) == expected
    assert url_origin(url) == expected


def test_url_origin_memo_is_bounded() -> None:
    url_origin.cache_clear()
    for n in range(wire.URL_ORIGIN_MEMO + 10):
        url_origin(f"https://h{n}.example/")
    assert url_origin.cache_info().currsize == wire.URL_ORIGIN_MEMO
