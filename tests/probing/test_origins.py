"""Tests for cors_audit.probing.origins: origin parsing/serialization and the probe-origin set."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cors_audit.core.models import EffectivePolicy, OriginClass, ProbeOrigin
from cors_audit.core.origin import (
    THIRD_PARTY_PLATFORMS,
    canonical_host,
    is_ip,
    is_sendable,
    normalize_origin,
    parse_origin,
    registrable_domain,
    serialize_origin,
)
from cors_audit.probing.origins import LABEL_LENGTH, MAX_BASES, MAX_CANDIDATES, new_label
from cors_audit.probing.origins import probe_origins as compact_origins

LABEL = "k3qz8w1xab"


def probe_origins(site: str, pol: EffectivePolicy, label: str) -> tuple[ProbeOrigin, ...]:
    """Every variant (``--thorough``): most tests here check the full derivation."""
    return compact_origins(site, pol, label, thorough=True)


OTHER_LABEL = "m0pp4r7stu"


def by_class(origins: tuple[ProbeOrigin, ...]) -> dict[OriginClass, list[str]]:
    out: dict[OriginClass, list[str]] = {}
    for origin in origins:
        out.setdefault(origin.cls, []).append(origin.value)
    return out


def policy(*trusted: str, subdomains: tuple[str, ...] = (), free: bool = False) -> EffectivePolicy:
    return EffectivePolicy(
        trusted_origins=trusted, trust_subdomains_of=subdomains, policy_free=free
    )


# -- new_label -----------------------------------------------------------------------------------


def test_new_label_shape() -> None:
    for _ in range(200):
        label = new_label()
        assert len(label) == LABEL_LENGTH
        assert label[0] in string.ascii_lowercase
        assert set(label) <= set(string.ascii_lowercase + string.digits)


def test_new_label_seeded_rng_is_reproducible_and_labels_differ() -> None:
    assert new_label(random.Random(7)) == new_label(random.Random(7))
    assert len({new_label() for _ in range(50)}) == 50


# -- canonical_host ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        pytest.param("Example.COM", "example.com", id="lowercase"),
        pytest.param("my_app.example.com", "my_app.example.com", id="underscore"),
        pytest.param("example.com.", "example.com.", id="trailing-dot-kept"),
        pytest.param("bücher.example", "xn--bcher-kva.example", id="idn"),
        pytest.param("BÜCHER.example", "xn--bcher-kva.example", id="idn-uppercase"),
        pytest.param(
            "\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\u3002com",
            "example.com",
            id="fullwidth-mapped",
        ),
        pytest.param("faß.de", "xn--fa-hia.de", id="nontransitional-sharp-s"),
        pytest.param("xn--bcher-kva.example", "xn--bcher-kva.example", id="punycode-kept"),
        pytest.param("127.0.0.1", "127.0.0.1", id="ipv4"),
        pytest.param("127.1", "127.0.0.1", id="ipv4-short"),
        pytest.param("0x7f.0.0.1", "127.0.0.1", id="ipv4-hex"),
        pytest.param("0177.0.0.1", "127.0.0.1", id="ipv4-octal"),
        pytest.param("2130706433", "127.0.0.1", id="ipv4-integer"),
        pytest.param("127.0.0.1.", "127.0.0.1", id="ipv4-trailing-dot"),
        pytest.param("0x", "0.0.0.0", id="ipv4-bare-hex-prefix"),
        pytest.param("[::1]", "[::1]", id="ipv6-loopback"),
        pytest.param("::1", "[::1]", id="ipv6-unbracketed"),
        pytest.param("[2001:DB8:0:0:1:0:0:1]", "[2001:db8::1:0:0:1]", id="ipv6-first-longest"),
        pytest.param("[1:0:0:2:0:0:3:4]", "[1::2:0:0:3:4]", id="ipv6-tie-first-wins"),
        pytest.param("[1:0:2:3:4:5:6:7]", "[1:0:2:3:4:5:6:7]", id="ipv6-single-zero-kept"),
        pytest.param("[0:0:0:0:0:0:0:0]", "[::]", id="ipv6-all-zero"),
        pytest.param("[1:2:3:4:5:6:7:0]", "[1:2:3:4:5:6:7:0]", id="ipv6-trailing-single"),
        pytest.param("[1:2:3:4:5:0:0:0]", "[1:2:3:4:5::]", id="ipv6-trailing-run"),
        pytest.param("[::ffff:127.0.0.1]", "[::ffff:7f00:1]", id="ipv6-mapped-hex"),
    ],
)
def test_canonical_host(host: str, expected: str) -> None:
    assert canonical_host(host) == expected


@pytest.mark.parametrize(
    ("host", "match"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("[::1", "unterminated", id="ipv6-unterminated"),
        pytest.param("[fe80::1%eth0]", "zone", id="ipv6-zone"),
        pytest.param("[::g]", "invalid IPv6", id="ipv6-bad"),
        pytest.param("256.0.0.1", "out of range", id="ipv4-octet-range"),
        pytest.param("1.2.3.4294967296", "out of range", id="ipv4-last-range"),
        pytest.param("1.2.3.4.5", "invalid IPv4", id="ipv4-five-parts"),
        pytest.param("09.0.0.1", "invalid IPv4", id="ipv4-bad-octal"),
        pytest.param("1..2.3", "invalid IPv4", id="ipv4-empty-part"),
        pytest.param("foo.1", "invalid IPv4", id="ends-in-number"),
        pytest.param("a..b", "empty label", id="empty-label"),
        pytest.param("a" * 64 + ".com", "longer than 63", id="long-label"),
        pytest.param(".".join(["a" * 60] * 5), "longer than 253", id="long-name"),
        pytest.param("a`b.com", "contains", id="backtick"),
        pytest.param("a}b.com", "contains", id="brace"),
        pytest.param("a%60b.com", "contains", id="percent"),
        pytest.param("xn--a.com", "punycode", id="bad-punycode"),
        pytest.param("☃.net", "internationalized", id="idna2008-disallowed"),
    ],
)
def test_canonical_host_rejects(host: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        canonical_host(host)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        pytest.param("127.0.0.1", True, id="ipv4"),
        pytest.param("[::1]", True, id="ipv6"),
        pytest.param("example.com", False, id="domain"),
        pytest.param("localhost", False, id="localhost"),
    ],
)
def test_is_ip(host: str, expected: bool) -> None:
    assert is_ip(host) is expected


# -- parse / serialize ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("https://example.com", ("https", "example.com", None), id="plain"),
        pytest.param("HTTPS://Example.COM", ("https", "example.com", None), id="case"),
        pytest.param("https://example.com:443", ("https", "example.com", None), id="default-port"),
        pytest.param("http://example.com:80", ("http", "example.com", None), id="default-http"),
        pytest.param(
            "http://example.com:443", ("http", "example.com", 443), id="https-port-on-http"
        ),
        pytest.param("https://example.com:8443", ("https", "example.com", 8443), id="port"),
        pytest.param("https://bücher.example", ("https", "xn--bcher-kva.example", None), id="idn"),
        pytest.param("http://[::1]:8080", ("http", "[::1]", 8080), id="ipv6-port"),
        pytest.param("http://[0:0::1]", ("http", "[::1]", None), id="ipv6-compress"),
        pytest.param("http://127.1:8765", ("http", "127.0.0.1", 8765), id="ipv4-short"),
        pytest.param("chrome-extension://abcdef", ("chrome-extension", "abcdef", None), id="ext"),
        pytest.param("wss://example.com:443", ("wss", "example.com", None), id="wss-default"),
    ],
)
def test_parse_origin(value: str, expected: tuple[str, str, int | None]) -> None:
    assert parse_origin(value) == expected


@pytest.mark.parametrize(
    ("value", "match"),
    [
        pytest.param("null", "opaque", id="null"),
        pytest.param("", "scheme://host", id="empty"),
        pytest.param("example.com", "scheme://host", id="no-scheme"),
        pytest.param("://example.com", "scheme://host", id="empty-scheme"),
        pytest.param("1http://example.com", "invalid scheme", id="bad-scheme"),
        pytest.param("file://host", "opaque", id="file"),
        pytest.param("https://example.com/", "did you mean 'https://example.com'", id="slash"),
        pytest.param("https://example.com/path", "path", id="path"),
        pytest.param("https://example.com?q", "path, query", id="query"),
        pytest.param("https://example.com#f", "fragment", id="fragment"),
        pytest.param("https://user@example.com", "userinfo", id="userinfo"),
        pytest.param("https://example.com:", "invalid port", id="empty-port"),
        pytest.param("https://example.com:x1", "invalid port", id="alpha-port"),
        pytest.param("https://example.com:99999", "above 65535", id="big-port"),
        pytest.param("https://example.com:٣", "invalid port", id="unicode-digit-port"),
        pytest.param("https://[::1]x", "after the IPv6", id="ipv6-junk"),
        pytest.param("https://[::1", "unterminated", id="ipv6-open"),
        pytest.param("https://exa mple.com", "whitespace", id="space"),
        pytest.param("https://example.com\n", "whitespace", id="newline"),
        pytest.param("https://ex\x7fample.com", "control", id="del"),
        pytest.param("https://", "empty", id="no-host"),
    ],
)
def test_parse_origin_rejects(value: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_origin(value)


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        pytest.param(("https", "example.com", None), "https://example.com", id="plain"),
        pytest.param(("HTTPS", "Example.com", 443), "https://example.com", id="normalized"),
        pytest.param(("http", "::1", 8080), "http://[::1]:8080", id="bare-ipv6"),
        pytest.param(("http", "bücher.example", 81), "http://xn--bcher-kva.example:81", id="idn"),
        pytest.param(("http", "example.com", 0), "http://example.com:0", id="port-zero"),
    ],
)
def test_serialize_origin(parts: tuple[str, str, int | None], expected: str) -> None:
    assert serialize_origin(*parts) == expected


@pytest.mark.parametrize(
    ("parts", "match"),
    [
        pytest.param(("", "example.com", None), "scheme", id="empty-scheme"),
        pytest.param(("h_t", "example.com", None), "scheme", id="bad-scheme"),
        pytest.param(("data", "example.com", None), "opaque", id="opaque"),
        pytest.param(("https", "example.com", 70000), "port", id="big-port"),
        pytest.param(("https", "example.com", -1), "port", id="negative-port"),
        pytest.param(("https", "a b", None), "contains", id="bad-host"),
    ],
)
def test_serialize_origin_rejects(parts: tuple[str, str, int | None], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        serialize_origin(*parts)


def test_normalize_origin() -> None:
    assert normalize_origin("null") == "null"
    assert normalize_origin("HTTP://LOCALHOST:80") == "http://localhost"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("null", True, id="null"),
        pytest.param("https://example.com", True, id="plain"),
        pytest.param("https://app.example.com_.x-attacker.net", True, id="underscore"),
        pytest.param("https://app.example.com-.x-attacker.net", True, id="hyphen"),
        pytest.param("http://127.0.0.1.x-attacker.net:8765", True, id="ipv4-prefix-name"),
        pytest.param("http://[::1]:8080", True, id="ipv6"),
        pytest.param("Null", False, id="null-case"),
        pytest.param("HTTPS://EVIL.COM", False, id="uppercase"),
        pytest.param("https://example.com/", False, id="slash"),
        pytest.param("https://example.com:443", False, id="default-port"),
        pytest.param("https://example.com.evil.com/", False, id="nonsend-slash"),
        pytest.param("https://evil.com/example.com", False, id="nonsend-path"),
        pytest.param("https://example.com@evil.com", False, id="nonsend-userinfo"),
        pytest.param("https://evil.com%60.example.com", False, id="nonsend-percent60"),
        pytest.param("https://example.com`.evil.net", False, id="backtick"),
        pytest.param("https://example.com}.evil.net", False, id="brace"),
        pytest.param("evil.com", False, id="bare-host"),
        pytest.param("https://evil.com, https://example.com", False, id="list"),
        pytest.param("http://[0:0:0:0:0:0:0:1]", False, id="ipv6-uncompressed"),
        pytest.param("http://127.1", False, id="ipv4-short"),
        pytest.param("https://bücher.example", False, id="unicode"),
        pytest.param("http://d3v127.0.0.1:8765", False, id="spliced-ip"),
        pytest.param("https://" + "a" * 64 + ".com", False, id="long-label"),
    ],
)
def test_is_sendable(value: str, expected: bool) -> None:
    assert is_sendable(value) is expected


# -- registrable_domain --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        pytest.param("app.example.com", "example.com", id="com"),
        pytest.param("example.com", "example.com", id="itself"),
        pytest.param("API.Example.co.uk", "example.co.uk", id="co-uk"),
        pytest.param("a.b.example.co.uk", "example.co.uk", id="deep"),
        pytest.param("foo.github.io", "foo.github.io", id="private-suffix"),
        pytest.param("x.y.s3.amazonaws.com", "y.s3.amazonaws.com", id="multi-private"),
        pytest.param("bücher.example", "xn--bcher-kva.example", id="idn-unknown-tld"),
        pytest.param("example.com.", "example.com", id="trailing-dot"),
        pytest.param("github.io", None, id="public-suffix"),
        pytest.param("co.uk", None, id="icann-suffix"),
        pytest.param("localhost", None, id="localhost"),
        pytest.param("intranet", None, id="single-label"),
        pytest.param("127.0.0.1", None, id="ipv4"),
        pytest.param("[::1]", None, id="ipv6"),
    ],
)
def test_registrable_domain(host: str, expected: str | None) -> None:
    assert registrable_domain(host) == expected


def test_registrable_domain_rejects_invalid_host() -> None:
    with pytest.raises(ValueError, match="contains"):
        registrable_domain("a b.com")


# -- probe_origins -------------------------------------------------------------------------------

SITES = [
    pytest.param("https://api.example.com", id="https"),
    pytest.param("https://example.com", id="apex"),
    pytest.param("http://127.0.0.1:8765", id="ipv4-port"),
    pytest.param("http://127.0.0.1", id="ipv4"),
    pytest.param("https://10.0.0.5:8443", id="ipv4-https-port"),
    pytest.param("http://[::1]:8080", id="ipv6-port"),
    pytest.param("https://[2001:db8::1]", id="ipv6-https"),
    pytest.param("http://localhost:8000", id="localhost"),
    pytest.param("https://bücher.example", id="idn"),
    pytest.param("https://api.example.co.uk", id="co-uk"),
    pytest.param("https://staging.example.com:8443", id="port"),
    pytest.param("https://intranet", id="single-label"),
    pytest.param("https://foo.github.io", id="private-suffix"),
    pytest.param("https://my_app.example.com", id="underscore"),
    pytest.param("https://example.com.", id="trailing-dot"),
    pytest.param("https://" + "a" * 63 + ".example.com", id="long-label"),
]


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("free", [True, False], ids=["policy-free", "no-trusted"])
def test_every_value_is_sendable_unique_and_well_formed(site: str, free: bool) -> None:
    pol = policy(normalize_origin(site), free=True) if free else policy()
    origins = probe_origins(site, pol, LABEL)
    values = [o.value for o in origins]
    assert len(values) == len(set(values))
    for origin in origins:
        assert is_sendable(origin.value), origin
        assert origin.value.isascii()
        assert origin.template.replace("{label}", LABEL) == origin.value
        assert LABEL not in origin.template
        assert origin.note
        if origin.cls is not OriginClass.TRUSTED:
            assert origin.value != normalize_origin(site)


def test_every_class_for_https_target_with_policy() -> None:
    # Given a policy trusting the front-end and a separate API host
    origins = probe_origins("https://api.example.com", policy("https://app.example.com"), LABEL)
    classes = by_class(origins)
    # Then every probe class (BROWSER-MODEL.md §6.1) is present
    assert set(classes) == set(OriginClass)
    assert classes[OriginClass.TRUSTED] == ["https://app.example.com"]
    assert classes[OriginClass.ARBITRARY] == [
        f"https://{LABEL}.invalid-attacker.net",
        f"https://{LABEL}-attacker.com",
    ]
    assert classes[OriginClass.NULL] == ["null"]
    assert classes[OriginClass.PREFIX] == [
        f"https://app.example.com.{LABEL}-attacker.net",
        f"https://example.com.{LABEL}-attacker.net",
        f"https://api.example.com.{LABEL}-attacker.net",
    ]
    assert classes[OriginClass.SUFFIX] == [
        f"https://{LABEL}example.com",
        f"https://{LABEL}-example.com",
    ]
    assert classes[OriginClass.UNESCAPED_DOT] == [
        "https://appxexample.com",
        "https://app.examplexcom",
        "https://apixexample.com",
        "https://api.examplexcom",
    ]
    assert classes[OriginClass.SUBDOMAIN] == [f"https://{LABEL}.example.com"]
    assert classes[OriginClass.INSECURE_SCHEME] == [
        "http://app.example.com",
        f"http://{LABEL}.example.com",
        "http://api.example.com",
    ]
    assert classes[OriginClass.SPECIAL_CHARS] == [
        f"https://app.example.com_.{LABEL}-attacker.net",
        f"https://app.example.com-.{LABEL}-attacker.net",
        f"https://api.example.com_.{LABEL}-attacker.net",
        f"https://api.example.com-.{LABEL}-attacker.net",
    ]
    third = classes[OriginClass.THIRD_PARTY]
    for platform in THIRD_PARTY_PLATFORMS:
        assert f"https://{LABEL}.{platform}" in third
    for fixed in (
        "https://fiddle.jshell.net",
        "https://cdpn.io",
        "http://localhost",
        "http://localhost:3000",
        "http://127.0.0.1:8080",
    ):
        assert fixed in third
    # Never the target's own origin as an attack
    assert "https://api.example.com" not in [o.value for o in origins]


def test_unescaped_dot_notes_say_whether_registrable() -> None:
    origins = probe_origins("https://a.b.example.co.uk", policy(), LABEL)
    notes = {o.value: o.note for o in origins if o.cls is OriginClass.UNESCAPED_DOT}
    assert notes["https://axb.example.co.uk"].startswith("not registrable (a subdomain of")
    assert notes["https://a.bxexample.co.uk"].startswith("registrable as bxexample.co.uk")
    assert notes["https://a.b.examplexco.uk"].startswith("registrable as examplexco.uk")
    assert notes["https://a.b.example.coxuk"].startswith("not registrable (no registrable")


def test_templates_stable_across_labels() -> None:
    pol = policy("https://app.example.com")
    first = probe_origins("https://api.example.com:8443", pol, LABEL)
    second = probe_origins("https://api.example.com:8443", pol, OTHER_LABEL)
    assert [(o.cls, o.template, o.note) for o in first] == [
        (o.cls, o.template, o.note) for o in second
    ]
    assert [o.value for o in first] != [o.value for o in second]


@pytest.mark.parametrize(
    ("site", "absent", "expected"),
    [
        pytest.param(
            "http://127.0.0.1:8765",
            {OriginClass.SUFFIX, OriginClass.UNESCAPED_DOT, OriginClass.SUBDOMAIN},
            {
                OriginClass.PREFIX: [f"http://127.0.0.1.{LABEL}-attacker.net:8765"],
                OriginClass.SPECIAL_CHARS: [
                    f"http://127.0.0.1_.{LABEL}-attacker.net:8765",
                    f"http://127.0.0.1-.{LABEL}-attacker.net:8765",
                ],
            },
            id="ipv4-port",
        ),
        pytest.param(
            "https://10.0.0.5",
            {OriginClass.SUFFIX, OriginClass.UNESCAPED_DOT, OriginClass.SUBDOMAIN},
            {
                OriginClass.PREFIX: [f"https://10.0.0.5.{LABEL}-attacker.net"],
                OriginClass.INSECURE_SCHEME: ["http://10.0.0.5"],
            },
            id="ipv4-https",
        ),
        pytest.param(
            "http://[::1]:8080",
            {
                OriginClass.PREFIX,
                OriginClass.SPECIAL_CHARS,
                OriginClass.SUFFIX,
                OriginClass.UNESCAPED_DOT,
                OriginClass.SUBDOMAIN,
                OriginClass.INSECURE_SCHEME,
            },
            {OriginClass.NULL: ["null"]},
            id="ipv6-port",
        ),
        pytest.param(
            "http://localhost:8000",
            {OriginClass.SUFFIX, OriginClass.UNESCAPED_DOT, OriginClass.SUBDOMAIN},
            {OriginClass.PREFIX: [f"http://localhost.{LABEL}-attacker.net:8000"]},
            id="localhost",
        ),
        pytest.param(
            "https://bücher.example",
            {OriginClass.UNESCAPED_DOT},  # xn--bcher-kvaxexample is not valid punycode
            {
                OriginClass.PREFIX: [f"https://xn--bcher-kva.example.{LABEL}-attacker.net"],
                OriginClass.SUFFIX: [
                    f"https://{LABEL}xn--bcher-kva.example",
                    f"https://{LABEL}-xn--bcher-kva.example",
                ],
                OriginClass.SUBDOMAIN: [f"https://{LABEL}.xn--bcher-kva.example"],
            },
            id="idn",
        ),
        pytest.param(
            "https://api.example.co.uk",
            set(),
            {
                OriginClass.SUFFIX: [
                    f"https://{LABEL}example.co.uk",
                    f"https://{LABEL}-example.co.uk",
                ],
                OriginClass.SUBDOMAIN: [f"https://{LABEL}.example.co.uk"],
                OriginClass.UNESCAPED_DOT: [
                    "https://apixexample.co.uk",
                    "https://api.examplexco.uk",
                    "https://api.example.coxuk",
                ],
                OriginClass.PREFIX: [
                    f"https://api.example.co.uk.{LABEL}-attacker.net",
                    f"https://example.co.uk.{LABEL}-attacker.net",
                ],
            },
            id="co-uk",
        ),
        pytest.param(
            "https://api.example.com:8443",
            set(),
            {
                OriginClass.SUFFIX: [
                    f"https://{LABEL}example.com:8443",
                    f"https://{LABEL}-example.com:8443",
                ],
                OriginClass.SUBDOMAIN: [f"https://{LABEL}.example.com:8443"],
                OriginClass.INSECURE_SCHEME: [
                    "http://api.example.com:8443",
                    f"http://{LABEL}.example.com:8443",
                ],
            },
            id="non-default-port",
        ),
        pytest.param(
            "https://example.com.",
            set(),
            {
                OriginClass.PREFIX: [f"https://example.com.{LABEL}-attacker.net"],
                OriginClass.UNESCAPED_DOT: ["https://examplexcom"],
            },
            id="trailing-dot",
        ),
        pytest.param(
            "https://" + "a" * 60 + ".example.com",
            set(),
            {
                # the glued suffix labels fit; the merged dot label (60 + 1 + 7) does not
                OriginClass.UNESCAPED_DOT: ["https://" + "a" * 60 + ".examplexcom"],
            },
            id="long-label",
        ),
        pytest.param(
            "https://" + "b" * 60 + ".com",
            {OriginClass.SUFFIX, OriginClass.UNESCAPED_DOT},  # glued labels would exceed 63
            {OriginClass.SUBDOMAIN: [f"https://{LABEL}." + "b" * 60 + ".com"]},
            id="long-registrable-label",
        ),
    ],
)
def test_target_shapes(
    site: str, absent: set[OriginClass], expected: dict[OriginClass, list[str]]
) -> None:
    classes = by_class(probe_origins(site, policy(), LABEL))
    for cls in absent:
        assert cls not in classes, classes.get(cls)
    for cls, values in expected.items():
        assert classes[cls] == values


def test_ip_port_is_never_spliced() -> None:
    # Anchors-style splicing gives http://d3v127.0.0.1:8765; every host here is parsed instead.
    hosts = {
        parse_origin(o.value)[1]: parse_origin(o.value)[2]
        for o in probe_origins("http://127.0.0.1:8765", policy(), LABEL)
        if o.value != "null"
    }
    assert {h: p for h, p in hosts.items() if "127" in h} == {
        f"127.0.0.1.{LABEL}-attacker.net": 8765,
        f"127.0.0.1_.{LABEL}-attacker.net": 8765,
        f"127.0.0.1-.{LABEL}-attacker.net": 8765,
        "127.0.0.1": 8080,  # the fixed local-development probe (P-3P)
    }


def test_trusted_origins_are_never_attack_origins() -> None:
    # Given a policy that trusts several values the generator would otherwise produce
    trusted = (
        "http://app.example.com",
        "https://fiddle.jshell.net",
        "http://localhost:3000",
        "https://appxexample.com",
        "null",
    )
    pol = policy("https://app.example.com", *trusted)
    origins = probe_origins("https://api.example.com", pol, LABEL)
    classes = by_class(origins)
    # Then they appear once, as trusted, and the null class is empty
    assert classes[OriginClass.TRUSTED] == ["https://app.example.com", *trusted]
    assert OriginClass.NULL not in classes
    for origin in origins:
        if origin.cls is not OriginClass.TRUSTED:
            assert not pol.trusts(origin.value)


def test_trust_subdomains_of_suppresses_subdomain_class() -> None:
    pol = policy("https://app.example.com", subdomains=("example.com",))
    origins = probe_origins("https://api.example.com", pol, LABEL)
    classes = by_class(origins)
    assert OriginClass.SUBDOMAIN not in classes
    # the http:// subdomain is not covered by trust_subdomains_of (https only): still an attack
    assert f"http://{LABEL}.example.com" in classes[OriginClass.INSECURE_SCHEME]
    for origin in origins:
        if origin.cls is not OriginClass.TRUSTED:
            assert not pol.trusts(origin.value)


def test_policy_trusted_origins_are_normalized_and_bad_ones_skipped() -> None:
    pol = policy("HTTPS://App.Example.com:443", "not an origin", "chrome-extension://abcdef")
    origins = probe_origins("https://api.example.com", pol, LABEL)
    classes = by_class(origins)
    assert classes[OriginClass.TRUSTED] == ["https://app.example.com", "chrome-extension://abcdef"]
    assert all(
        "abcdef" not in v for c, vs in classes.items() if c is not OriginClass.TRUSTED for v in vs
    )
    assert "http://app.example.com" in classes[OriginClass.INSECURE_SCHEME]


def test_policy_free_note_and_site_origin_normalized() -> None:
    origins = probe_origins("HTTP://LOCALHOST:80", policy("http://localhost", free=True), LABEL)
    assert origins[0] == ProbeOrigin(
        value="http://localhost",
        cls=OriginClass.TRUSTED,
        template="http://localhost",
        note="policy-free: the target's own origin",
    )
    third = by_class(origins)[OriginClass.THIRD_PARTY]
    assert "http://localhost" not in third  # the target's own origin
    assert "http://localhost:3000" in third


def test_http_target_has_no_insecure_variant_of_itself() -> None:
    classes = by_class(probe_origins("http://staging.example.com", policy(), LABEL))
    assert OriginClass.INSECURE_SCHEME not in classes
    assert classes[OriginClass.SUBDOMAIN] == [f"http://{LABEL}.example.com"]


@pytest.mark.parametrize(
    ("site", "label", "match"),
    [
        pytest.param("https://example.com", "", "probe label", id="empty-label"),
        pytest.param("https://example.com", "Abc", "probe label", id="upper-label"),
        pytest.param("https://example.com", "1abc", "probe label", id="digit-first"),
        pytest.param("https://example.com", "a{label}", "probe label", id="brace-label"),
        pytest.param("https://example.com", "a" * 41, "probe label", id="long-label"),
        pytest.param("null", LABEL, "cannot be 'null'", id="null-site"),
        pytest.param("https://example.com/", LABEL, "path", id="bad-site"),
    ],
)
def test_probe_origins_rejects(site: str, label: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        probe_origins(site, policy(), label)


# -- property: any well-formed site gives only sendable, well-formed probes ----------------------

_LABELS = st.from_regex(r"\A[a-z0-9](?:[a-z0-9_-]{0,20}[a-z0-9])?\Z").filter(
    lambda s: not s.startswith("xn--")
)
_SUFFIXES = st.sampled_from(["com", "co.uk", "github.io", "example", "s3.amazonaws.com", "dev"])


@st.composite
def _sites(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https"]))
    kind = draw(st.sampled_from(["domain", "ipv4", "ipv6", "single"]))
    if kind == "domain":
        host = ".".join([*draw(st.lists(_LABELS, min_size=1, max_size=3)), draw(_SUFFIXES)])
    elif kind == "ipv4":
        host = str(draw(st.ip_addresses(v=4)))
    elif kind == "ipv6":
        host = f"[{draw(st.ip_addresses(v=6))}]"
    else:
        host = draw(_LABELS.filter(lambda s: not s.isdigit() and not s.startswith("0x")))
    port = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=65535)))
    return f"{scheme}://{host}" + ("" if port is None else f":{port}")


@given(site=_sites(), label=st.from_regex(r"\A[a-z][a-z0-9]{9}\Z"))
@settings(max_examples=300, deadline=None)
def test_property_probes_sendable(site: str, label: str) -> None:
    site = normalize_origin(site)
    for origin in probe_origins(site, policy(site, free=True), label):
        assert is_sendable(origin.value), (site, origin)
        assert origin.template.replace("{label}", label) == origin.value
        if origin.cls is not OriginClass.TRUSTED:
            assert origin.value != site


def test_default_set_derives_from_the_first_trusted_origin_and_common_platforms() -> None:
    pol = policy("https://app.example.com", "https://admin.example.com")
    compact = compact_origins("https://api.example.com", pol, LABEL)
    full = probe_origins("https://api.example.com", pol, LABEL)
    assert {o.value for o in compact} < {o.value for o in full}
    # Discovery candidates are the same in both; the bypass variants halve
    variants = [o for o in compact if o.cls is not OriginClass.FIRST_PARTY]
    assert len(variants) <= len([o for o in full if o.cls is not OriginClass.FIRST_PARTY]) // 2 + 1
    values = [o.value for o in compact]
    # Variants of the first trusted origin are kept; the second one's are --thorough only.
    assert f"https://app.example.com.{LABEL}-attacker.net" in values
    assert f"https://admin.example.com.{LABEL}-attacker.net" not in values
    # Same registrable domain as the trusted origin: the target's own host adds nothing.
    assert f"https://api.example.com.{LABEL}-attacker.net" not in values
    # Only a registrable look-alike is sent by default.
    assert "https://appxexample.com" in values
    assert "https://app.examplexcom" not in values
    assert f"https://{LABEL}.vercel.app" in values
    assert f"https://{LABEL}.s3.amazonaws.com" not in values
    assert "http://localhost:3000" in values
    # Every class is still probed.
    assert {o.cls for o in compact} == {o.cls for o in full}


def test_default_set_keeps_the_target_domain_when_the_trusted_one_differs() -> None:
    pol = policy("https://app.partner.net")
    values = [o.value for o in compact_origins("https://api.example.com", pol, LABEL)]
    assert f"https://{LABEL}example.com" in values  # endswith("example.com") bugs
    assert f"https://{LABEL}partner.net" in values


# -- discovery ----------------------------------------------------------------------------------


def test_discovery_candidates_are_first_party_names_of_the_target_and_trusted_domains() -> None:
    pol = policy("https://app.example.com")
    found = compact_origins("https://api.example.org", pol, LABEL)
    candidates = [o.value for o in found if o.cls is OriginClass.FIRST_PARTY]
    # The apex, www. and the common labels under the target's own registrable domain first,
    # then under the trusted origin's; never the trusted origin or the target itself
    assert candidates[:3] == [
        "https://example.org",
        "https://www.example.org",
        "https://app.example.org",
    ]
    assert "https://example.com" in candidates
    assert "https://admin.example.com" in candidates
    assert "https://app.example.com" not in candidates
    assert "https://api.example.org" not in candidates
    assert len(candidates) == MAX_CANDIDATES
    assert len(set(candidates)) == len(candidates)
    # Local development servers are probed too (as third-party origins)
    local = {o.value for o in found if o.cls is OriginClass.THIRD_PARTY}
    assert {"http://localhost", "http://localhost:3000", "http://localhost:5173"} <= local


def test_discovery_has_no_candidates_for_an_ip_target_without_policy() -> None:
    pol = policy("http://127.0.0.1:8080", free=True)
    found = compact_origins("http://127.0.0.1:8080", pol, LABEL)
    assert not [o for o in found if o.cls is OriginClass.FIRST_PARTY]


def test_admitted_origins_become_bases_up_to_the_cap() -> None:
    pol = policy("https://api.example.com", free=True)
    plain = {o.value for o in compact_origins("https://api.example.com", pol, LABEL)}
    admitted = tuple(f"https://{name}.example.com" for name in ("app", "admin", "my", "dev"))
    more = {
        o.value for o in compact_origins("https://api.example.com", pol, LABEL, admitted=admitted)
    }
    # Each admitted origin adds its own host-based variants...
    assert f"https://app.example.com.{LABEL}-attacker.net" in more - plain
    assert "https://appxexample.com" in more - plain
    assert "http://app.example.com" in more - plain
    assert f"https://app.example.com_.{LABEL}-attacker.net" in more - plain
    # ...up to MAX_BASES bases in all (the target's own origin, then the admitted ones in order)
    assert MAX_BASES == 3
    assert f"https://admin.example.com.{LABEL}-attacker.net" in more
    assert f"https://my.example.com.{LABEL}-attacker.net" not in more
    # Policy-free, a target origin the server does not admit keeps only its domain's variants
    domain_only = {
        o.value
        for o in compact_origins(
            "https://api.example.com", pol, LABEL, admitted=admitted, site_variants=False
        )
    }
    assert f"https://api.example.com.{LABEL}-attacker.net" not in domain_only
    assert f"https://{LABEL}example.com" in domain_only
    assert f"https://example.com.{LABEL}-attacker.net" in domain_only
    assert f"https://my.example.com.{LABEL}-attacker.net" in domain_only
