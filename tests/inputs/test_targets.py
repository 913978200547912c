"""Tests for cors_audit.inputs.targets: URL/method/site-origin validation and target collection."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cors_audit.core.errors import TargetError, UsageError
from cors_audit.core.models import Target
from cors_audit.inputs.targets import (
    collect_targets,
    normalize_site_origin,
    normalize_url,
    parse_method,
    read_target_file,
    read_target_lines,
)

# -- normalize_url -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("https://example.com/api", "https://example.com/api", id="plain"),
        pytest.param("  https://example.com/api\n", "https://example.com/api", id="stripped"),
        pytest.param("https://example.com", "https://example.com/", id="empty-path"),
        pytest.param("HTTPS://API.Example.COM/Path", "https://api.example.com/Path", id="case"),
        pytest.param("https://example.com:443/x", "https://example.com/x", id="default-port"),
        pytest.param("http://example.com:80/x", "http://example.com/x", id="default-http"),
        pytest.param("http://example.com:/x", "http://example.com/x", id="empty-port"),
        pytest.param("https://example.com:8443/x", "https://example.com:8443/x", id="port"),
        pytest.param("https://example.com/a?b=1&c=2", "https://example.com/a?b=1&c=2", id="query"),
        pytest.param("https://example.com/a#frag", "https://example.com/a", id="fragment"),
        pytest.param("https://example.com/a?q#f", "https://example.com/a?q", id="query-frag"),
        pytest.param(
            "https://bücher.example/ä?q=ü",
            "https://xn--bcher-kva.example/%C3%A4?q=%C3%BC",
            id="idn-and-unicode-path",
        ),
        pytest.param("http://127.0.0.1:8765/x", "http://127.0.0.1:8765/x", id="ipv4-port"),
        pytest.param("http://127.1:8765", "http://127.0.0.1:8765/", id="ipv4-short"),
        pytest.param("http://[::1]:8080/x", "http://[::1]:8080/x", id="ipv6-port"),
        pytest.param("http://[0:0::1]", "http://[::1]/", id="ipv6-compress"),
        pytest.param("http://localhost:3000/api", "http://localhost:3000/api", id="localhost"),
        pytest.param("https://my_app.example.com/", "https://my_app.example.com/", id="underscore"),
    ],
)
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("   ", "empty", id="blank"),
        pytest.param(
            "ftp://example.com/", "unsupported scheme 'ftp'.*http:// and https://", id="ftp"
        ),
        pytest.param("javascript:alert(1)", "unsupported scheme 'javascript'", id="javascript"),
        pytest.param("file:///etc/passwd", "unsupported scheme 'file'", id="file"),
        pytest.param("example.com/api", "did you mean 'https://example.com/api'", id="no-scheme"),
        pytest.param("localhost:8080", "did you mean 'https://localhost:8080'", id="host-port"),
        pytest.param("//example.com", "not an absolute URL", id="scheme-relative"),
        pytest.param("http:example.com", "expected http:// followed by a host", id="no-slashes"),
        pytest.param("http:\\\\example.com", "expected http://", id="backslashes"),
        pytest.param("http://", "no host", id="no-host"),
        pytest.param("http:///path", "no host", id="empty-authority"),
        pytest.param("http://:80/", "host is empty", id="port-only"),
        pytest.param("http://a b", "space, control or invisible character \\(U\\+0020\\)", id="sp"),
        pytest.param("http://a\tb", "U\\+0009", id="tab"),
        pytest.param("http://a\x00b", "U\\+0000", id="nul"),
        pytest.param("http://a\x85b", "U\\+0085", id="c1"),
        pytest.param("\u200bhttp://a", "U\\+200B", id="zero-width"),
        pytest.param("http://a\u202eb", "U\\+202E", id="bidi"),
        pytest.param("http://example.com:99999999999", "out of range", id="huge-port"),
        pytest.param("http://example.com:65536", "out of range", id="port-65536"),
        pytest.param("http://example.com:0", "out of range", id="port-zero"),
        pytest.param("http://example.com:8o", "invalid port '8o'", id="alpha-port"),
        pytest.param("http://example.com:١٢", "invalid port", id="arabic-digits"),
        pytest.param("http://[::1", "malformed URL", id="ipv6-open"),
        pytest.param("http://[::1]x/", "after the IPv6", id="ipv6-junk"),
        pytest.param("http://[::g]/", "IPv6", id="ipv6-bad"),
        pytest.param("https://user:pw@example.com/", "credentials in the URL", id="userinfo"),
        pytest.param("http://%65xample.com/", "invalid host", id="percent-host"),
        pytest.param("http://exa`mple.com/", "invalid host", id="backtick-host"),
        pytest.param("http://256.1.1.1/", "out of range", id="bad-ipv4"),
        pytest.param("http://☃.net/", "internationalized", id="snowman"),
        pytest.param("http://a..b/", "empty label", id="empty-label"),
    ],
)
def test_normalize_url_rejects(raw: str, match: str) -> None:
    with pytest.raises(TargetError, match=match) as info:
        normalize_url(raw, "urls.txt:7")
    assert info.value.source == "urls.txt:7"
    # The URL as given, except credentials: a user:pass@ URL is quoted without them.
    assert info.value.target == raw.replace("user:pw@", "<redacted>@")
    assert "pw@" not in str(info.value)
    assert str(info.value).startswith("urls.txt:7: invalid target ")


# -- parse_method --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("GET", "GET", id="get"),
        pytest.param("get", "GET", id="get-normalized"),
        pytest.param("delete", "DELETE", id="delete-normalized"),
        pytest.param("Options", "OPTIONS", id="options-normalized"),
        pytest.param("PATCH", "PATCH", id="patch"),
        pytest.param("patch", "patch", id="patch-kept"),
        pytest.param("Patch", "Patch", id="patch-mixed-kept"),
        pytest.param("PROPFIND", "PROPFIND", id="webdav"),
        pytest.param(" PUT ", "PUT", id="stripped"),
        pytest.param("X-Custom_1", "X-Custom_1", id="token-chars"),
    ],
)
def test_parse_method(raw: str, expected: str) -> None:
    assert parse_method(raw) == expected


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("  ", "empty", id="blank"),
        pytest.param("GE T", "invalid HTTP method", id="space"),
        pytest.param("GET/1", "invalid HTTP method", id="slash"),
        pytest.param("GÉT", "invalid HTTP method", id="unicode"),
        pytest.param("CONNECT", "cannot be sent by a browser", id="connect"),
        pytest.param("trace", "cannot be sent by a browser", id="trace-lower"),
        pytest.param("Track", "cannot be sent by a browser", id="track-mixed"),
    ],
)
def test_parse_method_rejects(raw: str, match: str) -> None:
    with pytest.raises(UsageError, match=f"^--method: .*{match}"):
        parse_method(raw, "--method")


# -- site origins --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("https://api.example.com", "https://api.example.com", id="plain"),
        pytest.param(" HTTPS://API.example.com:443 ", "https://api.example.com", id="normalized"),
        pytest.param("https://bücher.example", "https://xn--bcher-kva.example", id="idn"),
        pytest.param("http://[::1]:8080", "http://[::1]:8080", id="ipv6"),
    ],
)
def test_normalize_site_origin(raw: str, expected: str) -> None:
    assert normalize_site_origin(raw) == expected


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        pytest.param("https://api.example.com/", "did you mean 'https://api.example.com'", id="/"),
        pytest.param("api.example.com", "scheme://host", id="no-scheme"),
        pytest.param("null", "opaque", id="null"),
        pytest.param("chrome-extension://abc", "must be http or https", id="other-scheme"),
        pytest.param("https://a b", "whitespace", id="space"),
    ],
)
def test_normalize_site_origin_rejects(raw: str, match: str) -> None:
    with pytest.raises(UsageError, match=f"^--site-origin: invalid site origin .*{match}"):
        normalize_site_origin(raw)


# -- read_target_lines ---------------------------------------------------------------------------

TARGET_FILE = """\ufeff# staging endpoints
https://api.example.com/users

   # indented comment
PATCH https://api.example.com/posts/20   # the editor saves with PATCH
https://api.example.com/page#section
https://api.example.com/a#b # fragment kept out, comment dropped\r
\tdelete   https://api.example.com/posts/20\t
"""


def test_read_target_lines() -> None:
    targets = read_target_lines(TARGET_FILE, "urls.txt", default_method="POST")
    assert targets == [
        Target("https://api.example.com/users", "POST", source="urls.txt:2"),
        Target("https://api.example.com/posts/20", "PATCH", source="urls.txt:5"),
        Target("https://api.example.com/page", "POST", source="urls.txt:6"),
        Target("https://api.example.com/a", "POST", source="urls.txt:7"),
        Target("https://api.example.com/posts/20", "DELETE", source="urls.txt:8"),
    ]


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        pytest.param("https://a.com/\nftp://b.com/\n", TargetError, "^f:2: ", id="bad-url"),
        pytest.param("\n\nTRACE https://a.com/", UsageError, "^f:3: .*cannot be sent", id="trace"),
        pytest.param(
            "GET https://a.com/ extra", TargetError, "^f:1: .*'METHOD URL'", id="3-fields"
        ),
        pytest.param("https://a.com/ PATCH", TargetError, "^f:1: .*method comes first", id="order"),
        pytest.param("http://a b.com/", TargetError, "^f:1: .*'METHOD URL'", id="space-in-url"),
    ],
)
def test_read_target_lines_errors_name_line(text: str, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        read_target_lines(text, "f")


def test_read_target_lines_empty_and_comment_only() -> None:
    assert read_target_lines("", "f") == []
    assert read_target_lines("# nothing\n\n   \n#x https://a.com/\n", "f") == []


# -- read_target_file ----------------------------------------------------------------------------


def test_read_target_file_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "urls.txt"
    path.write_text("\ufeffhttps://a.example/\nput https://b.example/x\n", encoding="utf-8")
    assert read_target_file(str(path), io.StringIO("unused")) == [
        Target("https://a.example/", "GET", source=f"{path}:1"),
        Target("https://b.example/x", "PUT", source=f"{path}:2"),
    ]


def test_read_target_file_from_stdin() -> None:
    stdin = io.StringIO("# piped\nhttps://a.example/\n")
    assert read_target_file("-", stdin, default_method="PATCH") == [
        Target("https://a.example/", "PATCH", source="stdin:2"),
    ]


def test_read_target_file_errors(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    with pytest.raises(UsageError, match=r"missing\.txt' does not exist"):
        read_target_file(str(missing), io.StringIO())
    with pytest.raises(UsageError, match="cannot read target file"):
        read_target_file(str(tmp_path), io.StringIO())  # a directory
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"https://a.example/\n\xff\xfe\n")
    with pytest.raises(UsageError, match=r"bin\.txt' is not UTF-8 text"):
        read_target_file(str(binary), io.StringIO())


def test_read_target_file_unreadable_stdin() -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"\xff\xfe"), encoding="utf-8")
    with pytest.raises(UsageError, match="cannot read targets from stdin"):
        read_target_file("-", stdin)


# -- collect_targets -----------------------------------------------------------------------------


def test_collect_targets_order_dedupe_and_site_origin(tmp_path: Path) -> None:
    # Given targets from all three sources, with overlaps
    path = tmp_path / "urls.txt"
    path.write_text(
        "https://api.example.com/b\n"
        "HTTPS://API.example.com/a\n"  # duplicate of the first argument after normalization
        "PATCH https://api.example.com/a\n",  # same URL, other method: kept
        encoding="utf-8",
    )
    stdin = io.StringIO("https://api.example.com/c\nhttps://api.example.com/b\n")
    policy_targets = [
        ("https://api.example.com/d", "patch", "https://front.example.com"),
        ("https://api.example.com/c", "GET", None),  # duplicate of the stdin line
        ("https://api.example.com/e", "delete", None),
    ]
    # When they are collected
    targets = collect_targets(
        ["https://api.example.com/a", "https://api.example.com/a#x"],
        [str(path), "-"],
        policy_targets,
        site_origin="HTTPS://www.Example.com:443",
        stdin=stdin,
    )
    # Then order is arguments, files, policy; first occurrence wins; --site-origin fills gaps
    site = "https://www.example.com"
    assert targets == [
        Target("https://api.example.com/a", "GET", site, "argument"),
        Target("https://api.example.com/b", "GET", site, f"{path}:1"),
        Target("https://api.example.com/a", "PATCH", site, f"{path}:3"),
        Target("https://api.example.com/c", "GET", site, "stdin:1"),
        Target("https://api.example.com/d", "patch", "https://front.example.com", "policy"),
        Target("https://api.example.com/e", "DELETE", site, "policy"),
    ]


def test_collect_targets_default_method_and_no_site_origin() -> None:
    targets = collect_targets(
        ["http://127.0.0.1:8765/x"], ["-"], [], method="put", stdin=io.StringIO("http://[::1]/\n")
    )
    assert targets == [
        Target("http://127.0.0.1:8765/x", "PUT", None, "argument"),
        Target("http://[::1]/", "PUT", None, "stdin:1"),
    ]
    assert targets[0].origin == "http://127.0.0.1:8765"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        pytest.param({"urls": ["ftp://x/"]}, TargetError, "^argument: ", id="bad-argument"),
        pytest.param({"method": "TRACE"}, UsageError, "^--method: ", id="bad-method"),
        pytest.param(
            {"site_origin": "https://x.com/"}, UsageError, "^--site-origin: ", id="bad-site"
        ),
        pytest.param(
            {"policy_targets": [("https://x.com/", "CONNECT", None)]},
            UsageError,
            "^policy: ",
            id="bad-policy-method",
        ),
        pytest.param(
            {"policy_targets": [("x.com", "GET", None)]},
            TargetError,
            "^policy: invalid target",
            id="bad-policy-url",
        ),
        pytest.param(
            {"policy_targets": [("https://x.com/", "GET", "https://y.com/path")]},
            UsageError,
            "^policy: invalid site origin",
            id="bad-policy-site",
        ),
        pytest.param({"files": ["/nonexistent/urls.txt"]}, UsageError, "does not exist", id="file"),
    ],
)
def test_collect_targets_errors(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    args: dict[str, object] = {"urls": [], "files": [], "policy_targets": [], **kwargs}
    with pytest.raises(error, match=match):
        collect_targets(stdin=io.StringIO(), **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("https://a.example.com/x\rhttps://b.example.com/y\n", id="old-mac-line-end"),
        pytest.param("GET\rhttps://a.example.com/x\n", id="cr-between-fields"),
    ],
)
def test_a_lone_carriage_return_in_a_line_is_an_error_naming_it(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        read_target_lines("https://ok.example.com/\n" + text, "urls.txt")
    message = str(caught.value)
    assert "urls.txt:2" in message
    assert "carriage return (CR) inside the line" in message
    assert "\r" not in message


def test_crlf_line_ends_are_fine() -> None:
    targets = read_target_lines("https://a.example.com/x\r\nPOST https://b.example.com/y\r\n", "f")
    assert [(t.method, t.url) for t in targets] == [
        ("GET", "https://a.example.com/x"),
        ("POST", "https://b.example.com/y"),
    ]
