"""Credentials without the command line: --header-file, CORS_AUDIT_HEADER_<NAME>, --cookie-file.

Unit tests of `cors_audit.inputs.auth`, then end-to-end scans of a loopback server that records what
it receives: the credentials reach credentialed actual requests only and never any output.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import assert_clean, invoke

from cors_audit.core.errors import UsageError
from cors_audit.demo.lab import DemoLab, Endpoint, Reply, RequestView
from cors_audit.inputs.auth import cookie_from_jar, headers_from_env, read_header_file

pytestmark = pytest.mark.usefixtures("cli_isolated", "scan_in_worker_thread")

SECRET = "S3CR3T-tok-91f2"
COOKIE_SECRET = "S3CR3T-cookie-77a1"


def jar(lines: list[str]) -> Path:
    path = Path("cookies.txt")
    path.write_text("# Netscape HTTP Cookie File\n" + "".join(line + "\n" for line in lines))
    return path


def cookie_line(domain: str, name: str, value: str, *, path: str = "/", secure: bool = False,
                expires: int | None = None) -> str:  # fmt: skip
    flag = "TRUE" if domain.startswith(".") else "FALSE"
    when = expires if expires is not None else int(time.time()) + 3600
    return "\t".join((domain, flag, path, "TRUE" if secure else "FALSE", str(when), name, value))


# -- unit ----------------------------------------------------------------------------------------


def test_header_file_lines_comments_and_errors() -> None:
    path = Path("h.txt")
    path.write_text(f"# auth\n\nAuthorization: Bearer {SECRET}\nX-Api-Key:  k1 \n")
    assert read_header_file(path) == (("Authorization", f"Bearer {SECRET}"), ("X-Api-Key", "k1"))
    for text, message in (
        (f"Authorization {SECRET}\n", "h.txt:1: expected 'Name: value'"),
        (f"Bad Name: {SECRET}\n", "h.txt:1: 'Bad Name' is not a valid header name"),
        (f"Origin: {SECRET}\n", "h.txt:1: the Origin header is set by cors-audit"),
    ):
        path.write_text(text)
        with pytest.raises(UsageError) as error:
            read_header_file(path)
        assert message in str(error.value)
        assert SECRET not in str(error.value)
    with pytest.raises(UsageError, match="header file not found"):
        read_header_file(Path("absent.txt"))
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(UsageError, match="cannot read the header file"):
        read_header_file(path)


def test_headers_from_env() -> None:
    env = {
        "CORS_AUDIT_HEADER_X_API_KEY": SECRET,
        "CORS_AUDIT_HEADER_AUTHORIZATION": "Bearer t",
        "CORS_AUDIT_HEADER": "ignored: this is the -H variable",
        "CORS_AUDIT_HEADER_": "ignored",
        "OTHER": "x",
    }
    assert headers_from_env(env) == (("Authorization", "Bearer t"), ("X-Api-Key", SECRET))
    with pytest.raises(UsageError) as error:
        headers_from_env({"CORS_AUDIT_HEADER_X": "a\nb"})
    assert "CORS_AUDIT_HEADER_X" in str(error.value)
    assert "a\nb" not in str(error.value)


def test_cookie_jar_matches_like_a_browser() -> None:
    path = jar(
        [
            cookie_line("127.0.0.1", "session", COOKIE_SECRET),
            cookie_line("127.0.0.1", "admin", "1", path="/admin"),
            cookie_line("127.0.0.1", "old", "1", expires=1),
            cookie_line("other.example", "other", "1"),
        ]
    )
    assert cookie_from_jar(path, ["http://127.0.0.1:8000/api"]) == f"session={COOKIE_SECRET}"
    assert cookie_from_jar(path, ["http://other.example/x"]) == "other=1"
    assert cookie_from_jar(path, ["http://none.example/"]) is None
    with pytest.raises(UsageError, match="different cookies"):
        cookie_from_jar(path, ["http://127.0.0.1:8000/api", "http://other.example/x"])
    Path("bad.txt").write_text("not a jar")
    with pytest.raises(UsageError, match="not a Netscape cookie jar"):
        cookie_from_jar(Path("bad.txt"), ["http://127.0.0.1/"])
    with pytest.raises(UsageError, match="cookie file not found"):
        cookie_from_jar(Path("absent.txt"), ["http://127.0.0.1/"])


# -- end to end ----------------------------------------------------------------------------------


@pytest.fixture
def recording() -> Iterator[tuple[DemoLab, list[RequestView]]]:
    seen: list[RequestView] = []

    def handler(request: RequestView) -> Reply:
        seen.append(request)
        lines: list[tuple[str, str]] = [("Vary", "Origin")]
        if request.origin is not None:
            lines += [("Access-Control-Allow-Origin", request.origin),
                      ("Access-Control-Allow-Credentials", "true")]  # fmt: skip
        return Reply(200, (("Content-Type", "application/json"), *lines), b"{}")

    with DemoLab(endpoints=[Endpoint("/me", "me", "GET", frozenset(), handler)]) as lab:
        yield lab, seen


def test_credentials_from_files_and_env_reach_actual_requests_and_no_output(
    recording: tuple[DemoLab, list[RequestView]],
) -> None:
    lab, seen = recording
    Path("h.txt").write_text(f"Authorization: Bearer {SECRET}\n")
    jar([cookie_line("127.0.0.1", "session", COOKIE_SECRET)])
    result = invoke(
        "scan", lab.url("/me"), "--header-file", "h.txt", "--cookie-file", "cookies.txt",
        "--json", "r.json", "--html", "r.html", "--sarif", "r.sarif", "--markdown", "r.md",
        "--junit", "r.xml", "-v",
        env={"CORS_AUDIT_HEADER_X_API_KEY": "k-" + SECRET},
    )  # fmt: skip
    assert_clean(result)
    assert result.exit_code == 1, result.output
    credentialed = [r for r in seen if r.get_all("Authorization")]
    assert credentialed
    for request in credentialed:
        assert request.method != "OPTIONS"  # preflights never carry credentials
        assert request.get_all("Authorization") == (f"Bearer {SECRET}",)
        assert request.get_all("X-Api-Key") == ("k-" + SECRET,)
        assert request.get_all("Cookie") == (f"session={COOKIE_SECRET}",)
    outputs = [result.stdout, result.stderr]
    outputs += [Path(name).read_text(encoding="utf-8") for name in
                ("r.json", "r.html", "r.sarif", "r.md", "r.xml")]  # fmt: skip
    for text in outputs:
        assert SECRET not in text
        assert COOKIE_SECRET not in text
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    assert any(f["credentialed"] for f in report["findings"])


def test_cors_audit_header_keeps_spaces_and_takes_one_header_per_line(
    recording: tuple[DemoLab, list[RequestView]],
) -> None:
    lab, seen = recording
    env = {"CORS_AUDIT_HEADER": f"Authorization: Bearer {SECRET}\nX-Trace: a b c\n"}
    result = invoke("scan", lab.url("/me"), "-q", env=env)
    assert_clean(result)
    assert result.exit_code == 1, result.output
    credentialed = [r for r in seen if r.get_all("Authorization")]
    assert credentialed
    assert credentialed[0].get_all("Authorization") == (f"Bearer {SECRET}",)
    assert credentialed[0].get_all("X-Trace") == ("a b c",)


def test_cookie_and_cookie_file_together_is_a_usage_error(
    recording: tuple[DemoLab, list[RequestView]],
) -> None:
    lab, _ = recording
    jar([cookie_line("127.0.0.1", "session", COOKIE_SECRET)])
    result = invoke("scan", lab.url("/me"), "--cookie", "a=1", "--cookie-file", "cookies.txt")
    assert_clean(result)
    assert result.exit_code == 2
    assert "either --cookie or --cookie-file" in result.stderr
