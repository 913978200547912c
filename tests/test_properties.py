"""Property tests: bad input never breaks a stage, and the browser model stays consistent.

- The policy loader, on arbitrary TOML documents (nested tables, arrays, scalars; keys mostly
  from the real schema so validation runs deep), arbitrary text and arbitrary bytes, returns a
  `Policy` or raises `PolicyError`, never anything else.
- The browser model, on arbitrary response header lists (any text, repeats, any
  case), returns verdicts without raising, and including credentials never makes a read
  possible that is impossible without them. BROWSER-MODEL.md §2.1 (the CORS check adds
  ``ACAO != *`` and ``ACAC == true`` for include, nothing is relaxed), §3.3 (``*`` in ACAM/ACAH
  counts only without include) and §4 (``*`` in ACEH exposes all only without include) make
  that monotonic for a server that answers the same whatever cookies it gets.
- Probe origins derived from arbitrary hostnames, IPs and ports are all browser-sendable.
- Target parsing of arbitrary strings yields a canonical target or a `UsageError`.

Example counts come from ``support.hypothesis_profiles`` (``HYPOTHESIS_PROFILE``; ``ci`` under CI).
"""

from __future__ import annotations

import io
import ipaddress
import json
import math
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from support import hypothesis_profiles  # noqa: F401  (registers and loads the profile)

from cors_audit.browser import (
    FetchOutcome,
    PreflightVerdict,
    SimRequest,
    SimResponse,
    WireRequest,
    cors_check,
    exposed_header_names,
    is_browser_sendable_origin,
    max_age,
    preflight_check,
    simulate_fetch,
)
from cors_audit.core.errors import PolicyError, UsageError
from cors_audit.core.models import EffectivePolicy
from cors_audit.inputs.policy import Policy, load_policy
from cors_audit.inputs.targets import collect_targets, normalize_url
from cors_audit.probing.origins import probe_origins

# -- a tiny TOML writer (tomli_w is not a dependency) ----------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_MUST_ESCAPE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def toml_string(text: str) -> str:
    """A TOML basic string (json's escapes are TOML's, plus DEL which json leaves raw)."""
    quoted = json.dumps(text, ensure_ascii=False)
    return _MUST_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    raise TypeError(type(value))


def toml_document(data: dict[str, Any], *, sections: bool) -> str:
    """``data`` as TOML: every value inline, or (``sections``) top-level tables as ``[name]``
    and arrays of tables as ``[[name]]`` the way people write policy files."""
    lines: list[str] = []
    later: list[str] = []
    for key, value in data.items():
        if sections and isinstance(value, dict):
            later.append(f"[{toml_key(key)}]")
            later.extend(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        elif (
            sections
            and isinstance(value, list)
            and value
            and all(isinstance(v, dict) for v in value)
        ):
            for table in value:
                later.append(f"[[{toml_key(key)}]]")
                later.extend(f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items())
        else:
            lines.append(f"{toml_key(key)} = {toml_value(value)}")
    return "\n".join([*lines, *later]) + "\n"


# -- policy documents ------------------------------------------------------------------------

POLICY_KEYS = (
    "trusted_origins",
    "trust_subdomains_of",
    "allow_credentials",
    "allowed_methods",
    "allowed_headers",
    "expose_headers",
    "max_age",
    "min",
    "max",
    "public",
    "override",
    "match",
    "target",
    "url",
    "method",
    "site_origin",
    "scan",
    "fail_on",
    "rate",
    "timeout",
    "json",
    "source",
    "tool",
    "cors-audit",
)
INTERESTING = (
    "https://app.example.com",
    "https://APP.example.com:443/",
    "http://[::1]:8080",
    "null",
    "*",
    "example.com",
    "*.example.com",
    "GET",
    "patch",
    "X-Api-Key",
    "20/s",
    "high",
    "https://api.example.com/v1/*",
    "",
    " ",
    "\u00e9xample.com",
    "xn--",
)

keys = st.one_of(st.sampled_from(POLICY_KEYS), st.text(max_size=10))
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.sampled_from(INTERESTING),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=16,
)
documents = st.dictionaries(keys, values, max_size=6)


_SCRATCH: dict[str, Path] = {}


def scratch(factory: pytest.TempPathFactory, name: str) -> Path:
    """One folder per test, reused by every example (the file in it is overwritten)."""
    if name not in _SCRATCH:
        _SCRATCH[name] = factory.mktemp(name)
    return _SCRATCH[name]


def load_or_policy_error(path: Path) -> Policy | PolicyError:
    try:
        return load_policy(path)
    except PolicyError as error:
        text = str(error)
        assert text.startswith(str(path)), text
        assert "Traceback" not in text
        return error


@given(data=documents, sections=st.booleans(), pyproject=st.booleans())
@example(data={"trusted_origins": ["https://app.example.com"]}, sections=False, pyproject=False)
def test_policy_loader_on_any_toml_document(
    tmp_path_factory: pytest.TempPathFactory,
    data: dict[str, Any],
    sections: bool,
    pyproject: bool,
) -> None:
    folder = scratch(tmp_path_factory, "policy")
    if pyproject:
        text = toml_document({"tool": {"cors-audit": data}}, sections=False)
        path = folder / "pyproject.toml"
    else:
        text = toml_document(data, sections=sections)
        path = folder / "cors-policy.toml"
    path.write_text(text, encoding="utf-8")

    outcome = load_or_policy_error(path)

    if isinstance(outcome, Policy):
        assert outcome.source == str(path)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        pytest.param("interval = 5\n", "interval", id="interval"),
        pytest.param("int = []\n", "int", id="int"),
        pytest.param("[scan]\nstrict = true\n", "strict", id="scan-strict"),
    ],
)
def test_unknown_key_that_looks_like_a_union_tag(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "cors-policy.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(PolicyError, match=f'unknown key "{key}"'):
        load_policy(path)


@given(raw=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)))
def test_policy_loader_on_any_bytes(tmp_path_factory: pytest.TempPathFactory, raw: bytes) -> None:
    path = scratch(tmp_path_factory, "policy-bytes") / "cors-policy.toml"
    path.write_bytes(raw)

    load_or_policy_error(path)


# -- the browser model -----------------------------------------------------------------------

ORIGIN = "http://a.test:8000"
CORS_NAMES = (
    "Access-Control-Allow-Origin",
    "access-control-allow-origin",
    "ACCESS-CONTROL-ALLOW-CREDENTIALS",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
    "Location",
    "Vary",
    "Set-Cookie",
    "X-Secret",
    "Content-Type",
    "Cache-Control",
)
CORS_VALUES = (
    ORIGIN,
    "*",
    "null",
    "true",
    "True",
    " true ",
    "true, true",
    "GET, PUT",
    "put",
    "*, X-Foo",
    "x-foo",
    "Authorization",
    "600",
    "-1",
    "99999999999999999999",
    " 5 ",
    "http://b.test:8000/next",
    "http://a.test:8000/back",
    "http://user:pw@b.test:8000/",
    "ftp://x.test/",
    "",
    ",",
    '"x"',
)

header_names = st.one_of(st.sampled_from(CORS_NAMES), st.text(max_size=12))
header_values = st.one_of(st.sampled_from(CORS_VALUES), st.text(max_size=24))
header_lists = st.lists(st.tuples(header_names, header_values), max_size=8)
statuses = st.one_of(
    st.sampled_from((200, 204, 301, 302, 304, 307, 308, 400, 500)), st.integers(200, 599)
)
methods = st.one_of(
    st.sampled_from(("GET", "POST", "PUT", "patch", "DELETE", "OPTIONS")), st.text(max_size=8)
)
unsafe_names = st.lists(
    st.one_of(st.sampled_from(("x-foo", "authorization", "content-type")), st.text(max_size=8)),
    max_size=3,
)
request_origins = st.sampled_from((ORIGIN, "null", "https://b.test"))


@given(origin=request_origins, headers=header_lists)
def test_cors_check_is_total_and_credentials_only_restrict(
    origin: str, headers: list[tuple[str, str]]
) -> None:
    verdicts = {mode: cors_check(origin, mode, headers) for mode in ("omit", "include")}

    for verdict in verdicts.values():
        assert verdict.allowed is (verdict.error is None)
    if verdicts["include"].allowed:
        assert verdicts["omit"].allowed


@given(
    origin=request_origins,
    method=methods,
    names=unsafe_names,
    status=statuses,
    headers=header_lists,
    mode=st.sampled_from(("chromium", "spec")),
)
def test_preflight_check_is_total_and_credentials_only_restrict(
    origin: str,
    method: str,
    names: list[str],
    status: int,
    headers: list[tuple[str, str]],
    mode: Any,
) -> None:
    def check(credentials: Any) -> PreflightVerdict:
        return preflight_check(origin, credentials, method, names, status, headers, mode)

    omit, include = check("omit"), check("include")

    for verdict in (omit, include):
        assert verdict.allowed is (verdict.error is None)
    if include.allowed:
        assert omit.allowed


@given(headers=header_lists)
def test_max_age_and_exposure_are_total_and_bounded(headers: list[tuple[str, str]]) -> None:
    caps = {"chromium": 7200, "webkit": 600, "firefox": 86400}
    for engine, cap in caps.items():
        seconds = max_age(headers, engine)  # type: ignore[arg-type]
        assert seconds is None or 0 <= seconds <= cap, (engine, seconds)
    assert isinstance(max_age(headers, "spec"), int)

    omit = exposed_header_names(headers, "omit")
    include = exposed_header_names(headers, "include")
    present = {name.lower() for name, _ in headers}
    assert include <= omit <= present
    assert "set-cookie" not in omit


def stable_pick(options: list[SimResponse], *key: object) -> SimResponse:
    """A response chosen by the request alone (never by its cookies), the same on every run."""
    return options[zlib.crc32(repr(key).encode()) % len(options)]


responses = st.lists(
    st.builds(SimResponse, status=statuses, headers=header_lists.map(tuple)),
    min_size=1,
    max_size=4,
)
request_headers = st.lists(
    st.tuples(
        st.sampled_from(("Content-Type", "X-Foo", "Authorization", "Accept", "Range")),
        st.sampled_from(("application/json", "text/plain", "1", "bytes=0-1", "Bearer x")),
    ),
    max_size=2,
)


@given(
    preflights=responses,
    actuals=responses,
    method=methods,
    headers=request_headers,
    url=st.sampled_from(("http://b.test:8000/x", "http://a.test:8000/x", "https://c.test/y")),
    initiator=st.sampled_from((ORIGIN, "null")),
    mode=st.sampled_from(("chromium", "spec")),
)
def test_simulate_fetch_is_total_and_credentials_only_restrict(
    preflights: list[SimResponse],
    actuals: list[SimResponse],
    method: str,
    headers: list[tuple[str, str]],
    url: str,
    initiator: str,
    mode: Any,
) -> None:
    def server(wire: WireRequest) -> SimResponse:
        table = preflights if wire.preflight else actuals
        return stable_pick(table, wire.method, wire.url, wire.origin, wire.acrm, wire.acrh)

    def fetch(credentials: Any) -> FetchOutcome:
        request = SimRequest(url, initiator, method, tuple(headers), credentials=credentials)
        return simulate_fetch(request, server, mode=mode)

    omit, include = fetch("omit"), fetch("include")

    for outcome in (omit, include):
        if outcome.allowed:
            assert outcome.error is None
            assert outcome.response_type != "error"
        assert len(outcome.wire) <= 2 * 21  # a preflight and an actual per hop, 20 redirects
    if include.allowed:
        assert omit.allowed, (omit, include)
        if omit.response == include.response:
            assert include.readable_headers <= omit.readable_headers


# -- probe origins ---------------------------------------------------------------------------

label_chars = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-")
dns_labels = st.text(label_chars, min_size=1, max_size=12)
hostnames = st.one_of(
    st.lists(dns_labels, min_size=1, max_size=4).map(".".join),
    st.text(min_size=1, max_size=20),  # anything, IDN included
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda ip: f"[{ip}]"),
    st.integers(0, 2**32 - 1).map(str),  # a bare number is an IPv4 address to a browser
    st.sampled_from(
        ("localhost", "LOCALHOST", "0x7f.1", "b\u00fccher.example", "xn--nxasmq6b.com")
    ),
)
ports = st.one_of(st.none(), st.integers(0, 70000))


@given(
    scheme=st.sampled_from(("http", "https", "HTTP")),
    host=hostnames,
    port=ports,
    trust_subdomains=st.lists(hostnames, max_size=2),
    free=st.booleans(),
)
def test_probe_origins_are_browser_sendable(
    scheme: str, host: str, port: int | None, trust_subdomains: list[str], free: bool
) -> None:
    site = f"{scheme}://{host}" + ("" if port is None else f":{port}")
    policy = EffectivePolicy(
        trusted_origins=(site, "https://app.example.com"),
        trust_subdomains_of=tuple(trust_subdomains),
        policy_free=free,
    )
    try:
        found = probe_origins(site, policy, "x1y2z3w4v5")
    except ValueError:
        return  # a site origin that no browser would produce: refused with a message
    assert found
    for origin in found:
        assert is_browser_sendable_origin(origin.value), (site, origin)


@pytest.mark.parametrize("origin", ["http://0xg", "https://api.0xfoo", "http://a.0x-b:8080"])
def test_zero_x_domain_labels_are_sendable(origin: str) -> None:
    assert is_browser_sendable_origin(origin)


# -- targets ---------------------------------------------------------------------------------

url_like = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
        st.sampled_from(("http", "https", "HTTPS", "ftp", "")),
        hostnames,
        st.one_of(
            st.just(""), ports.map(lambda p: "" if p is None else f":{p}"), st.text(max_size=6)
        ),
        st.text(max_size=20),
    ),
)


@given(raw=url_like)
@example(raw="http://[::1]:8080/a b")
@example(raw="https://example.com:443/#frag")
def test_normalize_url_yields_a_canonical_target_or_a_target_error(raw: str) -> None:
    try:
        url = normalize_url(raw)
    except UsageError as error:
        refused = str(error)
    else:
        refused = None
    if refused is not None:
        assert refused.startswith("argument: invalid target")
        return
    assert url.startswith(("http://", "https://"))
    assert normalize_url(url) == url  # canonical: normalizing again changes nothing
    host = url.split("://", 1)[1].split("/", 1)[0]
    if host.startswith("["):
        ipaddress.IPv6Address(host[1 : host.index("]")])


@given(urls=st.lists(url_like, max_size=3), lines=st.text(max_size=200), method=methods)
def test_collect_targets_yields_targets_or_a_usage_error(
    urls: list[str], lines: str, method: str
) -> None:
    try:
        targets = collect_targets(urls, ["-"], [], method=method, stdin=io.StringIO(lines))
    except UsageError as error:
        refused = str(error)
    else:
        refused = None
    if refused is not None:
        assert refused.strip()
        return
    keys = [(target.url, target.method) for target in targets]
    assert len(keys) == len(set(keys))
    for target in targets:
        assert normalize_url(target.url) == target.url
