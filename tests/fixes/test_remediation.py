"""Remediation snippets (`cors_audit.fixes.remediation`): the issue's acceptance test, the tables.

Acceptance: for each real middleware (Starlette, flask-cors, django-cors-headers, and nginx when
installed) a MISCONFIGURED server is scanned (the finding is there), its stack is detected from
the replies, the stack's snippet for every rule found is EXECUTED to build a new server (Python
snippets run with ``exec`` on a bare app; the nginx snippet becomes the real nginx config), and
the re-scan must be clean: the finding is gone and no new one appeared.
"""

from __future__ import annotations

import ast
import codecs
import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import middleware_servers as ms
from support import stack_servers as ss
from support.stack_servers import Serve, django, flask, starlette

from cors_audit.app.scan import ScanOptions, scan
from cors_audit.core.errors import UsageError
from cors_audit.core.models import EffectivePolicy, Target, TargetResult
from cors_audit.fixes.escaping import (
    java_str,
    nginx_str,
    origin_regex,
    py_str,
    regex_escape,
    subdomain_regex,
)
from cors_audit.fixes.plan import GENERIC, OriginPattern
from cors_audit.fixes.remediation import (
    Remediation,
    parse_stack,
    remediation_for,
    settings_for,
)
from cors_audit.fixes.render_servers import NGINX_SERVER_MARK, NGINX_UPSTREAM
from cors_audit.fixes.stack import Stack, detect_stack
from cors_audit.inputs.policy import Policy
from cors_audit.judging.rules import Setting, get_rule
from cors_audit.judging.rules.catalogue import RULES
from cors_audit.sending.engine import EngineOptions

SITE_ORIGIN = "https://api.example.com"
APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
LABEL = "r3medy"
METHODS = ["GET", "POST", "PATCH"]
HEADERS = ["Content-Type", "Authorization"]


def policy_toml(*origins: str, credentials: bool = True, subdomains: str = "") -> str:
    listed = ", ".join(f'"{o}"' for o in origins)
    return (
        f"trusted_origins = [{listed}]\n"
        + (f'trust_subdomains_of = ["{subdomains}"]\n' if subdomains else "")
        + f"allow_credentials = {'true' if credentials else 'false'}\n"
        'allowed_methods = ["GET", "POST", "PATCH"]\n'
        'allowed_headers = ["Content-Type", "Authorization"]\n'
        "max_age = { min = 600, max = 86400 }\n"
    )


POLICIES = {
    "credentialed": policy_toml(APP),
    "anonymous": policy_toml(APP, credentials=False),
    "two-origins-subdomains": policy_toml(APP, ADMIN, subdomains="example.org"),
}


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Policy]:
    folder = tmp_path_factory.mktemp("policies")
    return {name: ss.write_policy(folder, name, text) for name, text in POLICIES.items()}


def run(serve: Serve, policy: Policy, method: str) -> TargetResult:
    with serve() as base:
        target = Target(base + ss.API_PATH, method, SITE_ORIGIN)
        options = ScanOptions(
            engine=EngineOptions(timeout=5, retries=0), label=LABEL, keep_exchanges=True
        )
        (result,) = scan([target], policy, options)
    assert result.error is None, result.error
    assert all(e.error is None for e in result.exchanges)
    return result


def describe(result: TargetResult) -> str:
    return "\n".join(f"{f.rule} {f.severity}: {f.detail}" for f in result.findings)


# -- executing a snippet -----------------------------------------------------------------------


def _call_kwargs(snippet: str) -> dict[str, object]:
    """The keyword arguments of the snippet's one call with keywords, as literal values."""
    calls = [
        node
        for node in ast.walk(ast.parse(snippet))
        if isinstance(node, ast.Call) and node.keywords
    ]
    assert len(calls) == 1, snippet
    return {kw.arg: ast.literal_eval(kw.value) for kw in calls[0].keywords if kw.arg}


def _assignments(snippet: str) -> dict[str, object]:
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)  # the django settings snippet is plain assignments
    return {k: v for k, v in namespace.items() if k.startswith("CORS_")}


def build(stack: Stack, remedy: Remediation, folder: Path) -> Serve:
    """A server configured by executing ``remedy.snippet``."""
    snippet = remedy.snippet
    if stack is Stack.STARLETTE:
        app = ss.bare_starlette()
        exec(snippet, {"app": app})  # runs the import and app.add_middleware(CORSMiddleware, …)
        return lambda: ms.serve_asgi(app)
    if stack is Stack.FLASK_CORS:
        flask_app = ss.bare_flask()
        exec(snippet, {"app": flask_app})  # runs the import and CORS(app, …)
        return lambda: ms.serve_wsgi(flask_app)
    if stack is Stack.DJANGO:
        settings = _assignments(snippet)
        return lambda: ss.serve_django(settings)
    assert stack is Stack.NGINX
    http, server = snippet.split(NGINX_SERVER_MARK + "\n")
    location = "\n".join(line for line in server.splitlines() if NGINX_UPSTREAM not in line)
    return lambda: ss.serve_nginx(ss.NginxSite(http=http, location=location), folder)


def snippet_settings(stack: Stack, snippet: str) -> dict[str, object]:
    """The settings a Python snippet really passes, read back from its source."""
    if stack is Stack.DJANGO:
        return _assignments(snippet)
    return _call_kwargs(snippet)


# -- acceptance ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Misconfigured:
    stack: Stack
    serve: Serve
    policy: str
    expected: frozenset[str]
    methods: tuple[str, ...] = ("GET",)


STARLETTE_REST = {"allow_methods": METHODS, "allow_headers": HEADERS, "max_age": 600}
FLASK_REST = {"methods": METHODS, "allow_headers": HEADERS, "max_age": 600}

CASES = [
    pytest.param(
        Misconfigured(
            Stack.STARLETTE,
            starlette(allow_origins=["*"], allow_credentials=True, **STARLETTE_REST),
            "credentialed",
            frozenset({"reflected-origin"}),
            ("GET", "PATCH"),
        ),
        id="starlette-wildcard-credentials",
    ),
    pytest.param(
        Misconfigured(
            Stack.STARLETTE,
            starlette(
                allow_origin_regex=r"https://.*\.example\.com",
                allow_credentials=True,
                **STARLETTE_REST,
            ),
            "credentialed",
            frozenset({"arbitrary-subdomain"}),
        ),
        id="starlette-subdomain-regex",
    ),
    pytest.param(
        Misconfigured(
            Stack.STARLETTE,
            starlette(allow_origins=["*"], allow_credentials=True, **STARLETTE_REST),
            "two-origins-subdomains",
            frozenset({"reflected-origin"}),
        ),
        id="starlette-two-origins-and-subdomains",
    ),
    pytest.param(
        Misconfigured(
            Stack.FLASK_CORS,
            flask(origins=r".*example.com", supports_credentials=True, **FLASK_REST),
            "credentialed",
            frozenset(
                {
                    "prefix-match",
                    "suffix-match",
                    "unescaped-dot",
                    "special-chars",
                    "arbitrary-subdomain",
                    "insecure-scheme",
                }
            ),
            ("GET", "PATCH"),
        ),
        id="flask-cors-unanchored-regex",
    ),
    pytest.param(
        Misconfigured(
            Stack.FLASK_CORS,
            flask(),
            "anonymous",
            frozenset(
                {
                    "reflected-origin",
                    "methods-beyond-policy",
                    "headers-beyond-policy",
                    "missing-max-age",
                }
            ),
        ),
        id="flask-cors-defaults",
    ),
    pytest.param(
        Misconfigured(
            Stack.FLASK_CORS,
            flask(origins=[APP], supports_credentials=True, **FLASK_REST),
            "credentialed",
            frozenset({"missing-vary-origin"}),
        ),
        id="flask-cors-single-origin",
    ),
    pytest.param(
        Misconfigured(
            Stack.DJANGO,
            django(CORS_ALLOW_ALL_ORIGINS=True, CORS_ALLOW_CREDENTIALS=True),
            "credentialed",
            frozenset({"reflected-origin"}),
            ("GET", "PATCH"),
        ),
        id="django-cors-headers-allow-all",
    ),
    pytest.param(
        Misconfigured(
            Stack.DJANGO,
            django(
                CORS_ALLOWED_ORIGINS=[],
                CORS_ALLOWED_ORIGIN_REGEXES=[r"^https://.*example.com"],
                CORS_ALLOW_CREDENTIALS=True,
            ),
            "credentialed",
            frozenset({"suffix-match", "unescaped-dot", "arbitrary-subdomain", "prefix-match"}),
        ),
        id="django-cors-headers-unanchored-regex",
    ),
]

NGINX_REFLECT = ss.NginxSite(
    location="""
if ($request_method = OPTIONS) {
    add_header Access-Control-Allow-Origin $http_origin always;
    add_header Access-Control-Allow-Credentials true always;
    add_header Access-Control-Allow-Methods "GET, POST, PATCH" always;
    add_header Access-Control-Allow-Headers "Content-Type, Authorization" always;
    add_header Access-Control-Max-Age 600 always;
    return 204;
}
add_header Access-Control-Allow-Origin $http_origin always;
add_header Access-Control-Allow-Credentials true always;
"""
)


_UNMARK = re.compile(r"  (#|//) <- [a-z-]+$", re.MULTILINE)


def _fix_and_rescan(case: Misconfigured, policies: dict[str, Policy], tmp_path: Path) -> list[str]:
    """The acceptance loop; returns the rules that were fixed (for the assertion message)."""
    policy = policies[case.policy]
    fixed: list[str] = []
    for method in case.methods:
        # Given a misconfigured server whose findings are what Chromium lets through
        before = run(case.serve, policy, method)
        found = {f.rule for f in before.findings}
        assert case.expected <= found, describe(before)
        # When its stack is detected from the replies
        guess = detect_stack(before.exchanges)
        assert guess.name is case.stack, guess
        checked: dict[str, TargetResult] = {}
        for rule in sorted(found):
            remedies = remediation_for(rule, guess.name, before.policy)
            remedy = remedies[0]
            assert remedy.stack == case.stack
            assert remedies[-1].stack == GENERIC
            if case.stack is not Stack.NGINX:  # the snippet passes exactly settings_for
                expected = settings_for(case.stack, before.policy, rule)
                assert snippet_settings(case.stack, remedy.snippet) == expected
            # Then the server built by executing the snippet has no finding at all. Rules whose
            # snippets differ only in their `<- rule` marks configure the same server: scan once.
            config = _UNMARK.sub("", remedy.snippet)
            if config not in checked:
                folder = tmp_path / f"{method}-{rule}"
                folder.mkdir()
                checked[config] = run(build(case.stack, remedy, folder), policy, method)
            after = checked[config]
            assert after.findings == (), f"{rule} → {describe(after)}\n{remedy.snippet}"
            assert detect_stack(after.exchanges).name is case.stack
            fixed.append(rule)
    return fixed


@pytest.mark.parametrize("case", CASES)
def test_suggested_configuration_fixes_the_real_middleware(
    case: Misconfigured, policies: dict[str, Policy], tmp_path: Path
) -> None:
    assert _fix_and_rescan(case, policies, tmp_path)


def test_suggested_nginx_configuration_fixes_real_nginx(
    policies: dict[str, Policy], tmp_path: Path
) -> None:
    if ss.nginx_binary() is None:
        pytest.skip("nginx is not installed")
    folders = (tmp_path / f"misconfigured-{i}" for i in range(10))

    def serve() -> contextlib.AbstractContextManager[str]:
        folder = next(folders)
        folder.mkdir()
        return ss.serve_nginx(NGINX_REFLECT, folder)

    case = Misconfigured(
        Stack.NGINX,
        serve,
        "credentialed",
        frozenset({"reflected-origin", "missing-vary-origin"}),
        ("GET", "PATCH"),
    )
    assert _fix_and_rescan(case, policies, tmp_path)


# -- tables over every rule and stack -------------------------------------------------------------

POLICY = EffectivePolicy(
    trusted_origins=(APP, ADMIN),
    trust_subdomains_of=("example.org",),
    allow_credentials=True,
    allowed_methods=("GET", "POST", "PATCH"),
    allowed_headers=("Content-Type", "Authorization"),
    expose_headers=("X-Request-Id",),
    max_age_min=600,
    max_age_max=86400,
)
STACKS = [s.value for s in Stack if s is not Stack.UNKNOWN]


def _in_language(origin: str, stack: str) -> str:
    """How ``origin`` appears in the stack's snippet."""
    if stack == Stack.FLASK_CORS:
        return py_str(origin_regex(origin))
    if stack in (Stack.STARLETTE, Stack.DJANGO):
        return py_str(origin)
    if stack == Stack.NGINX:
        return nginx_str(origin)
    if stack == Stack.SPRING:
        return java_str(origin)
    return json.dumps(origin)


@pytest.mark.parametrize("rule", [r.id for r in RULES])
@pytest.mark.parametrize("stack", [*STACKS, "unknown", GENERIC])
def test_every_rule_and_stack_has_snippets(rule: str, stack: str) -> None:
    remedies = remediation_for(rule, stack, POLICY)
    known = stack in STACKS
    assert [r.stack for r in remedies] == ([stack, GENERIC] if known else [GENERIC])
    for remedy in remedies:
        assert remedy.title
        assert remedy.language
        assert remedy.notes
        for origin in POLICY.trusted_origins:
            assert _in_language(origin, remedy.stack) in remedy.snippet, remedy.snippet
        assert '"null"' not in remedy.snippet
        marked = [line for line in remedy.snippet.splitlines() if line.endswith(f"<- {rule}")]
        # Vary is implicit in most middlewares (they add it themselves): nothing to mark there.
        if get_rule(rule).focus != (Setting.VARY,):
            assert marked, (rule, remedy.stack, remedy.snippet)
    assert remedies[0].notes[0]  # the rule-specific note comes first


@pytest.mark.parametrize("stack", STACKS)
def test_max_age_rules_show_the_max_age_setting(stack: str) -> None:
    for rule in ("missing-max-age", "max-age-out-of-range"):
        (remedy, _) = remediation_for(rule, stack, POLICY)
        marked = [line for line in remedy.snippet.splitlines() if line.endswith(f"<- {rule}")]
        assert len(marked) == 1, remedy.snippet
        assert "600" in marked[0]


@pytest.mark.parametrize("stack", STACKS)
def test_exposed_headers_rule_shows_the_expose_setting(stack: str) -> None:
    (remedy, _) = remediation_for("sensitive-exposed-headers", stack, POLICY)
    marked = [
        line
        for line in remedy.snippet.splitlines()
        if line.endswith("<- sensitive-exposed-headers")
    ]
    assert marked, remedy.snippet
    assert all("X-Request-Id" in line for line in marked)


@pytest.mark.parametrize("stack", STACKS)
def test_private_network_rule_never_grants_untrusted_origins(stack: str) -> None:
    (remedy, _) = remediation_for("private-network-allowed", stack, POLICY)
    marked = [
        line for line in remedy.snippet.splitlines() if line.endswith("<- private-network-allowed")
    ]
    assert marked, remedy.snippet
    assert "Private-Network true" not in remedy.snippet
    assert not re.search(r"(?i)private_?network\W+(=|:)\s*true", remedy.snippet)


def test_python_snippets_pass_exactly_the_structured_settings() -> None:
    for stack in (Stack.STARLETTE, Stack.FLASK_CORS, Stack.DJANGO):
        for rule in (r.id for r in RULES):
            (remedy, _) = remediation_for(rule, stack, POLICY)
            assert snippet_settings(stack, remedy.snippet) == settings_for(stack, POLICY, rule)


def test_structured_settings_configure_the_real_middlewares() -> None:
    """settings_for's keys are the middlewares' own option names (they accept them)."""
    from flask_cors import CORS
    from starlette.middleware.cors import CORSMiddleware

    CORSMiddleware(ss.bare_starlette(), **settings_for(Stack.STARLETTE, POLICY))  # type: ignore[arg-type]
    CORS(ss.bare_flask(), **settings_for(Stack.FLASK_CORS, POLICY))  # type: ignore[arg-type]
    express = settings_for(Stack.EXPRESS, POLICY)
    assert OriginPattern(subdomain_regex(("example.org",))) in express["origin"]  # type: ignore[operator]


# -- regexes and escaping --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "matches"),
    [
        pytest.param("https://a.example.org", True, id="subdomain"),
        pytest.param("https://a.b.example.org", True, id="deep-subdomain"),
        pytest.param("https://xn--bcher-kva.example.org:8443", True, id="idn-with-port"),
        pytest.param("https://example.org", False, id="apex"),
        pytest.param("http://a.example.org", False, id="insecure-scheme"),
        pytest.param("https://aexample.org", False, id="suffix"),
        pytest.param("https://a.example.org.attacker.net", False, id="prefix"),
        pytest.param("https://a.examplexorg", False, id="unescaped-dot"),
        pytest.param("https://a.example.org_.attacker.net", False, id="special-chars"),
    ],
)
def test_subdomain_regex_matches_what_the_policy_trusts(origin: str, matches: bool) -> None:
    pattern = subdomain_regex(("example.org",))
    assert bool(re.fullmatch(pattern, origin)) is matches
    assert bool(re.match(pattern, origin)) is matches  # anchored: re.match is enough too
    assert POLICY.trusts(origin) is matches


def test_subdomain_regex_for_several_domains() -> None:
    pattern = subdomain_regex(("example.org", "example.net"))
    assert re.match(pattern, "https://a.example.net")
    assert re.match(pattern, "https://a.example.org")
    assert not re.match(pattern, "https://a.example.com")


HOSTILE = (
    'https://app.example.com"; add_header X-Evil 1; #',
    "https://app.example.com\\'$host{}`\n\x01\u2028é",
)


def _hostile_policy() -> EffectivePolicy:
    return EffectivePolicy(
        trusted_origins=(*HOSTILE, "null", "*", APP),
        allow_credentials=True,
        allowed_methods=("GET", "X-$M"),
        allowed_headers=("X-$evil", 'X-"q'),
        expose_headers=("X-$e",),
    )


def test_origin_regex_matches_only_itself() -> None:
    for origin in (*HOSTILE, APP, "https://[::1]:8443"):
        pattern = origin_regex(origin)
        assert re.match(pattern, origin)
        assert not re.match(pattern, origin + "x")
        assert not re.match(pattern, "x" + origin)
    assert regex_escape("a.b") == "a\\.b"
    assert not re.match(origin_regex(APP), "https://appxexample.com")


@pytest.mark.parametrize("stack", [Stack.STARLETTE, Stack.DJANGO, Stack.FLASK_CORS])
def test_hostile_values_round_trip_through_python_snippets(stack: Stack) -> None:
    policy = _hostile_policy()
    (remedy, _) = remediation_for("reflected-origin", stack, policy)
    values = snippet_settings(stack, remedy.snippet)
    assert values == settings_for(stack, policy, "reflected-origin")
    flat = json.dumps(values)
    assert '"null"' not in flat
    assert '"*"' not in flat
    assert any("'null' was left out" in note for note in remedy.notes)
    if stack is Stack.FLASK_CORS:
        origins = values["origins"]
        assert isinstance(origins, list)
        for origin in (*HOSTILE, APP):
            assert sum(bool(re.match(p, origin)) for p in origins) == 1


_DQ = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)


@pytest.mark.parametrize(
    ("stack", "decode"),
    [
        pytest.param(Stack.EXPRESS, lambda s: json.loads(f'"{s}"'), id="javascript"),
        pytest.param(Stack.RS_CORS, lambda s: json.loads(f'"{s}"'), id="go"),
        pytest.param(Stack.ASPNETCORE, lambda s: json.loads(f'"{s}"'), id="csharp"),
        pytest.param(
            Stack.SPRING,
            lambda s: codecs.decode(s.encode("utf-8"), "unicode_escape").encode("latin-1").decode(),
            id="java",
        ),
    ],
)
def test_hostile_values_are_single_string_literals(
    stack: Stack, decode: Callable[[str], str]
) -> None:
    (remedy, _) = remediation_for("reflected-origin", stack, _hostile_policy())
    literals = [decode(m) for m in _DQ.findall(remedy.snippet)]
    for origin in (*HOSTILE, APP):
        assert origin in literals, remedy.snippet
    assert "\n" not in "".join(line for line in remedy.snippet.splitlines() if "X-Evil" in line)
    if stack is Stack.SPRING:
        assert "\\u" not in remedy.snippet  # Java would decode \u escapes before parsing


def test_hostile_values_stay_inside_nginx_strings(tmp_path: Path) -> None:
    (remedy, _) = remediation_for("reflected-origin", Stack.NGINX, _hostile_policy())
    snippet = remedy.snippet
    assert 'geo $cors_dollar { default "$"; }' in snippet
    assert "${cors_dollar}evil" in snippet
    # Outside quoted strings, only the snippet's own directives remain.
    bare = _DQ.sub('""', snippet)
    assert "X-Evil" not in bare
    assert "$host" not in bare
    if ss.nginx_binary() is None:
        return
    http, server = snippet.split(NGINX_SERVER_MARK + "\n")
    location = "\n".join(line for line in server.splitlines() if NGINX_UPSTREAM not in line)
    site = ss.NginxSite(http=http, location=location)
    with ss.serve_nginx(site, tmp_path) as base:
        import urllib.request

        request = urllib.request.Request(
            base + ss.API_PATH,
            method="OPTIONS",
            headers={"Origin": APP, "Access-Control-Request-Method": "GET"},
        )
        with urllib.request.urlopen(request, timeout=5) as reply:
            assert reply.headers["Access-Control-Allow-Origin"] == APP
            assert reply.headers["Access-Control-Allow-Headers"] == 'X-$evil, X-"q'
            assert reply.headers["Access-Control-Allow-Methods"] == "GET, X-$M"
            assert "X-Evil" not in reply.headers


def test_nginx_strings_escape_quotes_backslashes_and_dollars() -> None:
    assert nginx_str('a"b\\c$d\te;{}') == '"a\\"b\\\\c${cors_dollar}d\\te;{}"'
    assert nginx_str("GET, POST") == '"GET, POST"'


def test_rules_without_a_stated_expose_list_still_show_the_setting() -> None:
    policy = EffectivePolicy(trusted_origins=(APP, APP), allow_credentials=False)
    for stack in (Stack.NGINX, GENERIC):
        remedy = remediation_for("sensitive-exposed-headers", stack, policy)[0]
        marked = [
            line
            for line in remedy.snippet.splitlines()
            if line.endswith("<- sensitive-exposed-headers")
        ]
        assert len(marked) == 1
        assert "exposes none" in marked[0]
        assert remedy.snippet.count(APP) == 1  # duplicates are listed once
        assert "Allow-Credentials" not in remedy.snippet


def test_java_strings_escape_control_characters_in_octal() -> None:
    assert java_str('a"\\\n\x01é') == '"a\\"\\\\\\n\\001é"'


def test_python_strings_are_raw_only_when_safe() -> None:
    assert py_str("^a\\.b$") == 'r"^a\\.b$"'
    assert py_str('a"\\') == json.dumps('a"\\')
    assert ast.literal_eval(py_str("x\\")) == "x\\"


# -- policy gaps, bad input ------------------------------------------------------------------------


def test_unstated_policy_items_are_filled_safely_and_said() -> None:
    policy = EffectivePolicy(trusted_origins=(APP,), max_age_min=900)
    (remedy, generic) = remediation_for("missing-max-age", Stack.STARLETTE, policy)
    settings = settings_for(Stack.STARLETTE, policy)
    assert settings["allow_methods"] == ["GET", "HEAD", "POST"]
    assert settings["allow_credentials"] is False
    assert settings["allow_headers"] == []
    assert settings["max_age"] == 900
    assert any("allowed_methods" in note for note in remedy.notes)
    assert any("allow_credentials" in note for note in remedy.notes)
    assert "900" in generic.snippet
    short = EffectivePolicy(trusted_origins=(APP,), max_age_max=300)
    assert settings_for(GENERIC, short)["max_age"] == 300


def test_no_trusted_origin_renders_an_empty_allowlist() -> None:
    policy = EffectivePolicy(trusted_origins=("null",))
    (remedy, generic) = remediation_for("null-origin", Stack.DJANGO, policy)
    assert settings_for(Stack.DJANGO, policy)["CORS_ALLOWED_ORIGINS"] == []
    assert any("trusts no origin" in note for note in remedy.notes)
    assert "(none)" in generic.snippet


def test_aspnet_adds_vary_for_a_single_origin_only() -> None:
    one = EffectivePolicy(trusted_origins=(APP,))
    two = EffectivePolicy(trusted_origins=(APP, ADMIN))
    assert settings_for(Stack.ASPNETCORE, one)["add_vary_origin"] is True
    assert settings_for(Stack.ASPNETCORE, two)["add_vary_origin"] is False
    (remedy, _) = remediation_for("missing-vary-origin", Stack.ASPNETCORE, one)
    assert any(line.endswith("<- missing-vary-origin") for line in remedy.snippet.splitlines())


def test_unknown_rule_or_stack_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown rule 'nope'; known rules: reflected-origin"):
        remediation_for("nope", Stack.NGINX, POLICY)
    with pytest.raises(UsageError, match="unknown stack 'iis'; known stacks: nginx"):
        remediation_for("reflected-origin", "iis", POLICY)
    with pytest.raises(UsageError, match="unknown rule"):
        settings_for(Stack.NGINX, POLICY, "nope")
    assert parse_stack("unknown") is None
    assert parse_stack(GENERIC) is None
    assert parse_stack("nginx") is Stack.NGINX
