"""Tests for cors_audit.inputs.policy: loading, validation messages (file, line, key, expected),
override resolution and the starter policy."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cors_audit.app.settings import SETTINGS
from cors_audit.core import models
from cors_audit.core.errors import PolicyError
from cors_audit.inputs import settings
from cors_audit.inputs.policy import (
    _SCAN_KINDS,
    Policy,
    _Locator,
    discover_policy,
    load_policy,
    policy_free,
    resolved_dict,
    starter_policy,
)
from cors_audit.inputs.toml_file import PolicyValidationError

STARTER_POLICY = starter_policy(SETTINGS)


def write(tmp_path: Path, text: str, name: str = "cors-policy.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_error(path: Path) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return info.value


def only_error(path: Path) -> PolicyError:
    error = load_error(path)
    assert isinstance(error, PolicyValidationError)
    assert len(error.errors) == 1, str(error)
    return error.errors[0]


# ---------------------------------------------------------------------------------------------
# Single values, checked in a list element placed on line 4 (key ``<field>[1]``).


def list_policy(key: str, ok: str, bad: object) -> str:
    return f"# policy\n{key} = [\n  {json.dumps(ok)},\n  {json.dumps(bad)},\n]\n"


ORIGIN_CASES = [
    pytest.param("https://a.com/", "trailing slash", '"https://a.com"', id="trailing-slash"),
    pytest.param("https://a.com/app", 'path ("/app")', '"https://a.com"', id="path"),
    pytest.param("https://a.com?x=1", "query or fragment", '"https://a.com"', id="query"),
    pytest.param("https://a.com#top", "query or fragment", '"https://a.com"', id="fragment"),
    pytest.param("https://u:p@a.com", "userinfo", "serialized origin", id="userinfo"),
    pytest.param("https://a.com:443", "default port for https", '"https://a.com"', id="port-443"),
    pytest.param("http://a.com:80", "default port for http", '"http://a.com"', id="port-80"),
    pytest.param("https://App.Example.com", "lowercase", '"https://app.example.com"', id="upper"),
    pytest.param("HTTPS://a.com", "lowercase", '"https://a.com"', id="upper-scheme"),
    pytest.param("https://bücher.example", "punycode", '"https://xn--bcher-kva.example"', id="idn"),
    pytest.param("https://a.com:0443", "write", '"https://a.com"', id="port-leading-zero"),
    pytest.param("https://*.example.com", 'trust_subdomains_of = ["example.com"]', "", id="star"),
    pytest.param("*", "trust_subdomains_of", "serialized origin", id="bare-star"),
    pytest.param("null", "sandboxed iframe", "serialized origin", id="null"),
    pytest.param("NULL", "sandboxed iframe", "serialized origin", id="null-upper"),
    pytest.param("app.example.com", 'did you mean "https://app.example.com"', "", id="no-scheme"),
    pytest.param("ftp://a.com", "http or https", "serialized origin", id="ftp"),
    pytest.param("https://a .com", "whitespace", "serialized origin", id="space"),
    pytest.param("", "empty", "serialized origin", id="empty"),
    pytest.param("https://a.com:99999", "invalid port", "serialized origin", id="port-range"),
    pytest.param("https://a.com:x", "invalid port", "serialized origin", id="port-text"),
    pytest.param("https://[::g]", "not a valid URL", "serialized origin", id="bad-ipv6"),
    pytest.param("https://[::1", "not a valid URL", "serialized origin", id="unclosed-bracket"),
    pytest.param("https://[v1.fe]", "invalid IPv6", "serialized origin", id="ipvfuture"),
    pytest.param("https://[fe80::1%25eth0]", "zone identifiers", "serialized origin", id="zone-id"),
    pytest.param("https://[0:0:0:0:0:0:0:1]", "write", '"https://[::1]"', id="ipv6-long"),
    pytest.param("https://xn--a.com\u00e9", "invalid punycode", "serialized origin", id="bad-idn"),
    pytest.param("https://a!b.com", "invalid host", "serialized origin", id="bad-host"),
    pytest.param("https://", "no host", "serialized origin", id="no-host"),
]


@pytest.mark.parametrize(("value", "message", "expected"), ORIGIN_CASES)
def test_invalid_trusted_origin(tmp_path: Path, value: str, message: str, expected: str) -> None:
    path = write(tmp_path, list_policy("trusted_origins", "https://ok.example.com", value))
    error = only_error(path)
    assert (error.file, error.line, error.key) == (str(path), 4, "trusted_origins[1]")
    assert message in error.message
    assert json.dumps(value, ensure_ascii=False) in error.message or value == ""
    assert expected in (error.expected or "")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("https://app.example.com", id="https"),
        pytest.param("http://localhost:3000", id="localhost-port"),
        pytest.param("http://127.0.0.1:8080", id="ipv4"),
        pytest.param("https://[::1]:8443", id="ipv6"),
        pytest.param("https://xn--bcher-kva.example", id="punycode"),
        pytest.param("https://a_b.example.com", id="underscore"),
    ],
)
def test_valid_trusted_origin(tmp_path: Path, value: str) -> None:
    policy = load_policy(write(tmp_path, list_policy("trusted_origins", "https://a.com", value)))
    assert policy.trusted_origins == ("https://a.com", value)


DOMAIN_CASES = [
    pytest.param("https://example.com", 'write "example.com"', id="scheme"),
    pytest.param(".example.com", 'write "example.com"', id="leading-dot"),
    pytest.param("*.example.com", 'write "example.com"', id="wildcard"),
    pytest.param("example.com:443", 'write "example.com"', id="port"),
    pytest.param("example.com/", 'write "example.com"', id="slash"),
    pytest.param("", "not a bare domain", id="empty"),
    pytest.param("Example.com", 'write "example.com"', id="upper"),
    pytest.param("bücher.example", 'write "xn--bcher-kva.example"', id="idn"),
    pytest.param("com", "whole top-level domain", id="single-label"),
    pytest.param("github.io", "anyone can get a subdomain", id="shared-platform"),
    pytest.param("127.0.0.1", "IP address", id="ip"),
]


@pytest.mark.parametrize(("value", "message"), DOMAIN_CASES)
def test_invalid_trust_subdomains_of(tmp_path: Path, value: str, message: str) -> None:
    path = write(tmp_path, list_policy("trust_subdomains_of", "example.org", value))
    error = only_error(path)
    assert (error.line, error.key) == (4, "trust_subdomains_of[1]")
    assert message in error.message
    assert "domain" in (error.expected or "")


METHOD_CASES = [
    pytest.param("get", 'write "GET"', '"GET"', id="get-normalized"),
    pytest.param("Put", 'write "PUT"', '"PUT"', id="put-normalized"),
    pytest.param("delete", 'write "DELETE"', '"DELETE"', id="delete-normalized"),
    pytest.param("TRACE", "forbidden method", "HTTP method", id="trace"),
    pytest.param("connect", "forbidden method", "HTTP method", id="connect"),
    pytest.param("GET POST", "not an HTTP method", "HTTP method", id="space"),
    pytest.param("", "not an HTTP method", "HTTP method", id="empty"),
    pytest.param("GET", 'repeats "GET" (element 0)', "each method once", id="duplicate"),
    pytest.param(5, "5 is an integer", "method name", id="int"),
]


@pytest.mark.parametrize(("value", "message", "expected"), METHOD_CASES)
def test_invalid_method(tmp_path: Path, value: object, message: str, expected: str) -> None:
    error = only_error(write(tmp_path, list_policy("allowed_methods", "GET", value)))
    assert (error.line, error.key) == (4, "allowed_methods[1]")
    assert message in error.message
    assert expected in (error.expected or "")


@pytest.mark.parametrize(
    ("methods"),
    [
        pytest.param(["GET", "*"], id="wildcard"),
        pytest.param(["PATCH", "patch"], id="byte-exact-distinct"),
        pytest.param(["GET", "PROPFIND"], id="extension"),
    ],
)
def test_methods_are_kept_byte_exact(tmp_path: Path, methods: list[str]) -> None:
    path = write(tmp_path, f"allowed_methods = {json.dumps(methods)}\n")
    assert load_policy(path).allowed_methods == tuple(methods)


HEADER_CASES = [
    pytest.param("X Api", "not an HTTP header name", "header name", id="space"),
    pytest.param("X-Api:", "not an HTTP header name", "header name", id="colon"),
    pytest.param("content-type", 'repeats "Content-Type"', "each header once", id="dup-case"),
    pytest.param(True, "true is a boolean", "header name", id="bool"),
]


@pytest.mark.parametrize("key", ["allowed_headers", "expose_headers"])
@pytest.mark.parametrize(("value", "message", "expected"), HEADER_CASES)
def test_invalid_header(
    tmp_path: Path, key: str, value: object, message: str, expected: str
) -> None:
    error = only_error(write(tmp_path, list_policy(key, "Content-Type", value)))
    assert (error.line, error.key) == (4, f"{key}[1]")
    assert message in error.message
    assert expected in (error.expected or "")


def test_header_names_keep_their_case(tmp_path: Path) -> None:
    path = write(tmp_path, 'allowed_headers = ["X-Api-Key", "*"]\nexpose_headers = ["X-Trace"]\n')
    effective = load_policy(path).for_url("https://a.com/")
    assert effective.allowed_headers == ("X-Api-Key", "*")
    assert effective.expose_headers == ("X-Trace",)


# ---------------------------------------------------------------------------------------------
# Whole files: every error names file, line, key and what was expected.

FILE_CASES = [
    pytest.param(
        """\
        trusted_origins = ["https://a.com"]
        allow_credentials = "true"
        """,
        2,
        "allow_credentials",
        '"true" is a string',
        "true or false",
        id="string-for-bool",
    ),
    pytest.param(
        "public = 1\n", 1, "public", "1 is an integer", "true or false", id="int-for-bool"
    ),
    pytest.param(
        'trusted_origins = "https://a.com"\n',
        1,
        "trusted_origins",
        '"https://a.com" is a string',
        'an array of origins, e.g. ["https://app.example.com"]',
        id="string-for-list",
    ),
    pytest.param(
        "public = 1979-05-27\n",
        1,
        "public",
        "1979-05-27 is a date/time",
        "true or false",
        id="date-for-bool",
    ),
    pytest.param(
        "public = [true]\n",
        1,
        "public",
        "[true] is an array",
        "true or false",
        id="array-for-bool",
    ),
    pytest.param(
        "allowed_headers = [{ name = 1 }]\n",
        1,
        "allowed_headers[0]",
        "{name = 1} is a table",
        "header name",
        id="table-for-header",
    ),
    pytest.param(
        "public = [1, 2, 3, 4, 5]\n",
        1,
        "public",
        "[1, 2, 3, 4, …] is an array",
        "true or false",
        id="long-array-shortened",
    ),
    pytest.param(
        f'trusted_origins = ["https://a.com/{"x" * 100}"]\n',
        1,
        "trusted_origins[0]",
        '"https://a.com/xxxxxxxx',
        '"https://a.com"',
        id="long-value-shortened",
    ),
    pytest.param(
        "\n\nallowed_methods = []\n",
        3,
        "allowed_methods",
        "the list is empty",
        "at least one method",
        id="empty-methods",
    ),
    pytest.param(
        "max_age = { min = -1 }\n",
        1,
        "max_age.min",
        "-1 is negative",
        "seconds >= 0",
        id="max-age-negative",
    ),
    pytest.param(
        "# c\nmax_age = { min = 600, max = 60 }\n",
        2,
        "max_age",
        "min = 600 is greater than max = 60",
        "min to be at most max",
        id="max-age-order",
    ),
    pytest.param(
        "max_age = { min = 1.5 }\n",
        1,
        "max_age.min",
        "1.5 is a float",
        "seconds",
        id="max-age-float",
    ),
    pytest.param(
        'max_age = { max = "600" }\n',
        1,
        "max_age.max",
        '"600" is a string',
        "seconds",
        id="max-age-string",
    ),
    pytest.param(
        "max_age = { min = true }\n",
        1,
        "max_age.min",
        "true is a boolean",
        "seconds",
        id="max-age-bool",
    ),
    pytest.param(
        "\nmax_age = 600\n",
        2,
        "max_age",
        "600 is an integer",
        "{ min = 600, max = 86400 }",
        id="max-age-not-table",
    ),
    pytest.param(
        "[max_age]\nmin = 1\nmx = 5\n",
        3,
        "max_age.mx",
        'unknown key "mx"; did you mean "max"?',
        "one of min, max",
        id="max-age-unknown-key",
    ),
    pytest.param(
        'trusted_origins = []\nallowed_method = ["GET"]\n',
        2,
        "allowed_method",
        'unknown key "allowed_method"; did you mean "allowed_methods"?',
        "one of trusted_origins, trust_subdomains_of, allow_credentials",
        id="unknown-top-level",
    ),
    pytest.param(
        'source = "elsewhere.toml"\n',
        1,
        "source",
        'unknown key "source"',
        "override, target",
        id="source-is-not-a-key",
    ),
    pytest.param(
        "banana = 1\n",
        1,
        "banana",
        'unknown key "banana"',
        "one of trusted_origins",
        id="unknown-no-suggestion",
    ),
    pytest.param(
        '"odd key" = 1\n',
        1,
        '"odd key"',
        'unknown key "odd key"',
        "one of trusted_origins",
        id="unknown-quoted-key",
    ),
    pytest.param(
        """\
        public = false

        [[override]]
        match = "*/public/*"
        public = true

        [[override]]
        match = "*/admin/*"
        allowed_methods = ["GET", "put"]
        """,
        9,
        "override[1].allowed_methods[1]",
        '"put" is never sent by a browser',
        '"PUT"',
        id="override-method",
    ),
    pytest.param(
        """\
        [[override]]
        match = "*/a/*"
        public = true
        colour = "red"
        """,
        4,
        "override[0].colour",
        'unknown key "colour"',
        "one of match, trusted_origins",
        id="override-unknown-key",
    ),
    pytest.param(
        """\
        [[override]]
        public = true
        """,
        1,
        "override[0].match",
        "required key is missing",
        "a glob on the full URL",
        id="override-missing-match",
    ),
    pytest.param(
        """\
        [[override]]
        match = "/api/*"
        public = true
        """,
        2,
        "override[0].match",
        '"/api/*" can never match',
        '"*/public/*"',
        id="override-glob-never-matches",
    ),
    pytest.param(
        """\
        [[override]]
        match = 5
        public = true
        """,
        2,
        "override[0].match",
        "5 is an integer",
        "a glob on the full URL",
        id="override-match-type",
    ),
    pytest.param(
        """\
        [[override]]
        match = "*/x/*"
        """,
        1,
        "override[0]",
        'the override for "*/x/*" changes nothing',
        "at least one setting besides match",
        id="override-changes-nothing",
    ),
    pytest.param(
        """\
        [[override]]
        match = "*/x/*"
        [override.max_age]
        min = 10
        max = 1
        """,
        3,
        "override[0].max_age",
        "greater than",
        "min to be at most max",
        id="override-subtable",
    ),
    pytest.param(
        'override = { match = "*/x/*", public = true }\n',
        1,
        "override",
        "is a table",
        "an array of tables written [[override]]",
        id="override-not-array",
    ),
    pytest.param(
        "override = [1]\n",
        1,
        "override[0]",
        "1 is an integer",
        "a table written [[override]]",
        id="override-element-not-table",
    ),
    pytest.param(
        """\
        [[override]]
        match = "*/x/*"
        trusted_origins = [
            "https://ok.example.com",
            "https://bad.example.com/",
        ]
        """,
        5,
        "override[0].trusted_origins[1]",
        "trailing slash",
        '"https://bad.example.com"',
        id="override-origin-own-line",
    ),
    pytest.param(
        """\
        [[target]]
        method = "GET"
        """,
        1,
        "target[0].url",
        "required key is missing",
        "absolute http(s) URL",
        id="target-missing-url",
    ),
    pytest.param(
        """\
        [[target]]
        url = "https://a.com/"

        [[target]]
        url = "ftp://a.com/"
        """,
        5,
        "target[1].url",
        '"ftp://a.com/" is not an absolute http or https URL',
        "absolute http(s) URL",
        id="target-ftp",
    ),
    pytest.param(
        '[[target]]\nurl = "/api/posts"\n',
        2,
        "target[0].url",
        "not an absolute",
        "absolute http(s) URL",
        id="target-relative",
    ),
    pytest.param(
        '[[target]]\nurl = "https://a.com:99999/"\n',
        2,
        "target[0].url",
        "is not a valid URL (Port out of range",
        "absolute http(s) URL",
        id="target-port",
    ),
    pytest.param(
        '[[target]]\nurl = "https://a.com/x y"\n',
        2,
        "target[0].url",
        "whitespace",
        "absolute http(s) URL",
        id="target-space",
    ),
    pytest.param(
        '[[target]]\nurl = "https://a.com/"\nmethod = "get"\n',
        3,
        "target[0].method",
        'write "GET"',
        '"GET"',
        id="target-method-lowercase",
    ),
    pytest.param(
        '[[target]]\nurl = "https://a.com/"\nmethod = "*"\n',
        3,
        "target[0].method",
        "not an HTTP method",
        "HTTP method",
        id="target-method-star",
    ),
    pytest.param(
        '[[target]]\nurl = "http://10.0.0.5/"\nsite_origin = "https://api.example.com/"\n',
        3,
        "target[0].site_origin",
        "trailing slash",
        '"https://api.example.com"',
        id="target-site-origin",
    ),
    pytest.param(
        '[[target]]\nurl = "https://a.com/"\nmethods = "GET"\n',
        3,
        "target[0].methods",
        'unknown key "methods"; did you mean "method"?',
        "one of url, method, site_origin",
        id="target-unknown-key",
    ),
]


@pytest.mark.parametrize(("text", "line", "key", "message", "expected"), FILE_CASES)
def test_invalid_policy_file(
    tmp_path: Path, text: str, line: int, key: str, message: str, expected: str
) -> None:
    path = write(tmp_path, text)
    error = only_error(path)
    assert error.file == str(path)
    assert (error.line, error.key) == (line, key)
    assert message in error.message
    assert expected in (error.expected or "")
    assert str(error).startswith(f"{path}:{line}: {key}: ")


def test_all_problems_reported_in_file_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [[target]]
        url = "ftp://x/"
        """,
    )
    path.write_text(
        'public = "no"\nallowed_methods = ["get"]\n' + path.read_text(), encoding="utf-8"
    )
    error = load_error(path)
    assert isinstance(error, PolicyValidationError)
    assert [(e.line, e.key) for e in error.errors] == [
        (1, "public"),
        (2, "allowed_methods[0]"),
        (4, "target[0].url"),
    ]
    # The exception itself describes the first problem and prints all of them.
    assert (error.line, error.key) == (1, "public")
    assert str(error).splitlines() == [str(e) for e in error.errors]
    assert "Traceback" not in str(error)
    assert "pydantic" not in str(error)


# ---------------------------------------------------------------------------------------------
# Reading the file itself.


def test_missing_file(tmp_path: Path) -> None:
    error = load_error(tmp_path / "nope.toml")
    assert error.file == str(tmp_path / "nope.toml")
    assert "not found" in error.message


def test_directory(tmp_path: Path) -> None:
    error = load_error(tmp_path)
    assert "is a directory" in error.message


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "public = true\n")

    def deny(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", deny)
    error = load_error(path)
    assert "cannot read the policy file: Permission denied" in error.message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cors-policy.toml"
    path.write_bytes(b"public = true\n# caf\xe9\n")
    error = load_error(path)
    assert error.line == 2
    assert "0xe9" in error.message
    assert error.expected == "a UTF-8 encoded TOML file"


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "cors-policy.toml"
    path.write_bytes(b"\xef\xbb\xbfpublic = true\n")
    assert load_policy(path).public is True


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        pytest.param('public = true\nallowed_methods = ["GET"\n', 3, "invalid TOML", id="unclosed"),
        pytest.param("public = true\npublic = false\n", 2, "column", id="duplicate-key"),
        pytest.param("public = \n", 1, "column 10", id="missing-value"),
        pytest.param('a = "x', 1, "invalid TOML", id="unterminated-string"),
    ],
)
def test_invalid_toml(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = tmp_path / "cors-policy.toml"
    path.write_text(text, encoding="utf-8")
    error = load_error(path)
    assert not isinstance(error, PolicyValidationError)
    assert error.line == line
    assert error.message.startswith("invalid TOML: ")
    assert fragment in str(error)
    assert error.expected == "valid TOML"


def test_a_number_beyond_pythons_digit_limit_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cors-policy.toml"
    path.write_text(
        'trusted_origins = ["https://a.example.com"]\nmax_age = { min = ' + "9" * 5000 + " }\n",
        encoding="utf-8",
    )
    error = load_error(path)
    assert error.line == 2
    assert "5000 digits" in error.message
    assert error.expected == "a number of at most 4300 digits"


# ---------------------------------------------------------------------------------------------
# pyproject.toml


PYPROJECT = """\
[project]
name = "shop"

[tool.black]
line-length = 100

[tool.cors-audit]
trusted_origins = ["https://app.example.com"]
allowed_methods = ["GET", "POST"]
max_age = { min = 600 }

[[tool.cors-audit.override]]
match = "*/public/*"
public = true

[[tool.cors-audit.target]]
url = "https://staging.example.com/api"
method = "POST"
"""


def test_pyproject_table_loads(tmp_path: Path) -> None:
    path = write(tmp_path, PYPROJECT, "pyproject.toml")
    policy = load_policy(path)
    assert policy.source == str(path)
    assert policy.trusted_origins == ("https://app.example.com",)
    assert policy.max_age is not None
    assert (policy.max_age.min, policy.max_age.max) == (600, None)
    assert policy.targets[0].to_target() == models.Target(
        url="https://staging.example.com/api", method="POST", source="policy"
    )
    assert policy.for_url("https://staging.example.com/public/x").public is True


@pytest.mark.parametrize(
    ("replace", "line", "key", "message"),
    [
        pytest.param(
            ('"GET", "POST"', '"GET", "post"'),
            9,
            "tool.cors-audit.allowed_methods[1]",
            '"post" is never sent',
            id="method",
        ),
        pytest.param(
            ("public = true", "public = true\nwho = 1"),
            15,
            "tool.cors-audit.override[0].who",
            'unknown key "who"',
            id="override-unknown",
        ),
        pytest.param(
            ('method = "POST"', 'method = "post"'),
            18,
            "tool.cors-audit.target[0].method",
            'write "POST"',
            id="target",
        ),
    ],
)
def test_pyproject_errors_name_the_table(
    tmp_path: Path, replace: tuple[str, str], line: int, key: str, message: str
) -> None:
    path = write(tmp_path, PYPROJECT.replace(*replace), "pyproject.toml")
    error = only_error(path)
    assert (error.line, error.key) == (line, key)
    assert message in error.message


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        pytest.param('[project]\nname = "x"\n', "no [tool.cors-audit] table", None, id="absent"),
        pytest.param(
            "[tool.cors_audit]\npublic = true\n", "spelled with a hyphen", None, id="typo"
        ),
        pytest.param('[tool]\n"cors-audit" = 5\n', "5 is an integer", 2, id="not-a-table"),
    ],
)
def test_pyproject_without_table(tmp_path: Path, text: str, message: str, line: int | None) -> None:
    path = write(tmp_path, text, "pyproject.toml")
    error = load_error(path)
    assert message in error.message
    assert error.line == line
    assert "[tool.cors-audit]" in (error.expected or "")


# ---------------------------------------------------------------------------------------------
# Discovery


@pytest.mark.parametrize(
    ("files", "found"),
    [
        pytest.param({}, None, id="nothing"),
        pytest.param(
            {"cors-policy.toml": "public = true\n", "pyproject.toml": PYPROJECT},
            "cors-policy.toml",
            id="policy-file-first",
        ),
        pytest.param({"pyproject.toml": PYPROJECT}, "pyproject.toml", id="pyproject-table"),
        pytest.param({"pyproject.toml": '[project]\nname = "x"\n'}, None, id="pyproject-no-table"),
        pytest.param(
            {"pyproject.toml": "[tool.cors-audit]\npublic = \n"},
            "pyproject.toml",
            id="broken-pyproject-with-table",
        ),
        pytest.param({"pyproject.toml": "[project\n"}, None, id="broken-pyproject-no-table"),
    ],
)
def test_discover_policy(tmp_path: Path, files: dict[str, str], found: str | None) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert discover_policy(tmp_path) == (None if found is None else tmp_path / found)


def test_discover_ignores_non_utf8_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"# \xff\n")
    assert discover_policy(tmp_path) is None


# ---------------------------------------------------------------------------------------------
# Resolution


LAYERED = """\
trusted_origins = ["https://app.example.com"]
allow_credentials = true
allowed_methods = ["GET", "POST", "PATCH"]
max_age = { min = 600, max = 86400 }

[[override]]
match = "*/api/*"
allowed_methods = ["GET"]
max_age = { max = 60 }

[[override]]
match = "*/api/admin/*"
allowed_methods = ["GET", "DELETE"]
trusted_origins = ["https://admin.example.com"]

[[override]]
match = "https://cdn.example.com/*"
public = true
allow_credentials = false
"""


@pytest.mark.parametrize(
    ("url", "origins", "methods", "credentials", "max_age", "public"),
    [
        pytest.param(
            "https://x.example.com/home",
            ("https://app.example.com",),
            ("GET", "POST", "PATCH"),
            True,
            (600, 86400),
            False,
            id="no-override",
        ),
        pytest.param(
            "https://x.example.com/api/users",
            ("https://app.example.com",),
            ("GET",),
            True,
            (None, 60),  # the max_age table is replaced as a whole
            False,
            id="one-override",
        ),
        pytest.param(
            "https://x.example.com/api/admin/users",
            ("https://admin.example.com",),
            ("GET", "DELETE"),
            True,
            (None, 60),
            False,
            id="later-override-wins",
        ),
        pytest.param(
            "https://cdn.example.com/api/x",
            ("https://app.example.com",),
            ("GET",),
            False,
            (None, 60),
            True,
            id="overrides-stack",
        ),
        pytest.param(
            "https://x.example.com/API/users",
            ("https://app.example.com",),
            ("GET", "POST", "PATCH"),
            True,
            (600, 86400),
            False,
            id="glob-is-case-sensitive",
        ),
        pytest.param(
            "http://cdn.example.com/file",
            ("https://app.example.com",),
            ("GET", "POST", "PATCH"),
            True,
            (600, 86400),
            False,
            id="glob-includes-scheme",
        ),
    ],
)
def test_for_url(
    tmp_path: Path,
    url: str,
    origins: tuple[str, ...],
    methods: tuple[str, ...],
    credentials: bool,
    max_age: tuple[int | None, int | None],
    public: bool,
) -> None:
    effective = load_policy(write(tmp_path, LAYERED)).for_url(url)
    assert effective.trusted_origins == origins
    assert effective.allowed_methods == methods
    assert effective.allow_credentials is credentials
    assert (effective.max_age_min, effective.max_age_max) == max_age
    assert effective.public is public
    assert effective.policy_free is False


def test_unstated_settings_stay_none(tmp_path: Path) -> None:
    effective = load_policy(write(tmp_path, "")).for_url("https://a.com/")
    assert effective == models.EffectivePolicy(trusted_origins=())


@pytest.mark.parametrize(
    ("origin", "trusted"),
    [
        pytest.param("https://app.example.com", True, id="listed"),
        pytest.param("https://x.example.org", True, id="subdomain"),
        pytest.param("https://a.b.example.org:8443", True, id="deep-subdomain-port"),
        pytest.param("https://example.org", False, id="apex-not-subdomain"),
        pytest.param("http://x.example.org", False, id="http-subdomain"),
        pytest.param("https://evilexample.org", False, id="suffix-attack"),
        pytest.param("https://x.example.org.evil.net", False, id="prefix-attack"),
        pytest.param("https://x.example.com", False, id="other-domain"),
    ],
)
def test_trusts_with_subdomains(tmp_path: Path, origin: str, trusted: bool) -> None:
    path = write(
        tmp_path,
        'trusted_origins = ["https://app.example.com"]\ntrust_subdomains_of = ["example.org"]\n',
    )
    assert load_policy(path).for_url("https://api.example.com/").trusts(origin) is trusted


def test_policy_free() -> None:
    effective = policy_free("https://api.example.com")
    assert effective == models.EffectivePolicy(
        trusted_origins=("https://api.example.com",), policy_free=True
    )
    assert effective.trusts("https://api.example.com")
    assert not effective.trusts("https://evil.example.com")


def test_resolved_dict(tmp_path: Path) -> None:
    path = write(tmp_path, LAYERED + '\n[[target]]\nurl = "https://a.com/"\n')
    resolved = resolved_dict(load_policy(path))
    assert json.loads(json.dumps(resolved)) == resolved  # JSON-ready as is
    assert resolved["source"] == str(path)
    assert resolved["policy_free"] is False
    assert resolved["max_age"] == {"min": 600, "max": 86400}
    assert resolved["allowed_headers"] is None
    assert resolved["override"][1] == {  # type: ignore[index]
        "match": "*/api/admin/*",
        "trusted_origins": ["https://admin.example.com"],
        "allowed_methods": ["GET", "DELETE"],
    }
    assert "target" not in resolved


def test_resolved_dict_without_policy() -> None:
    resolved = resolved_dict(None)
    assert resolved["source"] is None
    assert resolved["policy_free"] is True
    assert resolved["override"] == []
    assert set(resolved) == set(resolved_dict(Policy()))


def test_policy_is_frozen() -> None:
    policy = Policy(trusted_origins=("https://a.com",))
    with pytest.raises(ValueError, match="frozen"):
        policy.public = True


# ---------------------------------------------------------------------------------------------
# Starter policy


def test_starter_policy_loads(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, STARTER_POLICY))
    assert policy.trusted_origins
    assert policy.for_url("https://staging.example.com/public/logo.png").public is True
    assert policy.for_url("https://staging.example.com/api").public is False


def test_starter_policy_documents_every_key() -> None:
    for key in (*Policy.model_fields, "match", "url", "method", "site_origin", "min", "max"):
        if key != "source":
            assert key in STARTER_POLICY, key
    assert "[[override]]" in STARTER_POLICY
    assert "# [[target]]" in STARTER_POLICY


def test_starter_policy_target_example_loads_when_uncommented(tmp_path: Path) -> None:
    text = STARTER_POLICY.replace("# [[target]]", "[[target]]")
    for key in ("url", "method", "site_origin"):
        text = text.replace(f"# {key} =", f"{key} =")
    target = load_policy(write(tmp_path, text)).targets[0]
    assert (target.url, target.method, target.site_origin) == (
        "https://staging.example.com/api/posts/20",
        "PATCH",
        "https://api.example.com",
    )


# ---------------------------------------------------------------------------------------------
# The line locator


LOCATOR_TEXT = '''\
# a comment with [brackets] and = signs
"quoted.key" = 1
a.b . c = 2
s = """multi
line [not = a table]
"""
t = \'\'\'lit
eral\'\'\'
arr = [
  1,  # comment ]
  [2, 3],
  { x = 4 },
]
it = { y = { z = 5 }, "w.v" = "\\u00e9" }
d = 1979-05-27 07:32:00
esc = "a\\"b"
mle = """x\\"""y"""
q = ""\"x""\""
[[o]]
k = 1
[o.sub]
m = 2
[[o]]
k = 3
[[o.sub.deep]]
n = 4
'''


@pytest.mark.parametrize(
    ("path", "line"),
    [
        pytest.param(("quoted.key",), 2, id="quoted-key"),
        pytest.param(("a", "b", "c"), 3, id="dotted"),
        pytest.param(("a",), 3, id="dotted-prefix"),
        pytest.param(("t",), 7, id="after-multiline-basic"),
        pytest.param(("arr",), 9, id="array"),
        pytest.param(("arr", 0), 10, id="array-element"),
        pytest.param(("arr", 1), 11, id="nested-array"),
        pytest.param(("arr", 1, 1), 11, id="nested-array-element"),
        pytest.param(("arr", 2, "x"), 12, id="inline-table-in-array"),
        pytest.param(("it", "y", "z"), 14, id="nested-inline"),
        pytest.param(("it", "w.v"), 14, id="inline-quoted-key"),
        pytest.param(("d",), 15, id="datetime"),
        pytest.param(("esc",), 16, id="escaped-quote"),
        pytest.param(("mle",), 17, id="multiline-escaped-quote"),
        pytest.param(("q",), 18, id="multiline-extra-quotes"),
        pytest.param(("o", 0), 19, id="aot-first"),
        pytest.param(("o", 0, "k"), 20, id="aot-first-key"),
        pytest.param(("o", 0, "sub", "m"), 22, id="aot-subtable"),
        pytest.param(("o", 1, "k"), 24, id="aot-second-key"),
        pytest.param(("o", 1, "sub", "deep", 0, "n"), 26, id="nested-aot"),
        pytest.param(("o", 1, "missing"), 23, id="fallback-to-parent"),
        pytest.param(("nothing",), None, id="unknown"),
    ],
)
def test_locator(path: tuple[str | int, ...], line: int | None) -> None:
    import tomllib

    tomllib.loads(LOCATOR_TEXT)  # the locator only ever sees valid TOML
    assert _Locator(LOCATOR_TEXT).line(path) == line


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('a = """never closed', id="unclosed-multiline"),
        pytest.param("a = [1,\n", id="unclosed-array"),
        pytest.param("a = {b = 1", id="unclosed-inline"),
        pytest.param("[[t", id="unclosed-header"),
        pytest.param('k = "\\e"', id="toml-only-escape"),
        pytest.param("[a = 1", id="punctuation-in-header"),
    ],
)
def test_locator_survives_truncated_input(text: str) -> None:
    assert _Locator(text).line(("a",)) in (None, 1)


@given(st.text())
def test_locator_never_fails(text: str) -> None:
    line = _Locator(text).line(("a",))
    assert line is None or 1 <= line <= text.count("\n") + 1


# ---------------------------------------------------------------------------------------------
# The [scan] table: checked against the settings table


def test_the_scan_table_is_checked_against_the_settings_table(tmp_path: Path) -> None:
    path = write(tmp_path, '[scan]\nconcurrency = 4\njson = "out/r.json"\nrate = 20\n')
    stated = load_policy(path, SETTINGS).scan
    assert stated is not None
    assert stated.value(settings.CONCURRENCY) == 4
    assert stated.value(settings.RATE) == 20.0
    assert stated.value(SETTINGS[3]) == "out/r.json"  # the json report's row
    assert stated.value(settings.TIMEOUT) is None


@pytest.mark.parametrize(
    ("table", "key", "expected"),
    [
        pytest.param("concurrency = 0", "scan.concurrency", "a whole number >= 1", id="count"),
        pytest.param("retries = -1", "scan.retries", "a whole number >= 0", id="retries"),
        pytest.param('timeout = "x"', "scan.timeout", "", id="seconds"),
        pytest.param('fail_on = "x"', "scan.fail_on", "one of critical, high", id="choice"),
        pytest.param('browser_mode = "x"', "scan.browser_mode", '"chromium" or "spec"', id="mode"),
        pytest.param("sarif = 3", "scan.sarif", "a file path", id="report-path"),
        pytest.param('cookie = "a=1"', "scan.cookie", "one of json, html, sarif", id="not-a-key"),
    ],
)
def test_a_bad_scan_value_names_key_and_what_was_expected(
    tmp_path: Path, table: str, key: str, expected: str
) -> None:
    path = write(tmp_path, "# policy\n[scan]\n" + table + "\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(path, SETTINGS)
    assert caught.value.line == 3
    assert caught.value.key == key
    assert expected in (caught.value.expected or "")


def test_only_rows_with_a_kind_are_scan_keys(tmp_path: Path) -> None:
    keys = [row.key for row in SETTINGS if row.key is not None]
    assert "json" in keys
    assert "concurrency" in keys
    assert not {"cookie", "header", "policy", "urls", "label"} & set(keys)
    path = write(tmp_path, '[scan]\nlabel = "x"\n')
    with pytest.raises(PolicyError, match='unknown key "label"'):
        load_policy(path, SETTINGS)


def test_without_the_applications_table_the_inputs_rows_are_the_keys(tmp_path: Path) -> None:
    # The report formats' rows come from the format registry, a later stage: the application
    # (app/settings.py) gives them to the loader.
    stated = load_policy(write(tmp_path, "[scan]\nconcurrency = 2\n")).scan
    assert stated is not None
    assert stated.value(settings.CONCURRENCY) == 2
    with pytest.raises(PolicyError, match='unknown key "json"'):
        load_policy(write(tmp_path, '[scan]\njson = "r.json"\n'))
    with pytest.raises(PolicyError, match="a table written"):
        load_policy(write(tmp_path, "scan = 3\n"))


def test_every_kind_has_one_validation_and_hint() -> None:
    assert set(_SCAN_KINDS) == set(settings.Kind)


def test_the_starter_scan_block_comes_from_the_table() -> None:
    block = STARTER_POLICY.split("# [scan]\n", 1)[1]
    assert f"# concurrency = {settings.CONCURRENCY.default}\n" in block
    assert f'# fail_on = "{settings.FAIL_ON.default}"' in block
    assert " | ".join(settings.FAIL_ON_CHOICES) in block
    assert f'# baseline = "{settings.BASELINE_FILE_NAME}"' in block
    assert '# sarif = "reports/cors-audit.sarif"' in block
    for key in settings.STARTER_KEYS:
        assert f"# {key} = " in block


def test_the_starter_scan_block_loads_when_uncommented(tmp_path: Path) -> None:
    block = STARTER_POLICY.split("# [scan]\n", 1)[1]
    text = "[scan]\n" + "".join(line.removeprefix("# ") + "\n" for line in block.splitlines())
    stated = load_policy(write(tmp_path, text), SETTINGS).scan
    assert stated is not None
    assert stated.value(settings.CONCURRENCY) == settings.CONCURRENCY.default
